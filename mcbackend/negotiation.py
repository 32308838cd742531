"""Content negotiation remembered per Accept header.

Every API response picks its renderer from the request's `Accept` header (DRF's
DefaultContentNegotiation). Parsing and ranking the header's media types cost about a tenth of a
cheap signed-in read (`GET /api/notifications/unread-count/`, bench/social), while clients send
the same few headers on every request. The choice depends only on the header, the `?format=`
override, the format suffix and the view's renderers, so each process keeps it for the headers
it has seen, in a bounded table: the same renderer and media type as DRF's answer, and DRF's own
error (406, or 404 for an unknown format) whenever it refuses, since refusals are not kept.
"""

import functools
from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

CHOICES_KEPT = 256  # distinct (Accept header, format, renderers) combinations per process


class RememberingContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        kinds = tuple(type(renderer) for renderer in renderers)
        format_ = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        accept = request.META.get("HTTP_ACCEPT")
        index, media_type = _choice(kinds, accept, format_, format_suffix is not None)
        return renderers[index], media_type


@functools.lru_cache(maxsize=CHOICES_KEPT)
def _choice(
    kinds: tuple[type[BaseRenderer], ...], accept: str | None, format_: str | None, suffix: bool
) -> tuple[int, str]:
    """(index of the chosen renderer, media type) as DRF's negotiation answers for these inputs;
    raises DRF's exception (not kept) when it refuses."""
    renderers = [kind() for kind in kinds]
    request: Any = _NegotiationInput(accept, format_)
    chosen, media_type = DefaultContentNegotiation().select_renderer(
        request, renderers, format_ if suffix else None
    )
    return renderers.index(chosen), media_type


class _NegotiationInput:
    """The two things DRF's negotiation reads from a request: the Accept header and `?format=`."""

    def __init__(self, accept: str | None, format_: str | None) -> None:
        self.headers = {} if accept is None else {"accept": accept}
        param = DefaultContentNegotiation.settings.URL_FORMAT_OVERRIDE
        self.query_params = {} if format_ is None else {param: format_}
