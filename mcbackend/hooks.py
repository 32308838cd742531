"""Hooks: how a lower app asks higher apps to do their part without importing them.

The app that owns an event declares a `Hook` in its `hooks.py` and calls `send(...)` where the
event happens; an app above it registers a receiver in its `AppConfig.ready()`. Receivers run
synchronously, in registration order (INSTALLED_APPS order), inside the caller's transaction,
and an exception in one propagates to the caller (`send_robust` logs it instead, for hooks sent
where no caller is waiting): a hook is part of the use case, not a
fire-and-forget notification (unlike Django signals, which also hide who listens).
docs/ARCHITECTURE.md lists every hook and its receivers.
"""

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Receiver = Callable[..., Any]


class Hook:
    def __init__(self, name: str, *, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._receivers: list[Receiver] = []

    def register(self, receiver: Receiver) -> Receiver:
        """Add a receiver (once; registering it again is a no-op). Usable as a decorator."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    def unregister(self, receiver: Receiver) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    @property
    def receivers(self) -> tuple[Receiver, ...]:
        return tuple(self._receivers)

    def send(self, **kwargs: Any) -> list[Any]:
        """Call every receiver with the keyword arguments; returns their results in order."""
        return [receiver(**kwargs) for receiver in self._receivers]

    def send_robust(self, **kwargs: Any) -> None:
        """Call every receiver, each on its own: one that raises is logged and the others still
        run. For hooks sent outside a request (ml's refresh), where no caller can be told."""
        for receiver in self._receivers:
            try:
                receiver(**kwargs)
            except Exception:
                logger.exception("%r: receiver %r failed (%r)", self, receiver, kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._receivers)} receivers>"
