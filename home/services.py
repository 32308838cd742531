"""Keeping each user's home rows fresh in the cache (home.selectors computes them).

- The user rates: the commit hook drops their entry and their friends' (the friends row moved);
  the recommender's refresh (ml.services) then recomputes the user's rows and stores them
  before it publishes `recommendations.updated`, so a client reloading on that event is served
  from the cache.
- A friendship starts or ends (accept, remove, a block ending it): both users' entries are
  dropped once it commits; the next request recomputes.
- Group picks: each user's predicted stars are stored by the same refresh and dropped by the
  same commit hook; every rating write also replaces the user's ratings stamp, which keys what
  each process memoises for group picks (home.member_cache).
- A new model: entries carry the model version they were computed with and are recomputed on
  the next request.
- Otherwise an entry lives HOME_ROWS_CACHE_SECONDS; the trending candidates are shared by all
  users and recomputed every HOME_TRENDING_CACHE_SECONDS.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from accounts.models import User
from home import member_cache
from home.selectors import (
    home_rows_compute,
    home_rows_key,
    member_stars_compute,
    member_stars_entry,
    member_stars_key,
)
from ml.loader import get_recommender
from movies.models import Rating
from social.models import Friendship
from social.selectors import friend_ids_visible


def home_rows_refresh(*, user_id: int) -> None:
    """Compute the user's rows and group-picks predictions now and store them (the
    recommender's refresh hook, so both are ready when `recommendations.updated` arrives)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    timeout = settings.HOME_ROWS_CACHE_SECONDS
    cache.set(home_rows_key(user_id), home_rows_compute(user=user), timeout=timeout)
    recommender = get_recommender()
    if recommender is not None:
        # The stamp before the ratings (home.member_cache): the entry is used only while it holds.
        stamps = member_cache.ratings_stamps([user_id])
        ratings = {
            movie_id: float(value)
            for movie_id, value in Rating.objects.filter(user=user).values_list("movie_id", "value")
        }
        stars = member_stars_compute(recommender, ratings)
        if stamps is not None:
            entry = member_stars_entry(recommender, stars, stamps[0])
            cache.set(member_stars_key(user_id), entry, timeout=timeout)


def home_rows_forget(*, user_ids: list[int]) -> None:
    cache.delete_many([home_rows_key(user_id) for user_id in user_ids])


def home_rows_forget_for_rater(*, user_id: int) -> None:
    """A rating by `user_id` committed: their rows and predictions are stale, and so are their
    friends' friends rows."""
    user = User.objects.filter(pk=user_id).first()
    friends = friend_ids_visible(user_id=user.pk) if user is not None else []
    home_rows_forget(user_ids=[user_id, *friends])
    cache.delete(member_stars_key(user_id))


def _friendship_changed(sender: Any, instance: Friendship, **kwargs: Any) -> None:
    # Cache upkeep, not domain flow: whichever service creates or deletes the row.
    pair = [instance.user_low_id, instance.user_high_id]
    transaction.on_commit(lambda: home_rows_forget(user_ids=pair), robust=True)


def connect_friendship_signals() -> None:
    post_save.connect(_friendship_changed, sender=Friendship, dispatch_uid="home-friendship-save")
    post_delete.connect(
        _friendship_changed, sender=Friendship, dispatch_uid="home-friendship-delete"
    )


def member_ratings_forget(*, user: User) -> None:
    """The account is being deleted (its ratings go too): what processes memoised from them is
    never used again, even if the database hands the id to a new account."""
    member_cache.member_ratings_changed(user_id=user.pk)
