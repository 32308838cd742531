"""Account use cases: sign-up, profile changes, sessions, deletion."""

import datetime
from typing import Any

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.hooks import sessions_ended, user_deleting
from accounts.models import User
from accounts.tokens import generation_is_current, session_tokens_for_user
from mcbackend.exceptions import AuthenticationError, FieldValidationError, RateLimitError
from mcbackend.throttling import RateLimit


def _check_unique(*, username: str | None, email: str | None, exclude_pk: int | None) -> None:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    errors: dict[str, list[str] | str] = {}
    if username is not None and others.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if email is not None and others.filter(email__iexact=email).exists():
        errors["email"] = ["A user with that email already exists."]
    if errors:
        raise FieldValidationError(errors)


def _check_password(password: str, *, user: User) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise FieldValidationError({"password": list(exc.messages)}) from exc


def _save_unique(user: User, **kwargs: Any) -> None:
    """Save; a concurrent request that took the same name between check and save is still a 400."""
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError as exc:
        _check_unique(username=user.username, email=user.email, exclude_pk=user.pk)
        raise FieldValidationError({"message": "Could not save the account."}) from exc


def user_create(*, username: str, email: str, password: str, birth_date: datetime.date) -> User:
    _check_unique(username=username, email=email, exclude_pk=None)
    user = User(username=username, email=email, birth_date=birth_date)
    _check_password(password, user=user)
    user.set_password(password)
    _save_unique(user)
    return user


def _lock_user(*, user: User) -> User:
    """Re-read the user's row under its lock, inside the caller's transaction.

    Every write to a user row starts here: the copy read while authenticating may be stale (a
    password change or a deletion committed meanwhile), and saving it would undo that change.
    A deleted account, or a token older than the last password change, is refused (401).
    """
    locked = User.objects.select_for_update().filter(pk=user.pk, is_active=True).first()
    if locked is None:
        raise AuthenticationError("User not found")
    if locked.auth_generation != user.auth_generation:
        raise AuthenticationError("Session has ended; sign in again.")
    return locked


@transaction.atomic
def user_update(*, user: User, data: dict[str, Any]) -> bool:
    """Apply a partial profile update; returns True when the password changed.

    A password change bumps the user's auth generation, which ends every existing session; the
    sockets are closed once the new generation is committed, so a tab reconnecting at once with
    its old token is refused. `user` gets the saved values (the view signs the caller in again).
    """
    locked = _lock_user(user=user)
    _check_unique(username=data.get("username"), email=data.get("email"), exclude_pk=user.pk)
    changed = [f for f in ("username", "email", "bio", "is_private") if f in data]
    for field in changed:
        setattr(locked, field, data[field])
    password_changed = "password" in data
    if password_changed:
        _check_password(data["password"], user=locked)
        locked.set_password(data["password"])
        locked.auth_generation = F("auth_generation") + 1
        changed += ["password", "auth_generation"]
        sessions_ended.send(user_id=user.pk)
    if changed:
        _save_unique(locked, update_fields=changed)
    if password_changed:
        locked.refresh_from_db(fields=["auth_generation"])
    for field in changed:
        setattr(user, field, getattr(locked, field))
    return password_changed


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account and everything it owns (ratings, comments, watch list, friendships).

    The row lock first: a save still in flight for this account waits, then finds it gone. The
    apps that own data about the user clean up next (accounts.hooks.user_deleting), then the row
    and the cascade go.
    """
    if not list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk")):
        return  # deleted meanwhile by a concurrent request
    user_deleting.send(user=user)
    sessions_ended.send(user_id=user.pk)
    user.delete()


def session_login(*, username: str, password: str, client_address: str) -> User:
    """Check credentials under the failed-login limits (per username and per client address).

    Each attempt reserves its place before the password is checked (an atomic increment), so
    concurrent guesses cannot all pass a check made before any of them counted. Only wrong
    credentials keep the place: a refused, successful or erroring attempt (database down) gives
    it back.
    """
    limits = [
        RateLimit("login_failures_username", username.lower()),
        RateLimit("login_failures_address", client_address),
    ]
    counts = [limit.hit() for limit in limits]
    over = next((lim for lim, n in zip(limits, counts, strict=True) if n > lim.limit), None)
    if over is not None:
        _release(limits)
        raise RateLimitError(wait=over.retry_after)
    failed = False
    try:
        user = authenticate(None, username=username, password=password)
        failed = user is None
    finally:
        if not failed:
            _release(limits)
    if user is None:
        raise AuthenticationError("Invalid username or password.")
    # One column, by UPDATE: a full save could undo a concurrent change or re-create an account
    # deleted meanwhile (which then cannot sign in).
    user.last_login = timezone.now()
    if not User.objects.filter(pk=user.pk).update(last_login=user.last_login):
        raise AuthenticationError("Invalid username or password.")
    return user


def _release(limits: list[RateLimit]) -> None:
    for limit in limits:
        limit.release()


_REFRESH_INVALID = "Refresh token is invalid or expired."


def session_refresh(*, raw_refresh: str) -> tuple[str, str]:
    """Rotate a refresh token: the old one is blacklisted (exactly once) and a new pair issued."""
    try:
        old = RefreshToken(raw_refresh)  # signature, expiry and blacklist
    except TokenError as exc:
        raise AuthenticationError(_REFRESH_INVALID) from exc
    user = User.objects.filter(pk=old.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise AuthenticationError(_REFRESH_INVALID)
    if not generation_is_current(user=user, token=old):
        raise AuthenticationError("Session has ended; sign in again.")
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=old["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise AuthenticationError("Refresh token has already been used.")
        BlacklistedToken.objects.create(token=outstanding)
    return session_tokens_for_user(user)


@transaction.atomic
def session_end(*, user: User, raw_refresh: str | None) -> None:
    """Logout: the refresh token of this session can never be used again. The user's sockets
    close once that is committed, so a tab that reconnects at once cannot refresh with it."""
    sessions_ended.send(user_id=user.pk)
    if not raw_refresh:
        return
    try:
        token = RefreshToken(raw_refresh)
    except TokenError:
        return  # already expired or blacklisted: nothing left to end
    if str(token.get(api_settings.USER_ID_CLAIM)) == str(user.pk):
        token.blacklist()
