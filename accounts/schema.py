"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

COOKIE_ATTRIBUTES = "HttpOnly; SameSite=Lax; Secure over HTTPS"


def set_cookie(*statuses: int, clears: bool = False) -> OpenApiParameter:
    """The `Set-Cookie` header of the answers that start, renew or end a session."""
    if clears:
        description = (
            'Clears both session cookies: `access_token=""; Max-Age=0; Path=/` and '
            '`refresh_token=""; Max-Age=0; Path=/api/`.'
        )
    else:
        description = (
            "Sent twice, one per cookie: `access_token=<JWT>; Path=/; Max-Age=<access lifetime>` "
            "(the credential for every other operation, or its value as a Bearer token) and "
            "`refresh_token=<JWT>; Path=/api/; Max-Age=<refresh lifetime>` (for "
            f"`POST /api/token/refresh/`); both {COOKIE_ATTRIBUTES}."
        )
    return OpenApiParameter(
        "Set-Cookie",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=list(statuses),
        required=True,
        description=description,
    )


REFRESH_COOKIE = OpenApiParameter(
    "refresh_token",
    OpenApiTypes.STR,
    location=OpenApiParameter.COOKIE,
    required=False,
    description="The refresh token, set by sign-up, login and refresh (path `/api/`, HttpOnly). "
    "Browsers send it by themselves.",
)


class CookieOrHeaderJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.auth.CookieOrHeaderJWTAuthentication"
    name = ["jwtCookie", "jwtBearer"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "apiKey",
                "in": "cookie",
                "name": settings.AUTH_COOKIE_ACCESS,
                "description": "For browsers. Sign-up (`POST /api/user/signup/`) and login "
                "(`POST /api/token/`) set the HttpOnly `access_token` cookie, and "
                "`POST /api/token/refresh/` renews it from the `refresh_token` cookie "
                "(path `/api/`). Unsafe methods sent with the cookie from another site must "
                "come from a trusted `Origin` (else 403).",
            },
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "For other clients: the value of the `access_token` cookie from "
                "the `Set-Cookie` of sign-up, login or refresh, sent as "
                "`Authorization: Bearer <token>`.",
            },
        ]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        """Either credential suffices: two alternatives, not one requirement naming both."""
        return [{"jwtCookie": []}, {"jwtBearer": []}]
