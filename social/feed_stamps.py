"""The friends' feed stamps (mcbackend.stamps): every write that changes what a user's feed
shows replaces the stamps of the users whose feeds show it, so each process's copies of feed
pages (movies.feed_cache) stay exact.

Who calls `feed_changed`: ratings and comments written or deleted (the actor's visible friends,
movies.services), friendships made or ended and blocks (both users, social.services), a
username change (the user's friends, through accounts.hooks.user_renamed) and imports
(everybody, movies.catalogue.movies_changed).
"""

from collections.abc import Iterable

from mcbackend.stamps import Stamps
from social.selectors import friend_ids_visible

FEED_STAMPS = Stamps("feed-stamp")


def feed_changed(*, user_ids: Iterable[int]) -> None:
    """These users' feeds are being changed (call inside the writing transaction)."""
    FEED_STAMPS.changed(user_ids=user_ids)


def feed_changed_for_friends_of(*, user_ids: Iterable[int]) -> None:
    """What these users did is being changed: their visible friends' feeds show it. (A feed
    shows exactly the activity of its owner's visible friends, social's rule, and that rule is
    symmetric, so the friends of the actor are the feeds concerned.)"""
    friends: set[int] = set()
    for user_id in set(user_ids):
        friends.update(friend_ids_visible(user_id=user_id))
    feed_changed(user_ids=friends)


def everyone_changed() -> None:
    """Bulk writes (imports): every feed."""
    FEED_STAMPS.everything_changed()
