"""Project-wide API conventions: error bodies, array pagination, optional trailing slashes."""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.urls import URLPattern, path
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from mcbackend.exceptions import (
    ApplicationError,
    AuthenticationError,
    FieldValidationError,
    RateLimitError,
)
from mcbackend.parsers import RequestTooLarge

logger = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER = 5


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render API errors as `{"message": ...}`, or DRF's `{"field": [...]}` for field errors."""
    if isinstance(exc, FieldValidationError):
        return Response(exc.errors, status=exc.status_code)
    if isinstance(exc, ApplicationError):
        headers: dict[str, str] = {}
        if isinstance(exc, AuthenticationError):
            view, request = context.get("view"), context.get("request")
            challenge = view.get_authenticate_header(request) if view and request else None
            if challenge:
                headers["WWW-Authenticate"] = challenge
        elif isinstance(exc, RateLimitError):
            headers["Retry-After"] = str(exc.wait)
        body = {"message": exc.message, **exc.extra}
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is unreachable (down, restarting, connection lost): a temporary outage,
        # not a bug. Answer fast with 503 so clients and load balancers retry.
        logger.warning("Database unavailable: %s", exc)
        return Response(
            {"message": "Service temporarily unavailable"},
            status=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found")
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"message": exc.messages}
        )
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        # API.md: bad input is a 400 that names the problem.
        exc = exceptions.ParseError(exc.detail)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _field_errors(exc.detail)
    else:
        body: dict[str, Any] = {"message": _text(exc.detail)}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after"] = int(exc.wait + 0.999)
        response.data = body
    return response


def _text(detail: Any) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_text(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(_text(d) for d in detail.values())
    return str(detail)


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        errors = dict(detail)
        non_field = errors.pop("non_field_errors", None)
        if non_field is not None:
            errors["message"] = _text(non_field)
        return errors
    return {"message": _text(detail)}


class ArrayLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=&offset=` with a plain JSON array body and the total in `X-Total-Count`.

    Limits above the maximum are clamped; non-numeric or negative values are a 400.
    """

    default_limit = 50
    max_limit = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.count = self.get_count(queryset)
        if self.count == 0 or self.offset >= self.count or self.limit == 0:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def get_limit(self, request: Request) -> int:
        value = self._non_negative_int(request, self.limit_query_param, self.default_limit)
        return min(value, self.max_limit)

    def get_offset(self, request: Request) -> int:
        return self._non_negative_int(request, self.offset_query_param, 0)

    @staticmethod
    def _non_negative_int(request: Request, name: str, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value < 0 or len(raw) > 12:
            raise exceptions.ValidationError({name: ["Must be a non-negative integer."]})
        return value

    def get_paginated_response(self, data: Any) -> Response:
        return Response(data, headers={"X-Total-Count": str(self.count)})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return schema

    def get_schema_response_headers(self) -> dict[str, Any]:
        """Headers of a page (mcbackend.openapi puts them on every paged list's 2xx answers)."""
        return {
            "X-Total-Count": {
                "schema": {"type": "integer", "minimum": 0},
                "required": True,
                "description": "How many results there are in all, across every page.",
            }
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        integer = {"type": "integer", "minimum": 0, "maximum": 10**12 - 1}
        return [
            {
                "name": self.limit_query_param,
                "required": False,
                "in": "query",
                "description": f"Page size (default {self.default_limit}; values above "
                f"{self.max_limit} are clamped; empty means the default).",
                "schema": integer,
                "allowEmptyValue": True,
            },
            {
                "name": self.offset_query_param,
                "required": False,
                "in": "query",
                "description": "How many results to skip (empty means 0).",
                "schema": integer,
                "allowEmptyValue": True,
            },
        ]


def paginated_response(
    *,
    items: Any,
    request: Request,
    serialize: Callable[[list[Any]], Any],
    paginator: ArrayLimitOffsetPagination | None = None,
) -> Response:
    """Paginate a queryset or list inside an APIView and render the page."""
    paginator = paginator or ArrayLimitOffsetPagination()
    page = paginator.paginate_queryset(items, request)
    return paginator.get_paginated_response(serialize(page))


def optional_slash(route: str, view: Callable[..., Any], *, name: str) -> list[URLPattern]:
    """Route `route` with and without its trailing slash, so no client is redirected."""
    bare = route.rstrip("/")
    return [path(f"{bare}/", view, name=name), path(bare, view)]


def drop_slashless_paths(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    """drf-spectacular preprocessing hook: document each path once, in its slash form."""
    return [e for e in endpoints if e[0].endswith("/")]
