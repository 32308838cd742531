"""Friends' activity (API.md part two "Friends' activity"): fan-out on read.

The feed is computed from the friends' current ratings and comments on every request, so a new
friend's history shows at once, a removed friend's leaves at once, a re-rating moves the item
(its timestamp changed) and a deleted comment is simply gone. A page is one statement whatever
the friends' history (`_page_sql`): the friends less the blocks (social's rule, compiled once);
each friend's newest rating and newest comment below the cursor (one probe of
`rating_user_recent_idx` / `comment_author_recent_idx` each); then, for only the friends whose
newest item can reach the page, at most `limit` rows each, with the authors' names. Movie
summaries come from the catalogue store. Measurements at 10, 100 and 1,000 friends, and why not
fan-out on write: README "Decisions", bench/social/RESULTS.md.

Order and cursor: items sort by (time, kind, row id), newest first. An item id encodes that
position, `r<rating id>.<time in µs>.<tag>` or `c<comment id>.<time>.<tag>`, where the tag is an
HMAC of the rest (so only ids the server issued are accepted). `?before=<id>` continues strictly
below that position: items inserted meanwhile are newer than any page already read, so pages
never overlap or skip, and the cursor keeps working after its own item changed or left.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User
from accounts.serializers import UserSummaryOutputSerializer
from movies import catalogue, feed_cache
from movies.models import Comment, Rating
from movies.selectors import SUMMARY_FIELDS
from movies.serializers import MovieSummaryOutputSerializer
from realtime.protocol import format_ts
from social.selectors import friend_ids_visible_sql

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


def _movie_only(prefix: str) -> list[str]:
    return [f"{prefix}__{name}" for name in SUMMARY_FIELDS]


def _quoted_column(model: type[Model], name: str) -> str:
    """The quoted database column of a concrete field, for the raw SQL below."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return connection.ops.quote_name(field.column)


@dataclass(frozen=True)
class _Source:
    """One kind of activity: its table, author column, time column (index: author, -time) and
    what the item shows (a rating's value, a comment's body)."""

    kind: str
    model: type[Rating] | type[Comment]
    actor: str
    time: str
    payload: str

    def columns(self) -> tuple[str, str, str]:
        table = connection.ops.quote_name(self.model._meta.db_table)
        return table, _quoted_column(self.model, self.actor), _quoted_column(self.model, self.time)


_SOURCES = (
    _Source("r", Rating, "user", "timestamp", "value"),
    _Source("c", Comment, "author", "created", "body"),
)


def _below_sql(source: _Source, before: FeedPosition | None) -> tuple[str, list[Any]]:
    """SQL (on alias `y`) for "strictly below the cursor" in (time, kind, id) order, written as
    a range on the time column so the per-author index serves it."""
    if before is None:
        return "", []
    time = f"y.{source.columns()[2]}"
    moment = connection.ops.adapt_datetimefield_value(before.moment)
    rank, cursor_rank = KIND_RANK[source.kind], KIND_RANK[before.kind]
    if rank < cursor_rank:  # at the cursor's microsecond this kind sorts below it
        return f" AND {time} <= %s", [moment]
    if rank > cursor_rank:
        return f" AND {time} < %s", [moment]
    return f" AND {time} <= %s AND ({time} < %s OR y.id < %s)", [moment, moment, before.pk]


@dataclass(frozen=True)
class _PageRow:
    kind: str
    pk: int
    moment: datetime.datetime
    actor_id: int
    username: str
    movie_id: int
    value: Any  # a rating's value
    body: str | None  # a comment's body


