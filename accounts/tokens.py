"""Issuing and checking session tokens (SimpleJWT) and the cookies that carry them."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts.models import User

GENERATION_CLAIM = "gen"


def session_tokens_for_user(user: User) -> tuple[str, str]:
    """A fresh (access, refresh) pair; both carry the user's current auth generation."""
    refresh = RefreshToken.for_user(user)
    refresh[GENERATION_CLAIM] = user.auth_generation
    return str(refresh.access_token), str(refresh)


def generation_is_current(*, user: User, token: Token) -> bool:
    """False for tokens issued before the user's last password change."""
    return bool(token.get(GENERATION_CLAIM) == user.auth_generation)


def check_generation(*, user: User, token: Token) -> None:
    """Refuse tokens issued before the user's last password change (authentication classes)."""
    if not generation_is_current(user=user, token=token):
        raise AuthenticationFailed("Session has ended; sign in again.", code="token_not_valid")


def set_auth_cookies(
    response: HttpResponse, request: HttpRequest, *, access: str, refresh: str
) -> None:
    secure = settings.AUTH_COOKIE_SECURE or request.is_secure()
    response.set_cookie(
        settings.AUTH_COOKIE_ACCESS,
        access,
        max_age=int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        httponly=True,
        secure=secure,
        samesite=settings.AUTH_COOKIE_SAMESITE,
        path="/",
    )
    response.set_cookie(
        settings.AUTH_COOKIE_REFRESH,
        refresh,
        max_age=int(api_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        httponly=True,
        secure=secure,
        samesite=settings.AUTH_COOKIE_SAMESITE,
        path=settings.AUTH_COOKIE_REFRESH_PATH,
    )


def clear_auth_cookies(response: HttpResponse) -> None:
    response.delete_cookie(
        settings.AUTH_COOKIE_ACCESS, path="/", samesite=settings.AUTH_COOKIE_SAMESITE
    )
    response.delete_cookie(
        settings.AUTH_COOKIE_REFRESH,
        path=settings.AUTH_COOKIE_REFRESH_PATH,
        samesite=settings.AUTH_COOKIE_SAMESITE,
    )
