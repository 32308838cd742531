"""Fixed-window rate limits on the shared cache (Redis in production, so all workers agree).

When the cache is unreachable (Redis down) the limits fail open: requests are served uncounted
and a warning is logged, so a Redis outage degrades rate limiting instead of failing every request.
"""

import functools
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils.crypto import salted_hmac
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\w*\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int]:
    """`"5/15m"` -> (5, 900); `"1000/min"` -> (1000, 60); `"50/hour"` -> (50, 3600)."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"Bad throttle rate {rate!r}; expected e.g. '5/15m' or '50/h'.")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _SECONDS[unit]


@functools.lru_cache(maxsize=4096)
def _ident_hash(ident: str, secret: str) -> str:
    """The key's hash of an ident (kept per process: every signed-in request computed its
    user's). `secret` is SECRET_KEY, which keys the hash, so a new key gives new hashes."""
    return salted_hmac("throttle", ident, secret=secret, algorithm="sha256").hexdigest()[:32]


@dataclass
class RateLimit:
    """At most `limit` hits per `period` seconds for one (scope, ident) pair."""

    scope: str
    ident: str

    def __post_init__(self) -> None:
        self.limit, self.period = parse_rate(settings.THROTTLE_RATES[self.scope])
        window = int(time.time()) // self.period
        # Idents are client input (login usernames): a keyed hash keeps keys short, printable
        # (memcached-safe) and unreadable to whoever can list the cache.
        ident = _ident_hash(str(self.ident), settings.SECRET_KEY)
        self.key = f"throttle:{self.scope}:{ident}:{window}"
        self.retry_after = (window + 1) * self.period - time.time()

    def hit(self) -> int:
        try:
            return self._hit()
        except Exception as exc:  # cache unreachable: fail open (module docstring)
            logger.warning("Rate limit %s not counted, cache unavailable: %s", self.scope, exc)
            return 0

    def _hit(self) -> int:
        backend = caches["default"]
        if isinstance(backend, RedisCache):
            # One round trip (SET NX starts the window's counter with its expiry, INCR counts),
            # where add() + incr() take three (SET NX, EXISTS, INCRBY).
            key = backend.make_and_validate_key(self.key)
            pipe = backend._cache.get_client(key, write=True).pipeline(transaction=False)
            pipe.set(key, 0, ex=self.period + 1, nx=True)
            pipe.incr(key)
            return int(pipe.execute()[1])
        if cache.add(self.key, 1, timeout=self.period + 1):
            return 1
        try:
            return cache.incr(self.key)
        except ValueError:  # expired between add and incr
            cache.add(self.key, 1, timeout=self.period + 1)
            return 1

    def hit_and_get(self, *keys: str) -> tuple[int, list[Any]]:
        """Count a hit and read the cache's `keys` in the same round trip (authentication reads
        the user's stamp so: accounts.session_cache; and whatever its view reads with it).
        Raises when the cache is unreachable."""
        backend = caches["default"]
        if not isinstance(backend, RedisCache):
            return self._hit(), [cache.get(key) for key in keys]
        # make_key: these keys are ours, printable and short; Django's validation (memcached's
        # rules, a warning per bad key) was a tenth of a signed-in request's CPU (bench/social).
        counter = backend.make_key(self.key)
        pipe = backend._cache.get_client(counter, write=True).pipeline(transaction=False)
        # execute_command: redis-py's set()/get() wrappers (argument deprecation checks) were
        # another twentieth of the request.
        pipe.execute_command("SET", counter, 0, "EX", self.period + 1, "NX")
        pipe.execute_command("INCR", counter)
        for key in keys:
            pipe.execute_command("GET", backend.make_key(key))
        _, hits, *raw = pipe.execute()
        loads = backend._cache._serializer.loads  # type: ignore[attr-defined]
        return int(hits), [None if value is None else loads(value) for value in raw]

    def release(self) -> None:
        """Give back one hit: a reservation that turned out not to count (a successful login,
        see accounts.services.session_login)."""
        try:
            cache.decr(self.key)
        except ValueError:  # the window ended meanwhile: nothing to give back
            return
        except Exception:  # cache unreachable: nothing was counted, nothing to give back
            return


def client_address(request: Request) -> str:
    # None when the server gave no peer address (e.g. a WSGI test client): one shared bucket.
    return BaseThrottle().get_ident(request) or "unknown"


class ScopedThrottle(BaseThrottle):
    """Counts every request of the scope; subclasses say whose requests they are."""

    scope = ""

    def ident(self, request: Request) -> str:
        return client_address(request)

    def allow_request(self, request: Request, view: object) -> bool:
        self.rate_limit = RateLimit(self.scope, self.ident(request))
        return self.rate_limit.hit() <= self.rate_limit.limit

    def wait(self) -> float:
        return self.rate_limit.retry_after


class UserRateThrottle(ScopedThrottle):
    """The default for every endpoint: per user, per address when anonymous.

    A signed-in request's hit is usually counted already, by authentication, in the round trip
    that reads the user's stamp (`count_with_authentication`); this throttle then only
    compares."""

    scope = "user"

    def ident(self, request: Request) -> str:
        user = request.user
        if user is not None and user.is_authenticated:
            return f"user-{user.pk}"
        return f"addr-{client_address(request)}"

    def allow_request(self, request: Request, view: object) -> bool:
        counted = getattr(request._request, _COUNTED, None)
        if counted is None:
            return super().allow_request(request, view)
        self.rate_limit, hits = counted
        return bool(hits <= self.rate_limit.limit)


_COUNTED = "user_rate_limit_counted"


def user_rate_limit(request: Request, user_id: object) -> RateLimit | None:
    """The UserRateThrottle bucket of a request by `user_id`, when its view applies that
    throttle (authentication counts the hit: see UserRateThrottle)."""
    view = (request.parser_context or {}).get("view")
    classes = getattr(view, "throttle_classes", ())
    if not any(issubclass(c, UserRateThrottle) for c in classes):
        return None
    return RateLimit(UserRateThrottle.scope, f"user-{user_id}")


def count_with_authentication(request: Request, rate_limit: RateLimit, hits: int) -> None:
    setattr(request._request, _COUNTED, (rate_limit, hits))


class SignupThrottle(ScopedThrottle):
    scope = "signup_address"


class PasswordResetThrottle(ScopedThrottle):
    """Reset requests per client address (the per-email limit is silent: accounts.services)."""

    scope = "password_reset_address"
