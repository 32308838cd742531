"""Catalogue use cases: rating, commenting, the watch list, and keeping rating aggregates exact.

Every write owned by a user first takes the user's row lock (accounts.locks: a racing account
deletion finishes first, or waits and then finds the account gone). A change to a movie's ratings
then takes the movie's row lock with an UPDATE (on SQLite the same statement takes the database
write lock before anything is read), so concurrent ratings of one movie serialise and
`ratings_count`/`ratings_sum` stay exact.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from accounts.locks import acting_user_lock
from accounts.models import User
from mcbackend.exceptions import NotFoundError
from movies import catalogue
from movies.feed import comment_feed_item, rating_feed_item
from movies.hooks import ratings_changed
from movies.models import Comment, Movie, Rating, WatchlistItem, rounded_average
from movies.serializers import CommentOutputSerializer
from realtime.events import broadcast_movie_on_commit, feed_activity_on_commit
from social.selectors import friend_ids_visible


def _movie_lock(*, movie_id: int) -> None:
    """Take the movie's row lock (a no-op UPDATE); NotFoundError when it is gone."""
    if not Movie.objects.filter(pk=movie_id).update(ratings_count=F("ratings_count")):
        raise NotFoundError("Movie not found")


def _publish_rating_changed(*, movie_id: int, count: int, total: Decimal) -> None:
    average = rounded_average(total=total, count=count)
    broadcast_movie_on_commit(
        movie_id=movie_id,
        type="movie.rating_changed",
        data={"movie_id": movie_id, "average_rating": average, "ratings_count": count},
    )


@transaction.atomic
def rating_upsert(*, user: User, movie: Movie, value: Decimal) -> tuple[Rating, bool]:
    """Rate or re-rate; returns (rating, created). The movie's aggregates move by the difference."""
    acting_user_lock(user=user)
    _movie_lock(movie_id=movie.pk)
    rating = Rating.objects.filter(user=user, movie_id=movie.pk).first()
    now = timezone.now()
    if rating is None:
        rating = Rating.objects.create(user=user, movie_id=movie.pk, value=value, timestamp=now)
        count_delta, sum_delta = 1, value
        created = True
    else:
        sum_delta = value - rating.value
        count_delta = 0
        rating.value, rating.timestamp = value, now
        rating.save(update_fields=["value", "timestamp"])
        created = False
    Movie.objects.filter(pk=movie.pk).update(
        ratings_count=F("ratings_count") + count_delta, ratings_sum=F("ratings_sum") + sum_delta
    )
    count, total = Movie.objects.filter(pk=movie.pk).values_list("ratings_count", "ratings_sum")[0]
    movie.ratings_count, movie.ratings_sum = count, total
    _publish_rating_changed(movie_id=movie.pk, count=count, total=total)
    catalogue.ratings_changed_on_commit()
    rating.user, rating.movie = user, movie
    feed_activity_on_commit(
        recipient_ids=friend_ids_visible(user_id=user.pk), data=rating_feed_item(rating)
    )
    ratings_changed.send(user_id=user.pk)
    return rating, created


@transaction.atomic
def ratings_delete_for_user(*, user: User) -> int:
    """Remove all of a user's ratings, subtracting them from the movies' aggregates under the
    movies' row locks (taken in pk order). Called by account deletion before the cascade.
    """
    # The user's row lock: a rating being added concurrently (its FK check holds a key-share
    # lock on this row) finishes first, or waits and then fails; none slips past the subtraction.
    list(User.objects.select_for_update().filter(pk=user.pk).values("pk"))
    rated = Rating.objects.filter(user=user)
    movie_ids = list(rated.order_by("movie_id").values_list("movie_id", flat=True))
    if not movie_ids:
        return 0
    # Lock in pk order so two deletions touching the same movies cannot deadlock.
    list(Movie.objects.select_for_update().filter(pk__in=movie_ids).order_by("pk").values("pk"))
    own_value = Rating.objects.filter(user=user, movie=OuterRef("pk")).values("value")[:1]
    Movie.objects.filter(pk__in=movie_ids).update(
        ratings_count=F("ratings_count") - 1, ratings_sum=F("ratings_sum") - Subquery(own_value)
    )
    deleted, _ = rated.delete()
    catalogue.ratings_changed_on_commit()
    for movie_id, count, total in Movie.objects.filter(pk__in=movie_ids).values_list(
        "pk", "ratings_count", "ratings_sum"
    ):
        _publish_rating_changed(movie_id=movie_id, count=count, total=total)
    return deleted


def comment_payload(comment: Comment) -> dict:
    """The REST comment list item; the socket event carries the same shape."""
    return dict(CommentOutputSerializer(comment).data)


@transaction.atomic
def comment_create(*, author: User, movie: Movie, body: str) -> Comment:
    acting_user_lock(user=author)
    comment = Comment.objects.create(author=author, movie=movie, body=body)
    broadcast_movie_on_commit(
        movie_id=movie.pk,
        type="comment.created",
        data={"movie_id": movie.pk, "comment": comment_payload(comment)},
        author_id=author.pk,
    )
    feed_activity_on_commit(
        recipient_ids=friend_ids_visible(user_id=author.pk), data=comment_feed_item(comment)
    )
    return comment


@transaction.atomic
def comment_delete(*, author: User, movie: Movie, comment_id: int) -> None:
    """Only the author deletes; anyone else's comment (or another movie's) is 'not found'."""
    deleted, _ = Comment.objects.filter(pk=comment_id, movie=movie, author=author).delete()
    if not deleted:
        raise NotFoundError("Comment not found")
    _publish_comment_deleted(movie_id=movie.pk, comment_id=comment_id, author_id=author.pk)


def _publish_comment_deleted(*, movie_id: int, comment_id: int, author_id: int) -> None:
    broadcast_movie_on_commit(
        movie_id=movie_id,
        type="comment.deleted",
        data={"movie_id": movie_id, "comment_id": comment_id},
        author_id=author_id,
    )


@transaction.atomic
def comments_moderate_delete(*, comment_ids: list[int]) -> int:
    """Moderation (the admin): delete any comments; each one's movie stream hears
    `comment.deleted` exactly as when the author deletes it. Returns how many were deleted."""
    doomed = list(
        Comment.objects.select_for_update()
        .filter(pk__in=comment_ids)
        .order_by("pk")
        .values_list("pk", "movie_id", "author_id")
    )
    Comment.objects.filter(pk__in=[pk for pk, _, _ in doomed]).delete()
    for comment_id, movie_id, author_id in doomed:
        _publish_comment_deleted(movie_id=movie_id, comment_id=comment_id, author_id=author_id)
    return len(doomed)


@transaction.atomic
def watchlist_item_add(*, user: User, movie: Movie) -> WatchlistItem:
    """Idempotent: adding twice keeps one entry (and its first time added)."""
    acting_user_lock(user=user)
    item, _ = WatchlistItem.objects.get_or_create(user=user, movie=movie)
    return item


def watchlist_item_remove(*, user: User, movie: Movie) -> None:
    WatchlistItem.objects.filter(user=user, movie=movie).delete()
