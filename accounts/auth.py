"""REST authentication: SimpleJWT access token from the `access_token` cookie or a Bearer header.

Cookie-authenticated unsafe requests must come from the site itself or a trusted origin (API.md
"Cross-site safety"); a request without `Origin` is a non-browser client and passes.
"""

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token

from accounts import session_cache
from accounts.models import RevokedSession, User
from accounts.tokens import SESSION_CLAIM, check_generation
from mcbackend.throttling import count_with_authentication, user_rate_limit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

if TYPE_CHECKING:

    class AuthenticatedRequest(Request):
        """What a view behind IsAuthenticated (the default permission) receives: its user is a
        User, never AnonymousUser. For annotations only: at run time it is DRF's Request."""

        @property
        def user(self) -> User: ...
        @user.setter
        def user(self, value: User) -> None: ...

else:
    AuthenticatedRequest = Request


def origin_is_trusted(origin: str | None, *, own_origin: str) -> bool:
    """True for no Origin (non-browser client), the site itself, or a configured trusted origin."""
    if origin is None:
        return True
    return origin == own_origin or origin in settings.TRUSTED_ORIGINS


# Tokens this process has verified: raw token -> (its expiry, the token). Verifying (signature,
# claims) is a pure function of the raw token but for the clock, and cost about 0.15 ms a
# request; the expiry is checked on every use. Emptied when full.
_verified: dict[bytes, tuple[float, Token]] = {}
VERIFIED_MAX_ENTRIES = 10_000


class CookieOrHeaderJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        entry = _verified.get(raw_token)
        if entry is not None and time.time() < entry[0]:
            return entry[1]
        token = super().get_validated_token(raw_token)
        expires = token.get("exp")
        if isinstance(expires, int | float):
            if len(_verified) >= VERIFIED_MAX_ENTRIES:
                _verified.clear()
            _verified[raw_token] = (float(expires), token)
        return token

    def authenticate(self, request: Request) -> tuple[User, Token] | None:  # type: ignore[override]
        header = self.get_header(request)
        if header is not None:
            raw = self.get_raw_token(header)
            if raw is None:
                return None
            token = self.get_validated_token(raw)
            return self.get_user(token, request=request), token

        raw_cookie = request.COOKIES.get(settings.AUTH_COOKIE_ACCESS)
        if not raw_cookie:
            return None
        token = self.get_validated_token(raw_cookie.encode())
        user = self.get_user(token, request=request)
        if request.method not in SAFE_METHODS:
            own = f"{request.scheme}://{request.get_host()}"
            if not origin_is_trusted(request.headers.get("Origin"), own_origin=own):
                raise exceptions.PermissionDenied("Cross-site request refused: untrusted Origin.")
        return user, token

    def get_user(  # type: ignore[override]
        self, validated_token: Token, *, request: Request | None = None
    ) -> User:
        """SimpleJWT's checks (user exists and is active), the auth generation, and whether the
        token's session was ended by a logout: from the one query that loads the user, or from
        this process's copy of its result while the user's rows are unchanged
        (accounts.session_cache). Given the request, its rate-limit hit is counted in the same
        round trip as the cache's check (mcbackend.throttling.UserRateThrottle)."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        sid = validated_token.get(SESSION_CLAIM)
        session_id = None if sid is None else str(sid)
        rate_limit = None if request is None else user_rate_limit(request, user_id)
        also = _keys_read_with_authentication(request, user_id)
        user, revoked, hits, values = session_cache.user_and_revoked(
            user_id,
            session_id,
            partial(_load_user, user_id, session_id),
            rate_limit=rate_limit,
            also=also,
        )
        if request is not None and rate_limit is not None and hits is not None:
            count_with_authentication(request, rate_limit, hits)
        if request is not None and also and values is not None:
            setattr(request._request, _READ_WITH_AUTHENTICATION, values)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if revoked:
            raise AuthenticationFailed("Session has ended; sign in again.", code="token_not_valid")
        check_generation(user=user, token=validated_token)
        return user


_READ_WITH_AUTHENTICATION = "cache_values_read_with_authentication"


def _keys_read_with_authentication(request: Request | None, user_id: object) -> tuple[str, ...]:
    """The cache keys the request's view reads in authentication's round trip: its
    `read_with_authentication(user_id)`, when it has one."""
    view = None if request is None else (request.parser_context or {}).get("view")
    keys = getattr(view, "read_with_authentication", None)
    return () if keys is None else tuple(keys(user_id))


def values_read_with_authentication(request: Request) -> dict[str, Any] | None:
    """The cache's values of the keys the view named in `read_with_authentication`, read in the
    round trip that authenticated the request (accounts.session_cache); None when that round
    trip did not read them (the cache unreachable, a forced authentication in tests)."""
    values: dict[str, Any] | None = getattr(request._request, _READ_WITH_AUTHENTICATION, None)
    return values


def _load_user(user_id: object, session_id: str | None) -> tuple[User | None, bool]:
    """The user's row, and whether the session was revoked, in one query."""
    users: Any = User.objects.filter(**{api_settings.USER_ID_FIELD: user_id})
    if session_id is not None:
        revoked = RevokedSession.objects.filter(sid=session_id, user=OuterRef("pk"))
        users = users.annotate(session_revoked=Exists(revoked))
    user = users.first()
    return user, bool(user is not None and session_id is not None and user.session_revoked)


def user_for_access_token(raw: str) -> User:
    """Validate a raw access token as the REST API does (the WebSocket handshake uses it)."""
    auth = CookieOrHeaderJWTAuthentication()
    return auth.get_user(auth.get_validated_token(raw.encode()))


class AnonymousEndpointAuthentication(JWTAuthentication):
    """For sign-up, login and refresh: never authenticates (a stale cookie must not block them),
    but keeps the `WWW-Authenticate` header so failed logins answer 401, not 403."""

    def authenticate(self, request: Request) -> None:
        return None
