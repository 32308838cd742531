"""Django's Redis cache backend with one client, and so one connection pool, per process.

Django keeps cache objects per asyncio context, as it does database connections, so under daphne
every request built a new RedisCache, a new redis-py connection pool and a new TCP connection to
Redis for its rate-limit counter, left open until garbage collection (in the load run,
bench/load/RESULTS.md, opening them was about a tenth of a worker's CPU). redis-py's client and
pool are thread-safe: one per configuration and process serves every request. Django's client
also built a new `redis.Redis` object for every command (`get_client`), about as long as the
command's round trip itself (bench/social/RESULTS.md): each pool's one is kept instead.
"""

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[tuple[tuple[str, ...], str], Any] = {}
_lock = threading.Lock()


class _KeptClientRedisCacheClient(RedisCacheClient):
    """One `redis.Redis` per connection pool, made once (it is thread-safe)."""

    _pools: dict[int, Any]
    _client: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django private
        client = self._kept.get(id(pool))
        if client is None:
            client = self._kept.setdefault(id(pool), self._client(connection_pool=pool))
        return client


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
                _clients[key] = _KeptClientRedisCacheClient(self._servers, **self._options)
            return _clients[key]
