"""OpenAPI generation: the schema is as complete as the API, for every view without extra work.

A client is generated from /api/schema/ (clients/typescript/): what the schema leaves out, a
client cannot use. The schema class and the postprocessing hook below add, to every operation:

- its errors, in the shapes mcbackend.api.exception_handler gives them (unless the view documents
  that status itself): 400 (field errors or `{"message"}`) when it reads a body or query parameters;
  401 when it needs a signed-in user; 403 for its unsafe methods (cookie requests from an untrusted
  Origin); 404 when its path has ids; 413 when it reads a body; 429 (`{"message", "retry_after"}`
  and `Retry-After`) when a throttle applies; 405, 406 and 503 (`Retry-After`) everywhere;
- `X-Total-Count` on the 2xx answers of lists paged by ArrayLimitOffsetPagination (a view sets
  `pagination_class`; APIViews that page by hand set it too);
- output fields marked read-only and required: every field an output serializer renders is sent,
  except declared fields with `required=False`;
- a summary from the method's docstring (or the view's, for a one-method view) when the view gives
  none in `extend_schema(summary=...)`; `security: []` on anonymous operations.

tests/api/core/test_openapi_conformance.py checks real answers of every operation against it.
"""

import re
from typing import Any, Literal

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from mcbackend.validators import NOT_BLANK, NOT_BLANK_SCHEMA_PATTERN

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_MESSAGE = {
    "type": "object",
    "description": "A request-level error; some carry extra fields (e.g. `incoming_request_id`).",
    "properties": {"message": {"type": "string", "readOnly": True}},
    "required": ["message"],
}
THROTTLED = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "readOnly": True},
        "retry_after": {
            "type": "integer",
            "minimum": 0,
            "readOnly": True,
            "description": "Seconds until a retry can succeed (also in `Retry-After`).",
        },
    },
    "required": ["message", "retry_after"],
}
VALIDATION_ERRORS = {
    "type": "object",
    "description": 'Field errors (`{"field": ["problem", ...]}`) or `{"message": "problem"}`.',
    "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
    "minProperties": 1,
}

DESCRIPTIONS = {
    "400": "Invalid input",
    "401": "Not signed in, or the session has ended",
    "403": "Not allowed (for unsafe methods: cookie request from an untrusted Origin)",
    "404": "Not found",
    "413": "Request body too large",
    "429": "Too many requests",
    "405": "Method not allowed on this path (`Allow` lists the methods it takes)",
    "406": "The `Accept` header admits no type this API answers with (it answers JSON)",
    "503": "Temporarily unavailable (the database cannot be reached): retry after `Retry-After`",
}

RETRY_AFTER = {
    "schema": {"type": "integer", "minimum": 0},
    "description": "Seconds to wait before retrying.",
}
# Answered by any operation: DRF refuses other methods and unacceptable `Accept` headers before
# the view runs, and any database access may find the database down (mcbackend.api).
EVERY_OPERATION = ("405", "406", "503")


NO_NUL = "^[^\\u0000]*$"


BLANK = {"type": "string", "maxLength": 0}


def _blank_or(schema: dict[str, Any]) -> dict[str, Any]:
    """drf-spectacular writes `allow_blank` strings as `oneOf: [string rule, {maxLength: 0}]`.
    `""` matches both branches whenever the rule itself admits it (so a `oneOf` refuses it: a
    client could not clear a bio), and the `oneOf` has no `type` beside `nullable`. State it as
    one string: the rule alone when it admits `""`, else `anyOf` the rule or blank."""
    branches = schema.get("oneOf")
    if not (isinstance(branches, list) and len(branches) == 2 and branches[1] == BLANK):
        return schema
    rule = dict(branches[0])
    rest = {k: v for k, v in schema.items() if k != "oneOf"}
    if rule.get("type") != "string":
        return schema
    admits_blank = (
        "format" not in rule
        and not rule.get("minLength")
        and re.search(rule.get("pattern", ""), "") is not None
    )
    if admits_blank:
        return {**rule, **rest}
    return {"type": "string", **rest, "anyOf": [rule, BLANK]}


def _first_sentence(doc: str) -> str:
    line = doc.strip().split("\n\n")[0].replace("\n", " ")
    return re.split(r"(?<=[.;:])\s", line, maxsplit=1)[0].rstrip(".;:")


