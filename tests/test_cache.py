"""The Redis cache keeps one client (one connection pool) per process and configuration.

Django builds a cache object per asyncio context, i.e. per request under daphne; before, each
one opened its own Redis connection (bench/load/RESULTS.md). No Redis server is needed here:
redis-py connects lazily, and these tests only compare objects.
"""

from mcbackend.cache import SharedClientRedisCache

OPTIONS = {"OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}


def test_cache_objects_of_different_requests_share_one_client_and_pool():
    first = SharedClientRedisCache("redis://127.0.0.1:6379/7", OPTIONS)
    second = SharedClientRedisCache("redis://127.0.0.1:6379/7", OPTIONS)

    assert first is not second
    assert first._cache is second._cache
    assert first._cache._get_connection_pool(write=True) is second._cache._get_connection_pool(
        write=True
    )


def test_another_configuration_gets_its_own_client():
    first = SharedClientRedisCache("redis://127.0.0.1:6379/7", OPTIONS)
    other_db = SharedClientRedisCache("redis://127.0.0.1:6379/8", OPTIONS)
    other_options = SharedClientRedisCache("redis://127.0.0.1:6379/7", {"OPTIONS": {}})

    assert first._cache is not other_db._cache
    assert first._cache is not other_options._cache
