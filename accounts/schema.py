"""OpenAPI descriptions of our authentication classes (drf-spectacular extensions)."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class CookieOrHeaderJWTScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.auth.CookieOrHeaderJWTAuthentication"
    name = ["jwtCookie", "jwtBearer"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "apiKey", "in": "cookie", "name": settings.AUTH_COOKIE_ACCESS},
            {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        ]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[str]]]:
        """Either credential suffices: two alternatives, not one requirement naming both."""
        return [{"jwtCookie": []}, {"jwtBearer": []}]
