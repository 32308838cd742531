"""Django's Redis cache backend with one client, and so one connection pool, per process.

Django keeps cache objects per asyncio context, as it does database connections, so under daphne
every request built a new RedisCache, a new redis-py connection pool and a new TCP connection to
Redis for its rate-limit counter, left open until garbage collection (in the load run,
bench/load/RESULTS.md, opening them was about a tenth of a worker's CPU). redis-py's client and
pool are thread-safe: one per configuration and process serves every request.
"""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_clients: dict[tuple[tuple[str, ...], str], Any] = {}
_lock = threading.Lock()


class SharedClientRedisCache(RedisCache):
    # Set by RedisCache.__init__ (not in django-stubs).
    _servers: list[str]
    _options: dict[str, Any]
    _class: type[Any]

    @cached_property
    def _cache(self) -> Any:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            if key not in _clients:
                _clients[key] = self._class(self._servers, **self._options)
            return _clients[key]
