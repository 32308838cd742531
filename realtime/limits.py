"""Per-socket frame metering and the per-user socket cap (docs/REALTIME-LIMITS.md).

Both are per server process: a socket lives in one process, and the cap bounds what one user
can hold in each worker (memory, relay memberships, send buffers) without shared state that a
crashed worker would leave behind.
"""

import time
from collections import defaultdict
from typing import Any

from django.conf import settings


class FrameBucket:
    """A token bucket: `burst` tokens at most, refilled at `rate` per second."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self.refused = False  # inside a refused stretch: only its first frame gets an error

    def take(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            self.refused = False
            return True
        return False

    def debit(self, cost: float) -> None:
        """Charge work already done (a resume's replay); the balance may go negative."""
        self.tokens -= cost


def frame_bucket() -> FrameBucket:
    return FrameBucket(rate=settings.WS_FRAMES_PER_SECOND, burst=settings.WS_FRAME_BURST)


_sockets: dict[int, set[Any]] = defaultdict(set)


def socket_register(*, user_id: int, consumer: Any) -> bool:
    """Count the socket for its user; False (not counted) when the user is at the cap."""
    sockets = _sockets[user_id]
    if len(sockets) >= settings.WS_MAX_SOCKETS_PER_USER:
        if not sockets:
            del _sockets[user_id]
        return False
    sockets.add(consumer)
    return True


def socket_unregister(*, user_id: int, consumer: Any) -> None:
    sockets = _sockets.get(user_id)
    if sockets is None:
        return
    sockets.discard(consumer)
    if not sockets:
        del _sockets[user_id]


def sockets_open(*, user_id: int) -> int:
    return len(_sockets.get(user_id, ()))
