"""Checks of real responses against our OpenAPI schema (OpenAPI 3.0, as drf-spectacular writes it).

Used by tests/api/core/test_openapi_conformance.py and tests/security/test_fuzz.py. A response
conforms when its status is documented for the operation, its JSON body validates against the
documented schema (closed: a field the schema does not name is a failure too, so the schema stays
as complete as the API), and every documented header that is required is there and parses.
"""

import json
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def to_json_schema(node: Any, *, closed: bool) -> Any:
    """OpenAPI 3.0 schema objects to JSON Schema 2020-12: `nullable` becomes a `null` type, and
    with `closed`, objects with `properties` and no `additionalProperties` admit no others."""
    if isinstance(node, list):
        return [to_json_schema(item, closed=closed) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_json_schema(value, closed=closed) for key, value in node.items()}
    for key in ("readOnly", "writeOnly", "example", "discriminator", "xml", "externalDocs"):
        out.pop(key, None)
    if closed and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str) and not any(k in out for k in ("anyOf", "oneOf")):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def operations(schema: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path template, operation) for every operation of the schema."""
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


class ResponseChecker:
    def __init__(self, schema: Mapping[str, Any], *, closed: bool = True) -> None:
        self.schema = schema
        self.components = to_json_schema(schema.get("components", {}), closed=closed)
        self.closed = closed

    def operation(self, method: str, template: str) -> dict[str, Any]:
        return self.schema["paths"][template][method.lower()]

    def problems(
        self,
        method: str,
        template: str,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
    ) -> list[str]:
        """What about this response the schema does not document (empty when it conforms)."""
        where = f"{method} {template} -> {status}"
        responses = self.operation(method, template)["responses"]
        documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
        if documented is None:
            return [f"{where}: status not documented (documented: {sorted(responses)})"]
        found: list[str] = []
        lowered = {name.lower(): value for name, value in headers.items()}
        for name, header in documented.get("headers", {}).items():
            value = lowered.get(name.lower())
            if value is None:
                if header.get("required"):
                    found.append(f"{where}: required header {name} missing")
                continue
            found += [f"{where}: header {name}: {p}" for p in self._header_problems(header, value)]
        media = documented.get("content")
        if not media:
            if content:
                found.append(f"{where}: documented without a body, got {content[:80]!r}")
            return found
        content_type = lowered.get("content-type", "").split(";")[0].strip()
        if content_type not in media:
            return [*found, f"{where}: content type {content_type!r} not in {sorted(media)}"]
        try:
            body = json.loads(content)
        except ValueError:
            return [*found, f"{where}: body is not JSON: {content[:80]!r}"]
        found += [f"{where}: body {p}" for p in self._errors(media[content_type]["schema"], body)]
        return found

    def request_problems(self, method: str, template: str, body: Any) -> list[str]:
        """What the documented JSON request body refuses of `body` (that the server took)."""
        request = self.operation(method, template).get("requestBody")
        if request is None:
            return [f"{method} {template}: takes a body the schema does not document"]
        schema = request["content"]["application/json"]["schema"]
        return [f"{method} {template}: request {p}" for p in self._errors(schema, body)]

    def _header_problems(self, header: Mapping[str, Any], value: str) -> list[str]:
        schema = header.get("schema", {})
        parsed: Any = value
        if schema.get("type") == "integer":
            try:
                parsed = int(value)
            except ValueError:
                return [f"{value!r} is not an integer"]
        return self._errors(schema, parsed)

    def _errors(self, schema: Mapping[str, Any], instance: Any) -> list[str]:
        root = {
            "allOf": [to_json_schema(schema, closed=self.closed)],
            "components": self.components,
        }
        validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [
            f"at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]
