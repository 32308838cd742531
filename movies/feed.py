"""Friends' activity (API.md part two "Friends' activity"): fan-out on read.

The feed is computed from the friends' current ratings and comments on every request: friend ids
(one query), then the newest ratings and the newest comments of those ids before the cursor (one
indexed query each: `rating_user_recent_idx`, `comment_author_recent_idx`), merged in Python.
So a new friend's history shows at once, a removed friend's leaves at once, a re-rating moves
the item (its timestamp changed) and a deleted comment is simply gone. Measurements at 10, 100
and 1,000 friends, and why not fan-out on write: README "Decisions", bench/social/RESULTS.md.

Order and cursor: items sort by (time, kind, row id), newest first. An item id encodes that
position, `r<rating id>.<time in µs>.<tag>` or `c<comment id>.<time>.<tag>`, where the tag is an
HMAC of the rest (so only ids the server issued are accepted). `?before=<id>` continues strictly
below that position: items inserted meanwhile are newer than any page already read, so pages
never overlap or skip, and the cursor keeps working after its own item changed or left.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from accounts.serializers import UserSummaryOutputSerializer
from movies.models import Comment, Rating
from movies.selectors import SUMMARY_FIELDS
from movies.serializers import MovieSummaryOutputSerializer
from realtime.protocol import format_ts
from social.selectors import friends_of, hidden_users_q

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
KIND_RANK = {"c": 0, "r": 1}  # at the same microsecond a rating sorts above a comment
_MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class FeedPosition:
    kind: str
    pk: int
    micros: int

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.micros, KIND_RANK[self.kind], self.pk)

    @property
    def moment(self) -> datetime.datetime:
        return EPOCH + datetime.timedelta(microseconds=self.micros)


def _micros(moment: datetime.datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _tag(body: str) -> str:
    return salted_hmac("movies.feed.item", body, algorithm="sha256").hexdigest()[:12]


def feed_item_id(*, kind: str, pk: int, moment: datetime.datetime) -> str:
    body = f"{kind}{pk}.{_micros(moment)}"
    return f"{body}.{_tag(body)}"


def feed_position_parse(item_id: str) -> FeedPosition | None:
    """The position an item id names, or None when the server never issued it."""
    if len(item_id) > 64:
        return None
    body, _, tag = item_id.rpartition(".")
    if not body or not constant_time_compare(tag, _tag(body)):
        return None
    head, _, micros = body.partition(".")
    kind, pk = head[:1], head[1:]
    if kind not in KIND_RANK or not pk.isdigit() or not micros.isdigit():
        return None
    if not 0 < int(pk) <= _MAX_ID:
        return None
    return FeedPosition(kind, int(pk), int(micros))


def _older_than(before: FeedPosition | None, *, kind: str, time_field: str) -> Q:
    if before is None:
        return Q()
    rank = KIND_RANK[kind]
    earlier = Q(**{f"{time_field}__lt": before.moment})
    same_time = Q(**{time_field: before.moment})
    if rank < KIND_RANK[before.kind]:
        return earlier | same_time
    if rank == KIND_RANK[before.kind]:
        return earlier | (same_time & Q(pk__lt=before.pk))
    return earlier


def _movie_only(prefix: str) -> list[str]:
    return [f"{prefix}__{name}" for name in SUMMARY_FIELDS]


def friend_ids_for_feed(*, user: User) -> list[int]:
    """The user's friends, without anyone hidden by a block (social's rule)."""
    return list(
        friends_of(user=user)
        .exclude(hidden_users_q(viewer_id=user.pk))
        .values_list("pk", flat=True)
    )


def _newest(queryset: QuerySet[Any], *, time_field: str, limit: int) -> list[int]:
    """The ids of the newest rows, read from the per-author index alone (no joins): with many
    friends the database sorts thousands of narrow rows instead of joined ones."""
    return list(queryset.order_by(f"-{time_field}", "-pk").values_list("pk", flat=True)[:limit])


def _ratings(actor_ids: list[int], before: FeedPosition | None, limit: int) -> list[Rating]:
    newest = Rating.objects.filter(_older_than(before, kind="r", time_field="timestamp")).filter(
        user_id__in=actor_ids
    )
    return list(
        Rating.objects.filter(pk__in=_newest(newest, time_field="timestamp", limit=limit))
        .select_related("user", "movie")
        .only("id", "value", "timestamp", "user__id", "user__username", *_movie_only("movie"))
    )


def _comments(actor_ids: list[int], before: FeedPosition | None, limit: int) -> list[Comment]:
    newest = Comment.objects.filter(_older_than(before, kind="c", time_field="created")).filter(
        author_id__in=actor_ids
    )
    return list(
        Comment.objects.filter(pk__in=_newest(newest, time_field="created", limit=limit))
        .select_related("author", "movie")
        .only("id", "body", "created", "author__id", "author__username", *_movie_only("movie"))
    )


def feed_items(rows: list[Rating | Comment]) -> list[dict[str, Any]]:
    """Feed items of ratings and comments, in the given order. The summaries are serialised in
    one pass per shape (a serializer per row would rebuild its fields every time)."""
    actors = UserSummaryOutputSerializer(
        [row.user if isinstance(row, Rating) else row.author for row in rows], many=True
    ).data
    movies = MovieSummaryOutputSerializer([row.movie for row in rows], many=True).data
    items = []
    for row, actor, movie in zip(rows, actors, movies, strict=True):
        data: dict[str, Any]
        if isinstance(row, Rating):
            kind, moment, data = "r", row.timestamp, {"rating": float(row.value)}
            type_ = "rating"
        else:
            kind, moment, data = "c", row.created, {"comment_id": row.pk, "body": row.body}
            type_ = "comment"
        items.append(
            {
                "id": feed_item_id(kind=kind, pk=row.pk, moment=moment),
                "type": type_,
                "ts": format_ts(moment),
                "actor": actor,
                "movie": movie,
                "data": data,
            }
        )
    return items


def rating_feed_item(rating: Rating) -> dict[str, Any]:
    return feed_items([rating])[0]


def comment_feed_item(comment: Comment) -> dict[str, Any]:
    return feed_items([comment])[0]


def feed_list(*, user: User, before: FeedPosition | None, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` items of the user's friends strictly below `before`, newest first."""
    actor_ids = friend_ids_for_feed(user=user)
    if not actor_ids or limit == 0:
        return []
    keyed: list[tuple[tuple[int, int, int], Any]] = [
        ((_micros(r.timestamp), KIND_RANK["r"], r.pk), r)
        for r in _ratings(actor_ids, before, limit)
    ]
    keyed += [
        ((_micros(c.created), KIND_RANK["c"], c.pk), c) for c in _comments(actor_ids, before, limit)
    ]
    keyed.sort(key=lambda pair: pair[0], reverse=True)
    return feed_items([row for _, row in keyed[:limit]])
