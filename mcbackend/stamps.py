"""Per-user stamps in the shared cache: what lets a process keep a read and know, in a round trip
the request already pays, whether it is still exact.

A *stamp* is a random value in the shared cache (Redis in production) under `<name>:<user id>`,
plus one under `<name>:all` for writes that touch everybody. Every write that changes what a
reader would read replaces the stamps concerned (`changed`, `everything_changed`): once inside
its transaction and again after it commits. A reader reads the stamps *before* the database and
tags what it read with them (`current`); it reuses the copy only while the stamps are the same.

Why a stale copy is never used: a copy read before a commit is tagged with stamps read before
that commit's second replacement, which replaces them for good; stamps are random, never reused,
so one that expired or was flushed cannot be mistaken for an earlier one; a missing stamp is
created before the database is read. With the cache unreachable, `current` is None and the
reader reads the database. The one bound: if replacing fails while the cache is reachable again
for the next reader, a copy can be used until the reader's own age limit; the failure is logged.
The same protocol keeps the signed-in user's row (accounts.session_cache); the inbox's counts
(realtime.inbox_cache), feed pages (movies.feed_cache) and group picks (home.member_cache) use
this class.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")

STAMP_SECONDS = 24 * 3600  # a stamp that expires is created anew: random, so never confused
_SET_ALL = (
    "for _, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'EX', ARGV[2]) end return 0"
)


class Stamps:
    def __init__(self, name: str) -> None:
        self.name = name
        self.all_key = f"{name}:all"

    def key(self, user_id: object) -> str:
        return f"{self.name}:{user_id}"

    def keys(self, user_id: object) -> tuple[str, str]:
        """The cache keys `current` needs for this user (to read in a round trip already paid:
        a view's `read_with_authentication`)."""
        return (self.key(user_id), self.all_key)

    def _replace(self, keys: list[str]) -> None:
        stamp = uuid.uuid4().hex  # one new value for all: still never reused
        try:
            backend = caches["default"]
            if isinstance(backend, RedisCache):
                # One command: Django's set_many (a SET per key, each validated and serialised)
                # took 0.1 ms a key here, with a user's 1,000 friends' feeds to replace.
                made = [backend.make_key(key) for key in keys]
                value = backend._cache._serializer.dumps(stamp)  # type: ignore[attr-defined]
                client = backend._cache.get_client(made[0], write=True)
                client.eval(_SET_ALL, len(made), *made, value, STAMP_SECONDS)
            else:
                cache.set_many(dict.fromkeys(keys, stamp), timeout=STAMP_SECONDS)
        except Exception as exc:
            logger.error(
                "Could not replace the stamps %s (copies may be used until their age limit): %s",
                keys,
                exc,
            )

    def changed(self, *, user_ids: Iterable[int]) -> None:
        """What these users read is being changed: call inside the writing transaction (or
        after a write outside one)."""
        keys = [self.key(user_id) for user_id in sorted(set(user_ids))]
        if keys:
            self._replace(keys)
            transaction.on_commit(partial(self._replace, keys), robust=True)

    def everything_changed(self) -> None:
        """What every user reads is being changed (bulk writes: imports)."""
        self._replace([self.all_key])
        transaction.on_commit(partial(self._replace, [self.all_key]), robust=True)

    def keys_many(self, user_ids: Iterable[int]) -> tuple[str, ...]:
        """The cache keys `current_many` needs for these users (see `keys`)."""
        return (*(self.key(user_id) for user_id in user_ids), self.all_key)

    def current_many(
        self, user_ids: Sequence[int], read: Mapping[str, Any] | None = None
    ) -> list[str] | None:
        """`current` for several users in one round trip (when all their stamps exist), in the
        order given, from `read` (the values of `keys_many(user_ids)` read by the caller) when
        it holds them all; None when the cache is unreachable."""
        keys = [self.key(user_id) for user_id in user_ids]
        wanted = [*keys, self.all_key]
        if read is not None and all(read.get(key) is not None for key in wanted):
            found: Mapping[str, Any] = read
        else:
            try:
                found = cache.get_many(wanted)
            except Exception as exc:  # cache unreachable: the caller reads the database
                logger.warning("Stamps %s unavailable, reading the database: %s", self.name, exc)
                return None
        stamps = []
        for user_id, key in zip(user_ids, keys, strict=True):
            if key in found and self.all_key in found:
                stamps.append(f"{found[key]}:{found[self.all_key]}")
                continue
            stamp = self.current(user_id)  # creates what is missing
            if stamp is None:
                return None
            stamps.append(stamp)
        return stamps

    def current(self, user_id: object, read: Mapping[str, Any] | None = None) -> str | None:
        """The user's stamps as one value, from `read` (the values of `keys(user_id)` read by the
        caller) or read now; missing ones are created. None when the cache is unreachable."""
        keys = self.keys(user_id)
        try:
            values = [read.get(key) for key in keys] if read is not None else None
            if values is None:
                found = cache.get_many(list(keys))
                values = [found.get(key) for key in keys]
            for index, key in enumerate(keys):
                if values[index] is None:
                    fresh = uuid.uuid4().hex
                    values[index] = (
                        fresh if cache.add(key, fresh, STAMP_SECONDS) else cache.get(key)
                    )
                    if values[index] is None:
                        return None
        except Exception as exc:  # cache unreachable: the caller reads the database
            logger.warning("Stamps %s unavailable, reading the database: %s", keys, exc)
            return None
        return ":".join(str(value) for value in values)


class KeptCopies:
    """What a process keeps of its reads, each copy tagged with the stamps it was read under
    (`Stamps.current`) and used only while those are unchanged and it is younger than the
    setting `max_age_setting` (seconds; 0 keeps nothing). Bounded by the total `size` of the
    kept values (1 each unless given); the least recently stored go first."""

    def __init__(
        self, max_age_setting: str, max_size: int, size: Callable[[Any], int] = lambda _: 1
    ) -> None:
        self.max_age_setting = max_age_setting
        self.max_size = max_size
        self.size = size
        self.entries: OrderedDict[Hashable, tuple[str, float, Any]] = OrderedDict()
        self.total = 0
        self.lock = threading.Lock()

    def enabled(self) -> bool:
        return float(getattr(settings, self.max_age_setting)) > 0

    def get_or_load(
        self,
        key: Hashable,
        load: Callable[[], T],
        *,
        stamps: Stamps,
        user_id: object,
        read: Mapping[str, Any] | None = None,
    ) -> T:
        """The copy kept under `key` while `user_id`'s `stamps` are what they were when it was
        loaded (`read`: their values as the caller read them, e.g. with the authentication;
        else read here), else `load()`, kept unless the stamps could not be read."""
        stamp = stamps.current(user_id, read) if self.enabled() else None
        if stamp is None:
            return load()
        now = time.monotonic()
        entry = self.entries.get(key)
        max_age = float(getattr(settings, self.max_age_setting))
        if entry is not None and entry[0] == stamp and now - entry[1] < max_age:
            kept: T = entry[2]
            return kept
        value = load()
        with self.lock:
            old = self.entries.pop(key, None)
            self.total += self.size(value) - (0 if old is None else self.size(old[2]))
            self.entries[key] = (stamp, now, value)
            while self.total > self.max_size and len(self.entries) > 1:
                _, (_, _, dropped) = self.entries.popitem(last=False)
                self.total -= self.size(dropped)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.total = 0
