"""Account use cases: sign-up, profile changes, sessions, deletion, password reset."""

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts import session_cache
from accounts.hooks import sessions_ended, user_deleting
from accounts.locks import acting_user_lock
from accounts.mail import email_send
from accounts.models import RevokedSession, User, username_matches
from accounts.tokens import SESSION_CLAIM, generation_is_current, session_tokens_for_user
from mcbackend.exceptions import (
    AuthenticationError,
    FieldValidationError,
    NotFoundError,
    RateLimitError,
)
from mcbackend.throttling import RateLimit


def _check_unique(*, username: str | None, email: str | None, exclude_pk: int | None) -> None:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    errors: dict[str, list[str] | str] = {}
    if username is not None and others.filter(username_matches(username)).exists():
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
    username = User.normalize_username(username)  # NFKC: no full-width twin of another name
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
    if "username" in data:
        data = {**data, "username": User.normalize_username(data["username"])}
    _check_unique(username=data.get("username"), email=data.get("email"), exclude_pk=user.pk)
    changed: list[str] = [f for f in ("username", "email", "bio", "is_private") if f in data]
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


# Columns of the user row an admin form may write (its many-to-many fields go to other tables).
USER_ROW_FIELDS = frozenset(f.name for f in User._meta.concrete_fields if not f.primary_key)


@transaction.atomic
def user_admin_update(*, user: User, fields: list[str]) -> None:
    """A moderator's edit in the admin: only the `fields` they changed are written, from `user`,
    to the row as it is now (under its lock), so a password change, deletion or profile save
    committed meanwhile stands. Deactivating an account ends its sessions (sockets close)."""
    unknown = set(fields) - USER_ROW_FIELDS
    if unknown:
        raise ValueError(f"Not columns of the user row: {sorted(unknown)}")
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None:
        raise NotFoundError("User not found")
    if not fields:
        return
    for field in fields:
        setattr(locked, field, getattr(user, field))
    locked.save(update_fields=fields)
    if "is_active" in fields and not locked.is_active:
        sessions_ended.send(user_id=user.pk)


@transaction.atomic
def user_password_replace(*, user: User, password_hash: str) -> None:
    """An admin's password change (or making it unusable): the hash and a new auth generation
    in one UPDATE, so every existing session ends, as with the user's own change."""
    updated = User.objects.filter(pk=user.pk).update(
        password=password_hash, auth_generation=F("auth_generation") + 1
    )
    if not updated:
        raise NotFoundError("User not found")
    session_cache.user_changed(user.pk)
    sessions_ended.send(user_id=user.pk)
    user.password = password_hash
    user.refresh_from_db(fields=["auth_generation"])


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
    # One name, one budget: a full-width or otherwise compatible spelling of a username is that
    # username (NFKC), for the limit and for the password check alike.
    username = User.normalize_username(username)
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
    session_cache.user_changed(user.pk)
    return user


def _release(limits: list[RateLimit]) -> None:
    for limit in limits:
        limit.release()


_REFRESH_INVALID = "Refresh token is invalid or expired."