def _moment(value: Any) -> datetime.datetime:
    """A time column read by raw SQL: aware on PostgreSQL, UTC text on SQLite."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _page_sql(user_id: int, before: FeedPosition | None, limit: int) -> tuple[str, list[Any]]:
    """One statement for a page: the user's visible friends (social's rule, as SQL), each
    friend's newest item per kind below the cursor, the page's floor T, then the items.

    Each friend's newest item of each kind below the cursor is a real item, so the `limit`-th
    newest of those, T, leaves at least `limit` items at or after T: the page lies at or after
    T, and only the (friend, kind) pairs whose newest item is at or after T can be in it (at
    most `limit` of them, plus ties at T). The page reads at most `limit` rows for each of
    those pairs, none before T: O(friends + limit²) index entries whatever the friends'
    history. Without `limit` such items every pair is a candidate and there is no T (the
    lowest time of the column's type stands in for it)."""
    postgres = connection.vendor == "postgresql"
    friends, params = friend_ids_visible_sql(user_id=user_id)
    quote = connection.ops.quote_name
    users, username = quote(User._meta.db_table), _quoted_column(User, "username")
    newest, page = [], []
    newest_params: list[Any] = []
    page_params: list[Any] = []
    # the lowest and highest times of the column's type (SQLite: times are text)
    lowest, highest = (
        ("'-infinity'::timestamptz", "'infinity'::timestamptz") if postgres else ("''", "'~'")
    )
    for source in _SOURCES:
        table, actor, time = source.columns()
        movie = _quoted_column(source.model, "movie")
        payload = _quoted_column(source.model, source.payload)
        below, below_params = _below_sql(source, before)
        probe = (
            f"SELECT y.{time} AS t FROM {table} AS y WHERE y.{actor} = f.id{below} "  # noqa: S608
            f"ORDER BY y.{time} DESC LIMIT 1"
        )
        if postgres:  # one index probe per friend (`rating_user_recent_idx`, ...)
            newest.append(
                f"SELECT '{source.kind}' AS kind, f.id AS actor, x.t AS t FROM friends AS f "  # noqa: S608
                f"CROSS JOIN LATERAL ({probe}) AS x"
            )
        else:  # a scalar subquery per friend: SQLite's one-probe max on the index
            newest.append(
                f"SELECT * FROM (SELECT '{source.kind}' AS kind, f.id AS actor, ({probe}) AS t "  # noqa: S608
                "FROM friends AS f) WHERE t IS NOT NULL"
            )
        newest_params += below_params
        value, body = ("x.v", "NULL") if source.kind == "r" else ("NULL", "x.v")
        columns = (
            f"'{source.kind}' AS kind, x.id AS id, x.t AS t, n.actor AS actor, "
            f"u.{username} AS username, x.m AS movie, {value} AS value, {body} AS body"
        )
        # The floor is a parameter the planner cannot see; bounded on both sides it estimates a
        # narrow range (as with a literal) and walks the (author, -time) index. With one side,
        # PostgreSQL read every row of the author by its foreign-key index and sorted them.
        recent = (
            f"FROM {table} AS y WHERE y.{actor} = n.actor{below} "  # noqa: S608
            f"AND y.{time} >= (SELECT t FROM page_floor) "
            f"AND y.{time} <= (SELECT top FROM page_floor) "
            f"ORDER BY y.{time} DESC, y.id DESC LIMIT %s"
        )
        candidates = f"FROM newest AS n JOIN {users} AS u ON u.id = n.actor"
        where = f"n.kind = '{source.kind}' AND n.t >= (SELECT t FROM page_floor)"  # noqa: S608
        if postgres:
            page.append(
                f"SELECT {columns} {candidates} CROSS JOIN LATERAL ("
                f"SELECT y.id, y.{time} AS t, y.{movie} AS m, y.{payload} AS v {recent}) AS x "
                f"WHERE {where}"
            )
        else:  # no LATERAL: the rows whose ids a correlated subquery picks from the index
            page.append(
                f"SELECT {columns} {candidates} "  # noqa: S608
                f"JOIN (SELECT id, {time} AS t, {movie} AS m, {payload} AS v "
                f"FROM {table}) AS x ON x.id IN (SELECT y.id {recent}) WHERE {where}"
            )
        page_params += [*below_params, limit]
    materialized = "MATERIALIZED " if postgres else ""
    sql = (
        f"WITH friends(id) AS ({friends}), "  # noqa: S608
        f"newest AS {materialized}({' UNION ALL '.join(newest)}), "
        "page_floor(t, top) AS (SELECT "
        f"COALESCE(CASE WHEN COUNT(*) >= %s THEN MIN(t) END, {lowest}), {highest} "
        "FROM (SELECT t FROM newest ORDER BY t DESC LIMIT %s) AS top) "
        f"{' UNION ALL '.join(page)} ORDER BY t DESC, kind DESC, id DESC LIMIT %s"
    )
    return sql, [*params, *newest_params, limit, limit, *page_params, limit]


def _page_rows(user_id: int, before: FeedPosition | None, limit: int) -> list[_PageRow]:
    """The page's items, newest first, with their authors' names: one statement."""
    sql, params = _page_sql(user_id, before, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        _PageRow(kind, pk, _moment(moment), actor_id, name, movie_id, value, body)
        for kind, pk, moment, actor_id, name, movie_id, value, body in rows
    ]


def _item(
    *, kind: str, pk: int, moment: datetime.datetime, actor: Any, movie: Any, data: Any
) -> dict[str, Any]:
    return {
        "id": feed_item_id(kind=kind, pk=pk, moment=moment),
        "type": "rating" if kind == "r" else "comment",
        "ts": format_ts(moment),
        "actor": actor,
        "movie": movie,
        "data": data,
    }


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
        else:
            kind, moment, data = "c", row.created, {"comment_id": row.pk, "body": row.body}
        items.append(
            _item(kind=kind, pk=row.pk, moment=moment, actor=actor, movie=movie, data=data)
        )
    return items


def rating_feed_item(rating: Rating) -> dict[str, Any]:
    return feed_items([rating])[0]


def comment_feed_item(comment: Comment) -> dict[str, Any]:
    return feed_items([comment])[0]


def _page_items(
    user_id: int, before: FeedPosition | None, limit: int
) -> list[tuple[int, dict[str, Any]]]:
    """The page's items, each with its movie's id in place of its summary (the summaries come
    from the catalogue on every read: movies.feed_cache keeps these)."""
    return [
        (
            row.movie_id,
            _item(
                kind=row.kind,
                pk=row.pk,
                moment=row.moment,
                actor={"id": row.actor_id, "username": row.username},  # UserSummaryOutputSerializer
                movie=row.movie_id,
                data={"rating": float(row.value)}
                if row.kind == "r"
                else {"comment_id": row.pk, "body": row.body},
            ),
        )
        for row in _page_rows(user_id, before, limit)
    ]


def feed_list(
    *,
    user: User,
    before: FeedPosition | None,
    limit: int,
    stamps: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The newest `limit` items of the user's friends strictly below `before`, newest first:
    one statement (`_page_sql`), or this process's copy of its items while the user's feed
    stamps are unchanged (movies.feed_cache; `stamps`: their values, as read with the request's
    authentication), and the movies' materialised summaries (catalogue), no model instances.
    Items are built by `_item`, as the socket's `activity.created` are."""
    if limit == 0:
        return []
    items = feed_cache.page(
        user_id=user.pk,
        before=before,
        limit=limit,
        load=partial(_page_items, user.pk, before, limit),
        read=stamps,
    )
    movies = {m["id"]: m for m in catalogue.movie_summaries({pk for pk, _ in items})}
    return [{**item, "movie": movies[pk]} for pk, item in items if pk in movies]
