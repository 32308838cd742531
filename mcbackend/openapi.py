"""OpenAPI generation: every operation documents the errors it can really answer.

mcbackend.api.exception_handler gives every error one of two shapes; this schema class adds them to
each operation (unless the view documents that status itself), so clients and the API fuzzer
(tests/security/test_fuzz.py) know every status an operation may return:

- 400 (field errors or `{"message"}`) when the operation reads a body or query parameters;
- 401 when it needs a signed-in user; 403 for its unsafe methods (cookie requests from an
  untrusted Origin); 404 when its path has ids; 413 when it reads a body;
- 429 (`{"message", "retry_after"}`) when a throttle applies.
"""

from typing import Any, Literal

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from mcbackend.validators import NOT_BLANK, NOT_BLANK_SCHEMA_PATTERN

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_MESSAGE = {
    "type": "object",
    "description": "A request-level error; some carry extra fields (e.g. `incoming_request_id`).",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
}
THROTTLED = {
    "type": "object",
    "properties": {
        "message": {"type": "string"},
        "retry_after": {"type": "integer", "description": "Seconds until a retry can succeed."},
    },
    "required": ["message"],
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
}


NO_NUL = "^[^\\u0000]*$"


class AutoSchema(BaseAutoSchema):
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
            if code.startswith("4") and "content" not in documented:
                # A view named the status without its body: every error has one of our shapes.
                documented["content"] = {"application/json": {"schema": self._error_shape(code)}}
        return responses

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
