"""Reads of the social graph; `user_is_visible_to` is the one visibility rule (API.md)."""

from django.db.models import Q, QuerySet

from accounts.models import User
from social.models import Friendship


def friendship_between(*, user_id: int, other_id: int) -> Friendship | None:
    low, high = sorted((user_id, other_id))
    return Friendship.objects.filter(user_low_id=low, user_high_id=high).first()


def friends_of(*, user: User) -> QuerySet[User]:
    return User.objects.filter(
        Q(pk__in=Friendship.objects.filter(user_low=user).values("user_high_id"))
        | Q(pk__in=Friendship.objects.filter(user_high=user).values("user_low_id"))
    )


def user_is_visible_to(*, user: User, viewer: User) -> bool:
    """Public users, oneself and one's friends are visible; a private stranger is not."""
    if not user.is_private or user.pk == viewer.pk:
        return True
    return friendship_between(user_id=user.pk, other_id=viewer.pk) is not None
