"""The bell badge (unread count and newest id) kept per process, exact across processes.

`GET /api/notifications/unread-count/` is polled far more often than the inbox changes. Each
process keeps the counts it read, tagged with the user's *inbox stamp*: a random value in the
shared cache (Redis in production) that every write changing the answer replaces
(`inbox_changed`: a new notification, a mark-read, a pruned backlog). The stamp is read in the
round trip that already authenticates the request (`read_with_authentication` on the view,
accounts.session_cache), so a repeat read costs no query and no extra round trip.

The protocol is accounts.session_cache's: a writer replaces the stamp inside its transaction and
again after it commits; a reader reads the stamp before the row and tags what it read with that
stamp, so a count read before a commit is tagged with a stamp already replaced and never used
again. The after-commit replacement is registered before the notification's socket frame, so a
client that sees the frame and then asks for the count gets the new one. With no stamp
readable (the cache unreachable) every request reads the database. If replacing a stamp fails
while the cache is reachable again for the next reader, a count can be used for up to
INBOX_CACHE_SECONDS; the failure is logged.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from realtime.selectors import InboxCount, notification_unread_count

logger = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
STAMP_SECONDS = 24 * 3600  # a stamp that expires is created anew: random, so never confused

# user id -> (stamp, loaded at, count)
_entries: "OrderedDict[str, tuple[str, float, InboxCount]]" = OrderedDict()
_lock = threading.Lock()
NOT_READ = object()  # the caller did not read the stamp: read it here


def stamp_key(user_id: object) -> str:
    return f"inbox-stamp:{user_id}"


def _replace_stamps(user_ids: list[int]) -> None:
    try:
        cache.set_many({stamp_key(u): uuid.uuid4().hex for u in user_ids}, timeout=STAMP_SECONDS)
    except Exception as exc:
        logger.error(
            "Could not replace the inbox stamps of users %s (cached counts may be used for up "
            "to INBOX_CACHE_SECONDS): %s",
            user_ids,
            exc,
        )


def inbox_changed(*, user_ids: Iterable[int]) -> None:
    """These users' unread counts are being changed: no process may use its copy once the
    write commits. Call it inside the writing transaction (or after a write outside one)."""
    ids = sorted(set(user_ids))
    if ids:
        _replace_stamps(ids)
        transaction.on_commit(partial(_replace_stamps, ids), robust=True)


def _current_stamp(user_id: int, read: object) -> str | None:
    """The stamp as read by the caller (or read now), created if there is none; None when the
    cache is unreachable."""
    key = stamp_key(user_id)
    try:
        stamp = cache.get(key) if read is NOT_READ else read
        if stamp is None:
            fresh = uuid.uuid4().hex
            stamp = fresh if cache.add(key, fresh, timeout=STAMP_SECONDS) else cache.get(key)
    except Exception as exc:  # cache unreachable: read the database
        logger.warning("Inbox cache unavailable, reading the database: %s", exc)
        return None
    return None if stamp is None else str(stamp)


def unread_count(*, user_id: int, stamp: object = NOT_READ) -> InboxCount:
    """The user's unread count and newest id: this process's copy while the user's inbox stamp
    (`stamp`, as read in the request's authentication round trip, or read here) is unchanged,
    else one query (`notification_unread_count`)."""
    ttl = settings.INBOX_CACHE_SECONDS
    current = _current_stamp(user_id, stamp) if ttl > 0 else None
    if current is None:
        return notification_unread_count(user_id=user_id)
    key = str(user_id)
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and entry[0] == current and now - entry[1] < ttl:
        return entry[2]
    count = notification_unread_count(user_id=user_id)
    with _lock:
        _entries[key] = (current, now, count)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return count


def clear() -> None:
    """Forget every count this process keeps (tests start with none)."""
    with _lock:
        _entries.clear()
