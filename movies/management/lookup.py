"""How the data-science commands name a user: a numeric id, or a username (case-insensitive;
MovieLens raters are `ml_user_<movielens id>`)."""

from __future__ import annotations

from django.core.management.base import CommandError

from accounts.models import User


def user_from_argument(value: str) -> User:
    """The user `value` names; CommandError (exit 2) when there is none."""
    text = value.strip()
    user = None
    if text.isdigit():
        user = User.objects.filter(pk=int(text)).first()
    if user is None:
        user = User.objects.filter(username__iexact=text).first()
    if user is None:
        raise CommandError(f"no user with id or username {value!r}", returncode=2)
    return user