def session_refresh(*, raw_refresh: str) -> tuple[str, str]:
    """Rotate a refresh token: the old one is blacklisted (exactly once) and a new pair issued."""
    try:
        # simplejwt's annotation says Token; it takes the encoded string (as it does here).
        old = RefreshToken(raw_refresh)  # type: ignore[arg-type]  # signature, expiry, blacklist
    except TokenError as exc:
        raise AuthenticationError(_REFRESH_INVALID) from exc
    user = User.objects.filter(pk=old.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise AuthenticationError(_REFRESH_INVALID)
    if not generation_is_current(user=user, token=old):
        raise AuthenticationError("Session has ended; sign in again.")
    session_id = old.get(SESSION_CLAIM)
    if session_id is not None and RevokedSession.objects.filter(sid=str(session_id)).exists():
        raise AuthenticationError("Session has ended; sign in again.")
    with transaction.atomic():
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=old["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise AuthenticationError("Refresh token has already been used.")
        BlacklistedToken.objects.create(token=outstanding)
    return session_tokens_for_user(user, session_id=session_id)


def session_end(*, user: User, access_token: Token | None, raw_refresh: str | None) -> None:
    """Logout: the session ends wherever copies of its tokens are.

    The session is named by the access token that authenticated the request and by the refresh
    token (cookie or body) if one of this user's is given: both carry its id, which is revoked,
    so the access token is refused at once and no refresh token of the session, rotated or not,
    renews it. The given refresh token is also blacklisted. A refresh token that is expired,
    already used or someone else's ends nothing more (logout stays idempotent).
    """
    session_ids = set()
    if access_token is not None and access_token.get(SESSION_CLAIM) is not None:
        session_ids.add(str(access_token[SESSION_CLAIM]))
    refresh = None
    if raw_refresh:
        try:
            refresh = RefreshToken(raw_refresh)  # type: ignore[arg-type]  # an encoded token
        except TokenError:
            refresh = None  # already expired or blacklisted: nothing left to end
    if refresh is not None and str(refresh.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        refresh = None
    if refresh is not None and refresh.get(SESSION_CLAIM) is not None:
        session_ids.add(str(refresh[SESSION_CLAIM]))
    now = timezone.now()
    # No token of a session outlives the last refresh token issued for it, issued before now.
    expires_at = now + api_settings.REFRESH_TOKEN_LIFETIME
    with transaction.atomic():
        acting_user_lock(user=user)  # an account deleted meanwhile: 401, not a 500 at COMMIT
        if refresh is not None:
            refresh.blacklist()
        RevokedSession.objects.filter(expires_at__lt=now).delete()
        RevokedSession.objects.bulk_create(
            [RevokedSession(sid=sid, user=user, expires_at=expires_at) for sid in session_ids],
            ignore_conflicts=True,
        )
        session_cache.user_changed(user.pk)
        sessions_ended.send(user_id=user.pk)


# Account recovery ------------------------------------------------------------------------------

RESET_LINK_INVALID = "This password reset link is invalid, used or expired."


def _reset_link(*, user: User) -> str:
    query = urlencode(
        {
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        }
    )
    return f"{settings.FRONTEND_URL.rstrip('/')}/reset-password?{query}"


def password_reset_request(*, email: str) -> None:
    """Mail a reset link to the active account with this address (case-insensitive), if any.

    The caller answers the same whatever happens here: an unknown address, the per-address limit
    reached (THROTTLE_PASSWORD_RESET_EMAIL: no mail, silently) or a failing mail server. Each case
    does the same queries, and the send itself runs off the request thread (accounts.mail), so the
    answer's timing does not tell either.
    """
    limit = RateLimit("password_reset_email", email.lower())
    within_limit = limit.hit() <= limit.limit
    user = (
        User.objects.alias(email_lower=Lower("email"))  # the unique index on LOWER(email)
        .filter(email_lower=Lower(Value(email)), is_active=True)
        .first()
    )
    if user is None or not within_limit or not user.has_usable_password():
        return
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Hello {user.username},\n\n"
        "Someone (we hope you) asked to reset the password of your MovieConnect account.\n"
        f"Choose a new password here; the link works once, for {minutes} minutes:\n\n"
        f"{_reset_link(user=user)}\n\n"
        "If you did not ask for this, ignore this message: your password stays as it is.\n"
    )
    message = EmailMessage(
        subject="Reset your MovieConnect password",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[str(user.email)],
    )
    email_send(message=message, label=f"password reset for user {user.pk}")


def _user_for_reset_uid(uid: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uid).decode("ascii"))
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None
    if not 0 < pk < 2**63:
        return None
    return User.objects.select_for_update().filter(pk=pk, is_active=True).first()


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, password: str) -> None:
    """Set a new password with a reset link's uid and token; every session of the user ends.

    Tokens are Django's PasswordResetTokenGenerator: an HMAC over the user's password hash and
    last login, so setting the password uses the token up, and so does signing in meanwhile. A
    weak password is refused before anything changes, leaving the token usable. The user's row is
    locked first (accounts.locks' order) and the save is conditional on the old hash, so two
    confirms racing with one token change the password once.
    """
    user = _user_for_reset_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise FieldValidationError({"token": [RESET_LINK_INVALID]})
    _check_password(password, user=user)
    old_hash = user.password
    user.set_password(password)
    changed = User.objects.filter(pk=user.pk, password=old_hash).update(
        password=user.password, auth_generation=F("auth_generation") + 1
    )
    if changed != 1:  # a concurrent confirm (SQLite has no row locks) used the token first
        raise FieldValidationError({"token": [RESET_LINK_INVALID]})
    session_cache.user_changed(user.pk)
    sessions_ended.send(user_id=user.pk)
