"""Project-wide API conventions: error bodies, array pagination, optional trailing slashes."""

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import Count, QuerySet, Window
from django.db.models.query import ModelIterable, ValuesIterable, ValuesListIterable
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
        body: dict[str, Any] = {"message": exc.message, **exc.extra}
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
    if response is None or not isinstance(exc, exceptions.APIException):
        return response  # DRF renders only its own exceptions
    if isinstance(exc, exceptions.ValidationError):
        response.data = _field_errors(exc.detail)
    else:
        body = {"message": _text(exc.detail)}
        wait = getattr(exc, "wait", None)  # Throttled's (not in the DRF stubs)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            body["retry_after"] = int(wait + 0.999)
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


_TOTAL = "page_total_count"


def _counts_in_window(items: Any) -> bool:
    """Whether a page of `items` can carry the total (a plain queryset of models, dicts or
    tuples; not DISTINCT or a UNION, where a window would count before the rows are merged)."""
    return (
        isinstance(items, QuerySet)
        and items._iterable_class in (ModelIterable, ValuesIterable, ValuesListIterable)
        and not items.query.distinct
        and not items.query.combinator
        and not items.query.is_sliced
    )


class ArrayLimitOffsetPagination(LimitOffsetPagination):
    """`?limit=&offset=` with a plain JSON array body and the total in `X-Total-Count`.

    Limits above the maximum are clamped; non-numeric or negative values are a 400.
    """

    default_limit = 50
    max_limit = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        self.limit = limit = self.get_limit(request)
        self.offset = offset = self.get_offset(request)
        if limit > 0 and _counts_in_window(queryset):
            return self._page_with_count(queryset, limit=limit, offset=offset)
        self.count = self.get_count(queryset)
        if self.count == 0 or self.offset >= self.count or self.limit == 0:
            return []
        return list(queryset[self.offset : self.offset + self.limit])

    def _page_with_count(self, queryset: QuerySet[Any], *, limit: int, offset: int) -> list[Any]:
        """The page and the total in one query (`COUNT(*) OVER ()` is computed before LIMIT),
        instead of a COUNT query and then the page: a query less on every paged list. Past the
        last page there is no row to carry the total, so only then is it counted apart."""
        window = queryset.annotate(**{_TOTAL: Window(Count("*"))})
        rows = list(window[offset : offset + limit])
        if not rows:
            self.count = 0 if offset == 0 else self.get_count(queryset)
            return []
        iterable = queryset._iterable_class
        if iterable is ModelIterable:
            self.count = getattr(rows[0], _TOTAL)
        elif iterable is ValuesIterable:
            self.count = rows[0][_TOTAL]
            for row in rows:
                del row[_TOTAL]
        else:  # ValuesListIterable: the annotation is the last column
            self.count = rows[0][-1]
            rows = [row[:-1] for row in rows]
        return rows

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