class AutoSchema(BaseAutoSchema):
    def get_summary(self) -> str | None:
        """A view without `extend_schema(summary=...)`: its method's docstring, or the view's
        when the view answers one method only."""
        method_doc = get_doc(getattr(self.view, self.method.lower(), None))
        if method_doc:
            return _first_sentence(method_doc)
        methods = [m for m in self.view.http_method_names if m not in ("options", "head")]
        if len([m for m in methods if hasattr(self.view, m)]) == 1:
            view_doc = get_doc(self.view.__class__)
            if view_doc:
                return _first_sentence(view_doc)
        return None

    def _map_serializer_field(self, field: Any, direction: str, *args: Any, **kwargs: Any) -> Any:
        schema = super()._map_serializer_field(field, direction, *args, **kwargs)
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators)
        ):
            # DRF refuses NUL in every text field ("Null characters are not allowed.").
            if NOT_BLANK in field.validators:
                schema["pattern"] = NOT_BLANK_SCHEMA_PATTERN
            elif "pattern" in schema:
                schema["allOf"] = [{"pattern": NO_NUL}]
            else:
                schema["pattern"] = NO_NUL
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        for validator in getattr(field, "validators", []):
            # A validator may state its rule for the schema itself (accounts.validators):
            # drf-spectacular would rewrite its regex with `\u` escapes, or drop it for NO_NUL.
            pattern = getattr(validator, "schema_pattern", None)
            if pattern:
                schema.pop("allOf", None)
                schema["pattern"] = pattern
        rewritten = _blank_or(schema)
        if rewritten is not schema:
            schema.clear()
            schema.update(rewritten)

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        """Output objects: every field is read-only, and required unless the serializer declares
        it with `required=False` (ModelSerializer fields are rendered always, null or not)."""
        schema = super()._map_basic_serializer(serializer, direction)
        if direction != "response":
            return schema
        declared = getattr(serializer, "_declared_fields", {})
        required = set(schema.get("required", []))
        for name, field in serializer.fields.items():
            prop = schema.get("properties", {}).get(name)
            if prop is None:
                continue
            if "$ref" not in prop:
                prop["readOnly"] = True
            if name not in declared or field.required or field.read_only:
                required.add(name)
        if required:
            schema["required"] = sorted(required)
        return schema

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        for code, component in self._error_responses().items():
            responses.setdefault(
                code,
                {
                    "description": DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": component}},
                },
            )
        for code, documented in responses.items():
            if code.startswith(("4", "5")) and "content" not in documented:
                # A view named the status without its body: every error has one of our shapes.
                documented["content"] = {"application/json": {"schema": self._error_shape(code)}}
                if documented.get("description") in ("", "No response body"):
                    documented["description"] = DESCRIPTIONS.get(code, "")
            if code in ("429", "503"):
                headers = documented.setdefault("headers", {})
                # DRF leaves the header out when the wait is under a second; ours always sends it.
                headers.setdefault("Retry-After", {**RETRY_AFTER, "required": code == "503"})
            if code.startswith("2") and self._paginator_headers():
                documented.setdefault("headers", {}).update(self._paginator_headers())
        return responses

    def _paginator_headers(self) -> dict[str, Any]:
        paginator = self._get_paginator()
        schema_headers = getattr(paginator, "get_schema_response_headers", None)
        if schema_headers is None or not self._is_list_view():
            return {}
        return schema_headers()

    def _error_shape(self, code: str) -> dict[str, str]:
        if code == "400":
            return self._component("ValidationErrors", VALIDATION_ERRORS)
        if code == "429":
            return self._component("Throttled", THROTTLED)
        return self._component("ErrorMessage", ERROR_MESSAGE)

    def _error_responses(self) -> dict[str, dict[str, str]]:
        codes = []
        parameters = self._get_parameters()
        has_body = self.method in UNSAFE_METHODS and bool(self._get_request_body())
        if has_body or any(p.get("in") == "query" for p in parameters):
            codes.append("400")
        if self._requires_user():
            codes.append("401")
            if self.method in UNSAFE_METHODS:
                codes.append("403")
        if any(p.get("in") == "path" for p in parameters):
            codes.append("404")
        if has_body:
            codes.append("413")
        if self.view.get_throttles():
            codes.append("429")
        codes.extend(EVERY_OPERATION)
        return {code: self._error_shape(code) for code in codes}

    def _requires_user(self) -> bool:
        permissions = self.view.get_permissions()
        return bool(permissions) and not all(isinstance(p, AllowAny) for p in permissions)

    def _component(self, name: str, schema: dict[str, Any]) -> dict[str, str]:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref


AUTHENTICATION = """

## Authentication

Sign up (`POST /api/user/signup/`) or log in (`POST /api/token/`): the answer sets two HttpOnly
cookies (`Set-Cookie`), never tokens in the body:

- `access_token` (path `/`, lifetime 60 minutes by default): the credential for every other
  operation. Browsers send the cookie (unsafe methods from another site must come from a
  trusted `Origin`). Other clients read the token from `Set-Cookie` and send it as
  `Authorization: Bearer <token>`.
- `refresh_token` (path `/api/`, lifetime 7 days by default): `POST /api/token/refresh/` takes it
  from the cookie (or `{"refresh": ...}` in the body) and answers with new cookies; each refresh
  token works once.

`POST /api/user/logout/` clears both cookies and retires the refresh token; a password change or
account deletion ends every session of the user. An ended or expired session answers 401.

Lists that grow are paged with `?limit=&offset=`: the body stays an array and `X-Total-Count`
carries the total. Errors are JSON: `{"message": ...}`, or `{"field": ["problem"]}` for bad input.
"""


def complete_schema(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: what no single operation knows."""
    info = result.setdefault("info", {})
    if "## Authentication" not in info.get("description", ""):
        info["description"] = info.get("description", "") + AUTHENTICATION
    for item in result.get("paths", {}).values():
        for operation in item.values():
            # No requirement listed means "the default", not "none": say it is anonymous.
            if operation.get("security", [{}]) == [{}]:
                operation["security"] = []
    _unwrap_tagged_unions(result.get("components", {}).get("schemas", {}))
    return result


def _unwrap_tagged_unions(schemas: dict[str, Any]) -> None:
    """A property holding a tagged union (a component with a `discriminator`) refers to it
    directly, not through drf-spectacular's `allOf: [$ref]` wrapper (added to carry `readOnly`).
    Generators read the wrapper as "this object is a subtype of the union" and drop the tag:
    openapi-typescript typed such a field `Omit<Union, "type">`, which no client can narrow."""
    unions = {
        f"#/components/schemas/{name}"
        for name, schema in schemas.items()
        if "discriminator" in schema
    }
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            wrapped = prop.get("allOf", [])
            if len(wrapped) == 1 and wrapped[0].get("$ref") in unions:
                schema["properties"][name] = {"$ref": wrapped[0]["$ref"]}
