"""JSON rendering with orjson: the same bytes as DRF's compact UTF-8 JSONRenderer for what our
serializers produce, in a fraction of the time (bench/http/RESULTS.md)."""

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_encoder = JSONEncoder()  # what orjson does not know (lazy strings, Decimal, querysets ...)
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class ORJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_encoder.default, option=_OPTIONS)
