"""Request parsers that refuse oversized and pathological bodies with a 4xx, never a 500."""

from typing import Any

from django.conf import settings
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "too_large"


class BoundedParserMixin:
    """Checks the declared length before reading, and turns deep nesting into a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError as exc:
                raise exceptions.ParseError("Invalid Content-Length.") from exc
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                raise RequestTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)  # type: ignore[misc]
        except RecursionError as exc:
            raise exceptions.ParseError("JSON is nested too deeply.") from exc


class JSONParser(BoundedParserMixin, parsers.JSONParser):
    pass


class FormParser(BoundedParserMixin, parsers.FormParser):
    """A form means what the same JSON object means (see `_as_plain_dict`)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return _as_plain_dict(super().parse(stream, media_type, parser_context))


class MultiPartParser(BoundedParserMixin, parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(_as_plain_dict(parsed.data), parsed.files)


def _as_plain_dict(data: Any) -> dict[str, Any]:
    """DRF gives HTML form input (a QueryDict) its own meaning: a blank value of an optional
    field counts as absent, and an absent boolean counts as false, so a form PATCH of `bio`
    alone would make a private profile public. As a plain dict (the last value of each key,
    no input takes lists) a form is read exactly like JSON."""
    return data.dict() if hasattr(data, "dict") else dict(data)
