"""Friends' feed pages kept per process, exact across processes.

A page's rows (movies.feed: one statement of a few milliseconds) are kept, per viewer, cursor
and limit, tagged with the viewer's feed stamps (social.feed_stamps). Every write that changes
what a feed shows replaces the stamps of the feeds concerned, inside its transaction and again
after it commits, so a kept page is used only while nothing in it, or that could enter it, has
changed. The writes are caught where they happen, as the session cache catches its own
(accounts.session_cache): every save or delete of a rating or comment (the actor's visible
friends' feeds), of a friendship or block (both users'), of a user's username (their friends'),
through `connect_signals`, the admin and cascades included; the writes that send no signal call
social.feed_stamps themselves (a block's bulk_create, imports). The stamps are read in the round
trip that already authenticates the request (`read_with_authentication` on the view), so a
repeat read costs no query. Why that is exact, and the one bound (FEED_CACHE_SECONDS):
mcbackend.stamps. The movie summaries are not kept here: they come from the catalogue store on
every read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models.signals import post_delete, post_save

from mcbackend.stamps import KeptCopies
from social.feed_stamps import FEED_STAMPS, feed_changed, feed_changed_for_friends_of

if TYPE_CHECKING:
    from movies.feed import FeedPosition

T = TypeVar("T", bound=Sequence[Any])
# Items kept per process, all pages together (~1 KB each: a page of 20 is ~20 KB); the least
# recently stored pages go first.
MAX_ITEMS = 40_000
# (viewer id, cursor, limit) -> the page
_pages = KeptCopies("FEED_CACHE_SECONDS", max_size=MAX_ITEMS, size=len)


def stamp_keys(user_id: object) -> tuple[str, ...]:
    """The cache keys a feed read needs, for the view's `read_with_authentication`."""
    return FEED_STAMPS.keys(user_id)


def page(
    *,
    user_id: int,
    before: FeedPosition | None,
    limit: int,
    load: Callable[[], T],
    read: Mapping[str, Any] | None = None,
) -> T:
    """`load()`'s page for this viewer, cursor and limit, or this process's copy of it while
    the viewer's feed stamps (`read`: as read with authentication; else read here) are the
    same as when it was loaded."""
    return _pages.get_or_load(
        (user_id, before, limit), load, stamps=FEED_STAMPS, user_id=user_id, read=read
    )


def clear() -> None:
    """Forget every page this process keeps (tests start with none)."""
    _pages.clear()


def _activity_written(sender: type, instance: Any, **kwargs: Any) -> None:
    """A rating or comment saved or deleted: its author's friends' feeds. A delete of many rows
    (a queryset, a cascade) sends one signal per row: each author is handled once per delete."""
    actor_id = instance.user_id if hasattr(instance, "user_id") else instance.author_id
    origin = kwargs.get("origin")
    if origin is not None:
        seen = origin.__dict__.setdefault("_feed_stamps_seen", set())
        if actor_id in seen:
            return
        seen.add(actor_id)
    feed_changed_for_friends_of(user_ids=[actor_id])


def _pair_written(sender: type, instance: Any, **kwargs: Any) -> None:
    """A friendship or block saved or deleted: both users' feeds."""
    if hasattr(instance, "user_low_id"):
        feed_changed(user_ids=[instance.user_low_id, instance.user_high_id])
    else:
        feed_changed(user_ids=[instance.blocker_id, instance.blocked_id])


def _user_saved(sender: type, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """Feed items show their author's username."""
    if update_fields is None or "username" in update_fields:
        feed_changed_for_friends_of(user_ids=[instance.pk])


def connect_signals() -> None:
    from accounts.models import User
    from movies.models import Comment, Rating
    from social.models import Block, Friendship

    for model, receiver in (
        (Rating, _activity_written),
        (Comment, _activity_written),
        (Friendship, _pair_written),
        (Block, _pair_written),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"feed_cache.s.{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"feed_cache.d.{model.__name__}")
    post_save.connect(_user_saved, sender=User, dispatch_uid="feed_cache.s.User")
