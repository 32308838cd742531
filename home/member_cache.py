"""Group picks' per-process memo of what depends only on the members' ratings and the model.

A member's predictions over the catalogue (home.selectors `member_stars_compute`) are the same
for every group they are in until their ratings or the model change, and a group's top movies
the same until one of its members' ratings, the model or the catalogue change. Each process
keeps both, each tagged with the members' *ratings stamps*: random values in the shared cache
(Redis in production) that every rating write replaces (`member_ratings_changed`). A request
reads its members' stamps in one round trip and uses a memo entry only when its tags match.

Why a stale entry is never used, and the one bound (an entry lives HOME_ROWS_CACHE_SECONDS at
most): mcbackend.stamps, the protocol every per-process copy here follows. Who may be in a
group (`membership`) is kept the same way, tagged with the user's feed stamps. With the cache
unreachable there are no stamps and nothing is memoised: every request computes from the
database. A new model (or catalogue, for the top movies) starts each memo afresh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from django.conf import settings

from mcbackend.stamps import KeptCopies, Stamps
from social.feed_stamps import FEED_STAMPS

RATINGS_STAMPS = Stamps("home:ratings-stamp")


def ratings_stamps(user_ids: list[int], read: Mapping[str, Any] | None = None) -> list[str] | None:
    """Each user's current ratings stamp, created where there is none (one round trip when all
    exist, none when `read` holds them: `group_stamp_keys`); None when the cache is
    unreachable."""
    return RATINGS_STAMPS.current_many(user_ids, read)


def group_stamp_keys(user_id: int, friend_ids: list[int]) -> tuple[str, ...]:
    """The cache keys a group request reads: the user's feed stamps (its membership) and every
    member's ratings stamps, for a view to read in the round trip that authenticates."""
    return (*FEED_STAMPS.keys(user_id), *RATINGS_STAMPS.keys_many([user_id, *friend_ids]))


def membership(
    user_id: int,
    friend_ids: list[int],
    load: Callable[[], dict[int, str] | None],
    read: Mapping[str, Any] | None = None,
) -> dict[int, str] | None:
    """`load()` (the friends' names, None unless every id is a visible friend) kept per process
    and tagged with the user's feed stamps: every change of the user's friendships, blocks
    either way and friends' names replaces them (social.feed_stamps), and that is all the
    answer reads. `read`: the stamps' values as read with the authentication."""
    names: dict[int, str] | None = memberships.get_or_load(
        (user_id, tuple(friend_ids)), load, stamps=FEED_STAMPS, user_id=user_id, read=read
    )
    return names


def member_ratings_changed(*, user_id: int) -> None:
    """The user's ratings are being written (movies.hooks.ratings_changed, inside the writing
    transaction): no process may use what it computed from them once the write commits."""
    RATINGS_STAMPS.changed(user_ids=[user_id])


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
# Who may be in a group: (user, friend ids) -> the friends' names, or None.
memberships = KeptCopies("HOME_ROWS_CACHE_SECONDS", max_size=10_000)


def clear() -> None:
    """Forget everything this process memoised (tests)."""
    member_vectors.clear()
    group_movies.clear()
    memberships.clear()
