"""A per-process cache of the rows that authenticate requests, exact across processes.

Authenticating a request used to cost a query (the user's row, and whether the token's session
was revoked) on every request: about a third of a signed-in read (bench/http/RESULTS.md). Those
rows rarely change, so each process keeps the ones it loaded, each tagged with the user's
*stamp*: a random value in the shared cache (Redis in production) that every write to the user's
row or sessions replaces (`user_changed`). A request reads the stamp, one Redis GET, and uses its
cached row only when the tags match; otherwise it loads the row and tags it with that stamp.

Why a stale row is never used: a writer replaces the stamp once when it writes and again after
its transaction commits. A reader reads the stamp *before* the row. If it read a stamp older
than the commit's, the row it caches is tagged with a stamp already replaced, so no later
request uses it; if it read the commit's stamp, the write had committed, so the row it loads is
current. Stamps are random (never reused), so a stamp that expired or was flushed cannot be
mistaken for an earlier one; a missing stamp is created before the row is read. With no stamp
readable (the cache unreachable), nothing is cached: every request reads the database.

The one bound: if replacing a stamp fails (the cache unreachable at that moment but reachable
again for the next request), a cached row can be used for up to AUTH_USER_CACHE_SECONDS; the
failure is logged. The embedded default's cache (LocMemCache) is per process, which is what its
single server process needs; production shares Redis between every worker.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import RevokedSession, User
from mcbackend.throttling import RateLimit

logger = logging.getLogger(__name__)

MAX_ENTRIES = 10_000
STAMP_SECONDS = 24 * 3600  # a stamp that expires is created anew: random, so never confused
_FIELDS = tuple(f.attname for f in User._meta.concrete_fields)

# (user id, session id) -> (stamp, loaded at, the row's values or None, session revoked)
_entries: "OrderedDict[tuple[str, str | None], tuple[str, float, tuple[Any, ...] | None, bool]]"
_entries = OrderedDict()
_lock = threading.Lock()

Loader = Callable[[], tuple[User | None, bool]]


def _stamp_key(user_id: object) -> str:
    return f"auth-stamp:{user_id}"


def _read_stamp(
    user_id: object, rate_limit: RateLimit | None, also: tuple[str, ...]
) -> tuple[str | None, int | None, dict[str, Any] | None]:
    """The user's current stamp, created if there is none (None when the cache is unreachable),
    and, given a rate limit, its hits with this request's counted in the same round trip; the
    cache's values of the keys `also` are read in that round trip too (None when unreachable)."""
    key = _stamp_key(user_id)
    hits = None
    try:
        if rate_limit is None:
            found = cache.get_many([key, *also]) if also else {key: cache.get(key)}
            stamp, values = found.get(key), [found.get(k) for k in also]
        else:
            hits = 0  # fail open, as RateLimit.hit does, if the round trip fails
            hits, (stamp, *values) = rate_limit.hit_and_get(key, *also)
        if stamp is None:
            fresh = uuid.uuid4().hex
            stamp = fresh if cache.add(key, fresh, timeout=STAMP_SECONDS) else cache.get(key)
    except Exception as exc:  # cache unreachable: read the database (module docstring)
        logger.warning("Authentication cache unavailable, reading the database: %s", exc)
        return None, hits, None
    return (str(stamp) if stamp is not None else None), hits, dict(zip(also, values, strict=True))


def user_and_revoked(
    user_id: object,
    session_id: str | None,
    load: Loader,
    *,
    rate_limit: RateLimit | None = None,
    also: tuple[str, ...] = (),
) -> tuple[User | None, bool, int | None, dict[str, Any] | None]:
    """The user for a token's claims and whether its session was revoked: from this process's
    cache when the user's stamp still matches, else from `load()` (the database). Given a rate
    limit, also counts this request's hit in the stamp's round trip and returns the hits; the
    cache's values of the keys `also` come back from that round trip too (None when it did not
    happen: the cache unreachable or this cache off)."""
    ttl = settings.AUTH_USER_CACHE_SECONDS
    if ttl <= 0:
        hits = None if rate_limit is None else rate_limit.hit()
        return (*load(), hits, None)
    stamp, hits, values_also = _read_stamp(user_id, rate_limit, also)
    if stamp is None:
        return (*load(), hits, values_also)
    key = (str(user_id), session_id)
    now = time.monotonic()
    entry = _entries.get(key)
    if entry is not None and entry[0] == stamp and now - entry[1] < ttl:
        values, revoked = entry[2], entry[3]
        user = None if values is None else User.from_db("default", _FIELDS, values)
        return user, revoked, hits, values_also
    user, revoked = load()
    values = None if user is None else tuple(getattr(user, name) for name in _FIELDS)
    with _lock:
        _entries[key] = (stamp, now, values, revoked)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return user, revoked, hits, values_also


def _replace_stamp(user_id: object) -> None:
    try:
        cache.set(_stamp_key(user_id), uuid.uuid4().hex, timeout=STAMP_SECONDS)
    except Exception as exc:
        logger.error(
            "Could not replace the authentication stamp of user %s (cached rows may be used "
            "for up to AUTH_USER_CACHE_SECONDS): %s",
            user_id,
            exc,
        )


def user_changed(user_id: object) -> None:
    """The user's row or sessions are being written: no process may use its cached rows once
    the write commits. Call it inside the writing transaction (or after a write outside one)."""
    _replace_stamp(user_id)
    transaction.on_commit(partial(_replace_stamp, user_id))


def _row_written(sender: type, instance: Any, **kwargs: Any) -> None:
    """post_save / post_delete of a User or a RevokedSession (the admin's saves included)."""
    user_changed(instance.pk if sender is User else instance.user_id)


def connect_signals() -> None:
    """Every save or delete of a user or a revoked session replaces the user's stamp; the
    services' UPDATE and bulk_create writes call user_changed themselves."""
    for model in (User, RevokedSession):
        post_save.connect(_row_written, sender=model, dispatch_uid=f"session_cache.{model}")
        post_delete.connect(_row_written, sender=model, dispatch_uid=f"session_cache.d.{model}")


def clear() -> None:
    """Forget every cached row of this process (tests start with none)."""
    with _lock:
        _entries.clear()
