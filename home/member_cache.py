"""Group picks' per-process memo of what depends only on the members' ratings and the model.

A member's predictions over the catalogue (home.selectors `member_stars_compute`) are the same
for every group they are in until their ratings or the model change, and a group's top movies
the same until one of its members' ratings, the model or the catalogue change. Each process
keeps both, each tagged with the members' *ratings stamps*: random values in the shared cache
(Redis in production) that every rating write replaces (`member_ratings_changed`). A request
reads its members' stamps in one round trip and uses a memo entry only when its tags match.

Why a stale entry is never used (accounts/session_cache.py's argument): the writer replaces the
stamp inside its transaction and again after it commits; a reader reads the stamps *before* the
ratings it computes from. A stamp read before the commit is replaced by then, so what was
computed under it is never used afterwards; a stamp read after the commit is read before the
ratings, which are then current. Stamps are random (never reused), so one that expired or was
flushed is never mistaken for an earlier one; a missing stamp is created before the ratings are
read. With the cache unreachable there are no stamps and nothing is memoised: every request
computes from the database. If replacing a stamp fails, an entry can be used for up to
HOME_ROWS_CACHE_SECONDS (the shared cache's bound on the same predictions); the failure is
logged. A new model (or catalogue, for the top movies) starts each memo afresh.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

STAMP_SECONDS = 24 * 3600  # a stamp that expires is created anew: random, so never confused


def _stamp_key(user_id: int) -> str:
    return f"home:ratings-stamp:{user_id}"


def ratings_stamps(user_ids: list[int]) -> list[str] | None:
    """Each user's current ratings stamp, created where there is none (one round trip when all
    exist); None when the cache is unreachable."""
    keys = [_stamp_key(pk) for pk in user_ids]
    try:
        found = cache.get_many(keys)
        stamps = []
        for key in keys:
            stamp = found.get(key)
            if stamp is None:
                fresh = uuid.uuid4().hex
                stamp = fresh if cache.add(key, fresh, timeout=STAMP_SECONDS) else cache.get(key)
                if stamp is None:
                    return None
            stamps.append(str(stamp))
    except Exception as exc:  # cache unreachable: compute from the database (docstring)
        logger.warning("Group picks cache unavailable, reading the database: %s", exc)
        return None
    return stamps


def _replace_stamp(user_id: int) -> None:
    try:
        cache.set(_stamp_key(user_id), uuid.uuid4().hex, timeout=STAMP_SECONDS)
    except Exception as exc:
        logger.error(
            "Could not replace the ratings stamp of user %s (group picks may use their "
            "predictions for up to HOME_ROWS_CACHE_SECONDS): %s",
            user_id,
            exc,
        )


def member_ratings_changed(*, user_id: int) -> None:
    """The user's ratings are being written (movies.hooks.ratings_changed, inside the writing
    transaction): no process may use what it computed from them once the write commits."""
    _replace_stamp(user_id)
    transaction.on_commit(partial(_replace_stamp, user_id), robust=True)


class OwnedMemo:
    """A bounded LRU of values computed from `owner` (a tuple of objects, compared by identity:
    the model, the catalogue) and a key that carries the stamps; a new owner empties it, so
    no old model is kept alive. Entries live HOME_ROWS_CACHE_SECONDS at most."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.owner: tuple[object, ...] = ()
        self.entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def _owned_by(self, owner: tuple[object, ...]) -> bool:
        return len(owner) == len(self.owner) and all(
            a is b for a, b in zip(owner, self.owner, strict=True)
        )

    def get(self, owner: tuple[object, ...], key: Hashable) -> Any:
        with self.lock:
            if not self._owned_by(owner):
                return None
            entry = self.entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] >= settings.HOME_ROWS_CACHE_SECONDS:
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry[1]

    def put(self, owner: tuple[object, ...], key: Hashable, value: Any) -> None:
        with self.lock:
            if not self._owned_by(owner):
                self.owner, self.entries = owner, OrderedDict()
            self.entries[key] = (time.monotonic(), value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.owner, self.entries = (), OrderedDict()


# A member's 2 x candidates float32 predictions (~17 kB with the demo model): 2,000 members.
member_vectors = OwnedMemo(size=2000)
# A group's rendered movies (a few kB): the groups last asked for.
group_movies = OwnedMemo(size=2000)


def clear() -> None:
    """Forget everything this process memoised (tests)."""
    member_vectors.clear()
    group_movies.clear()
