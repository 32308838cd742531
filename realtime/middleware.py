"""Handshake security for /ws/: the Origin check, then the same JWT validation as REST.

`OriginValidator` runs first: a cookie-authenticated handshake must come from the site itself or a
trusted origin (cross-site WebSocket hijacking); a foreign or `null` Origin is refused whatever
the token. Refusal is a close before accept, which daphne answers with HTTP 403.
`JwtAuthMiddleware` then puts `user` (AnonymousUser when the token is missing or invalid) and
`token_exp` (unix time) in the scope; the consumer closes anonymous sockets with 4401, and with
4503 when the database could not be reached (`database_unavailable`).
"""

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http.cookie import parse_cookie
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts.auth import origin_is_trusted, user_for_access_token

Scope = dict[str, Any]

logger = logging.getLogger(__name__)


def _header(scope: Scope, name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name]
    return "; ".join(values) if values else None


def handshake_token(scope: Scope) -> tuple[str | None, str | None]:
    """(raw access token, "bearer" | "cookie"); a Bearer header wins, as in REST."""
    authorization = _header(scope, b"authorization")
    if authorization is not None:
        parts = authorization.split()
        if len(parts) == 2 and parts[0] == "Bearer":
            return parts[1], "bearer"
        return None, "bearer"
    cookie = _header(scope, b"cookie")
    raw = parse_cookie(cookie).get(settings.AUTH_COOKIE_ACCESS) if cookie else None
    return (raw, "cookie") if raw else (None, None)


def origin_allowed(scope: Scope) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:  # a non-browser client; refused only when it presents a browser cookie
        return handshake_token(scope)[1] != "cookie"
    if origin == "null":
        return False
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    own = f"{scheme}://{_header(scope, b'host') or ''}"
    return origin_is_trusted(origin, own_origin=own)


class OriginValidator:
    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


@database_sync_to_async
def _authenticate(raw: str) -> tuple[Any, int | None]:
    try:
        user = user_for_access_token(raw)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser(), None
    # Signature and expiry checked above. (simplejwt annotates the token as Token: it takes str.)
    expires = AccessToken(raw, verify=False).get("exp")  # type: ignore[arg-type]
    return user, int(expires) if expires is not None else None


class JwtAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        raw, _source = handshake_token(scope)
        unavailable = False
        try:
            user, expires = await _authenticate(raw) if raw else (AnonymousUser(), None)
        except (OperationalError, InterfaceError) as exc:
            # The database is down: the consumer closes with 4503 (come back later), not 4401,
            # which would tell the page its session is over.
            logger.warning("WebSocket handshake: database unavailable: %s", exc)
            user, expires, unavailable = AnonymousUser(), None, True
        scope = {**scope, "user": user, "token_exp": expires, "database_unavailable": unavailable}
        return await super().__call__(scope, receive, send)
