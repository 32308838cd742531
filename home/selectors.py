"""The home page's rows (API.md part two, "Home page"), computed from the database and the model.

`home_rows_compute` builds every row at the largest per-row limit, already rendered as JSON
(`_encode_row`); `home.services` keeps the result per user in the cache and a request joins the
first `limit` movies of each row (`home_rows_json`), with no parsing or rendering. A fixed
number of queries whatever the number of ratings, friends or rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, FloatField, Q, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from accounts.serializers import UserSummaryOutputSerializer
from home import member_cache
from mcbackend.prepared import PreparedQuery, rows_prepared
from ml.loader import get_recommender
from movies.catalogue import catalogue_store, movie_summaries
from movies.models import Movie, Rating
from movies.selectors import (
    SUMMARY_FIELDS,
    movie_popular_queryset,
    movie_similar_content_based,
)
from movies.serializers import MovieSummaryOutputSerializer
from social.selectors import friend_ids_visible, friend_ids_visible_sql

if TYPE_CHECKING:  # torch comes with the first model (ml.loader), not with the URLconf
    from ml.recommender import Recommender

ROW_LIMIT_MAX = 50  # API.md: ?limit= per row, default 10, max 50
BECAUSE_STARS = Decimal("3.5")  # top_picks' `because`: movies the user rated at least this
BECAUSE_COUNT = 3
LIKED_STARS = Decimal("4.0")  # because_you_liked seeds; friends' ratings that count
SEED_ROWS = 2
FRIENDS_SHOWN = 3  # friends named per movie in the friends row
# Trending: the window widens 7 -> 30 -> 365 days -> all time (None) while it holds fewer
# than TRENDING_MIN_RATINGS ratings.
TRENDING_WINDOWS: tuple[int | None, ...] = (7, 30, 365, None)
TRENDING_MIN_RATINGS = 50
TRENDING_TITLES = {
    7: "Trending this week",
    30: "Trending this month",
    365: "Trending this year",
    None: "Trending of all time",
}
# Shared by every user (cached TRENDING_CACHE_SECONDS): more candidates than a row holds, so
# each user's row is still full after their own rated movies are dropped.
TRENDING_CANDIDATES = 300
TRENDING_CACHE_KEY = "home:trending"


def _explain() -> ModuleType:
    """ml.explain, imported on first use: it brings torch (loaded with the first model)."""
    from ml import explain

    return explain


@dataclass
class _Row:
    key: str
    title: str
    reason: dict[str, Any]
    movie_ids: list[int]
    movie_reasons: list[dict[str, Any]]


def _known_count(recommender: Recommender | None, rated: Mapping[int, object]) -> int:
    if recommender is None:
        return 0
    return sum(1 for movie_id in rated if recommender.knows_movie(movie_id))


def _top_picks(recommender: Recommender, rated: dict[int, Decimal], titles: dict[int, str]) -> _Row:
    stars = {movie_id: float(value) for movie_id, value in rated.items()}
    # The same ranking as GET /api/user/movies/ (ml.selectors), with spare ids for movies
    # removed from the catalogue since training.
    ranked = recommender.recommend(ratings=stars, k=ROW_LIMIT_MAX + 10, exclude=rated.keys())
    picks = [movie_id for movie_id, _ in ranked]
    liked = [movie_id for movie_id, value in rated.items() if value >= BECAUSE_STARS]
    because = _explain().pick_contributions(
        recommender, ratings=stars, picks=picks, among=liked, k=BECAUSE_COUNT
    )
    return _Row(
        key="top_picks",
        title="Top picks for you",
        reason={"type": "model", "model_version": recommender.version},
        movie_ids=picks,
        movie_reasons=[
            {
                "type": "model",
                "because": [{"id": m, "title": titles[m]} for m in because[pick]],
            }
            for pick in picks
        ],
    )


def _because_you_liked(
    recommender: Recommender | None, seeds: list[tuple[int, str]], rated: dict[int, Decimal]
) -> list[_Row]:
    rows = []
    for movie_id, title in seeds:
        reason = {"type": "because_you_liked", "movie": {"id": movie_id, "title": title}}
        ids: list[int] = []
        if recommender is not None:
            ids = _explain().item_neighbours(
                recommender, movie_id=movie_id, k=ROW_LIMIT_MAX, exclude=rated.keys()
            )
        if not ids:  # a movie the model does not know: its content neighbours
            movie = Movie(pk=movie_id)
            extra = movie_similar_content_based(movie=movie, limit=ROW_LIMIT_MAX + len(rated))
            ids = [m.pk for m in extra if m.pk not in rated][:ROW_LIMIT_MAX]
        rows.append(
            _Row(
                key="because_you_liked",
                title=f"Because you liked {title}",
                reason=reason,
                movie_ids=ids,
                movie_reasons=[reason] * len(ids),
            )
        )
    return rows


def _friends(*, user: User) -> _Row:
    # Friends less anyone hidden by a block either way (API.md part two "Blocking").
    friend_ids = friend_ids_visible(user_id=user.pk)
    liked = Rating.objects.filter(user_id__in=friend_ids, value__gte=LIKED_STARS).exclude(
        movie_id__in=Rating.objects.filter(user=user).values("movie_id")
    )
    top = list(
        liked.values("movie_id")
        .annotate(n=Count("user_id"), mean=Avg("value"))
        .order_by("-n", "-mean", "movie_id")
        .values_list("movie_id", "n")[:ROW_LIMIT_MAX]
    )
    counts = dict(top)
    names: dict[int, list[dict[str, Any]]] = {movie_id: [] for movie_id in counts}
    # Who to name: the friends who rated it highest, then alphabetically.
    credits = (
        liked.filter(movie_id__in=list(counts))
        .select_related("user")
        .only("movie_id", "value", "user__id", "user__username")
        .order_by("movie_id", "-value", "user__username", "user_id")
    )
    for rating in credits:
        shown = names[rating.movie_id]
        if len(shown) < FRIENDS_SHOWN:
            shown.append(dict(UserSummaryOutputSerializer(rating.user).data))
    ids = [movie_id for movie_id, _ in top]
    return _Row(
        key="friends",
        title="Popular with your friends",
        reason={"type": "friends"},
        movie_ids=ids,
        movie_reasons=[{"type": "friends", "friends": names[m], "count": counts[m]} for m in ids],
    )


def trending_candidates() -> tuple[int | None, list[tuple[int, int]]]:
    """(window in days or None for all time, [(movie id, ratings in it)] best first), shared by
    every user and cached for TRENDING_CACHE_SECONDS."""
    cached = cache.get(TRENDING_CACHE_KEY)
    if cached is not None:
        return cached["days"], [tuple(pair) for pair in cached["movies"]]
    now = timezone.now()
    bounded = [days for days in TRENDING_WINDOWS if days is not None]
    in_window = {
        f"d{days}": Count("pk", filter=Q(timestamp__gte=now - timedelta(days=days)))
        for days in bounded
    }
    totals = Rating.objects.aggregate(**in_window)
    days = next((d for d in bounded if totals[f"d{d}"] >= TRENDING_MIN_RATINGS), None)
    ratings = Rating.objects.all()
    if days is not None:
        ratings = ratings.filter(timestamp__gte=now - timedelta(days=days))
    weight = float(settings.POPULAR_PRIOR_WEIGHT)
    # Ties: the popular list's damped average, (sum + C*m) / (count + C).
    totals = Movie.objects.aggregate(count=Sum("ratings_count"), total=Sum("ratings_sum"))
    mean = float(totals["total"]) / totals["count"] if totals["count"] else 0.0
    damped = (Cast("movie__ratings_sum", FloatField()) + Value(weight * mean)) / (
        Cast("movie__ratings_count", FloatField()) + Value(weight)
    )
    top = list(
        ratings.values("movie_id")
        .annotate(n=Count("pk"), damped=damped)
        .order_by("-n", "-damped", "movie_id")
        .values_list("movie_id", "n")[:TRENDING_CANDIDATES]
    )
    cache.set(
        TRENDING_CACHE_KEY,
        {"days": days, "movies": top},
        timeout=settings.HOME_TRENDING_CACHE_SECONDS,
    )
    return days, top


def _trending(rated: dict[int, Decimal]) -> _Row:
    days, candidates = trending_candidates()
    picked = [(m, n) for m, n in candidates if m not in rated][:ROW_LIMIT_MAX]
    return _Row(
        key="trending",
        title=TRENDING_TITLES[days],
        reason={"type": "trending", "days": days},
        movie_ids=[m for m, _ in picked],
        movie_reasons=[{"type": "trending", "ratings": n} for _, n in picked],
    )


def _popular(*, user: User) -> tuple[_Row, list[Movie]]:
    # The popular list's own selector, rated movies dropped (a subquery, not an id list).
    movies = list(
        movie_popular_queryset().exclude(
            pk__in=Rating.objects.filter(user=user).values("movie_id")
        )[:ROW_LIMIT_MAX]
    )
    reason = {"type": "popular"}
    row = _Row(
        key="popular",
        title="Popular on MovieConnect",
        reason=reason,
        movie_ids=[m.pk for m in movies],
        movie_reasons=[reason] * len(movies),
    )
    return row, movies


def home_rows_compute(*, user: User) -> dict[str, Any]:
    """Every row at ROW_LIMIT_MAX movies, rendered; `{"model_version", "rows"}`."""
    recommender = get_recommender()
    history = list(
        Rating.objects.filter(user=user)
        .order_by("-timestamp", "-id")
        .values_list("movie_id", "value", "movie__title")
    )
    rated = {movie_id: value for movie_id, value, _ in history}
    titles = {movie_id: title for movie_id, _, title in history}
    personal = _known_count(recommender, rated) >= settings.ML_MIN_RATINGS
    rows: list[_Row] = []
    if personal and recommender is not None:
        rows.append(_top_picks(recommender, rated, titles))
    seeds = [(m, t) for m, v, t in history if v >= LIKED_STARS][:SEED_ROWS]
    rows.extend(_because_you_liked(recommender, seeds, rated))
    rows.append(_friends(user=user))
    rows.append(_trending(rated))
    popular_movies: list[Movie] = []
    if not personal:
        row, popular_movies = _popular(user=user)
        rows.append(row)
    wanted = {m for row in rows for m in row.movie_ids} - {m.pk for m in popular_movies}
    by_pk = {m.pk: m for m in popular_movies}
    by_pk.update(Movie.objects.only(*SUMMARY_FIELDS).in_bulk(wanted))
    summaries = {
        movie.pk: summary
        for movie, summary in zip(
            by_pk.values(),
            MovieSummaryOutputSerializer(list(by_pk.values()), many=True).data,
            strict=True,
        )
    }
    rendered: list[EncodedRow] = []
    for row in rows:
        movies = []
        for movie_id, reason in zip(row.movie_ids, row.movie_reasons, strict=True):
            if movie_id not in summaries or movie_id in rated:  # gone, or (never) rated
                continue
            movies.append({**summaries[movie_id], "reason": reason})
            if len(movies) == ROW_LIMIT_MAX:
                break
        if movies:
            row_body = {"key": row.key, "title": row.title, "reason": row.reason}
            rendered.append(_encode_row(row_body, movies))
    return {"model_version": recommender.version if recommender else None, "rows": rendered}


# A row as JSON: its head (`{"key":..,"title":..,"reason":..,"movies":[`), its movies joined
# by commas, and where each movie ends in that string; the first n movies are movies[:ends[n-1]].
EncodedRow = tuple[bytes, bytes, list[int]]


def _encode_row(row: dict[str, Any], movies: list[dict[str, Any]]) -> EncodedRow:
    # orjson, as mcbackend.renderers renders responses: these are plain JSON values, so the
    # bytes are the ones the row rendered as a whole would have.
    empty = orjson.dumps({**row, "movies": []})  # ends with b"[]}": "movies" is the last key
    parts = [orjson.dumps(movie) for movie in movies]
    ends, end = [], -1
    for part in parts:
        end += len(part) + 1  # the comma before it (none before the first)
        ends.append(end)
    return empty[:-2], b",".join(parts), ends


def _decode_rows(rows: list[EncodedRow], limit: int) -> bytes:
    """The JSON array of the rows with their first `limit` movies."""
    if limit <= 0 or not rows:
        return b"[]"
    return b"[%s]" % b",".join(
        b"%s%s]}" % (head, movies[: ends[min(limit, len(ends)) - 1]]) for head, movies, ends in rows
    )


# ---------------------------------------------------------------- the rows, cached per user


def home_rows_key(user_id: int) -> str:
    return f"home:rows:{user_id}"


def home_rows_json(*, user: User, limit: int, read: Mapping[str, Any] | None = None) -> bytes:
    """The rows with at most `limit` movies each, empty rows left out, as the JSON response
    body. Served from the cache entry the last refresh stored (home.services; `read`: the
    cache's values as read with the authentication, when they hold it) while the deployed model
    is the one it was computed with; computed and stored here otherwise."""
    recommender = get_recommender()
    version = recommender.version if recommender is not None else None
    key = home_rows_key(user.pk)
    entry = read[key] if read is not None and key in read else cache.get(key)
    if entry is None or entry["model_version"] != version:
        entry = home_rows_compute(user=user)
        cache.set(key, entry, timeout=settings.HOME_ROWS_CACHE_SECONDS)
    return _decode_rows(entry["rows"], limit)


# ---------------------------------------------------------------- group picks

# Candidates: movies with at least this many training ratings (predicted stars of thinly rated
# movies are mostly their bias; bench/home/group_quality.py uses the same threshold).
GROUP_MIN_SUPPORT = 10
# score = mean - MISERY_WEIGHT * (mean - min) of the members' standardised ranking scores
# (bench/home/RESULTS.md: ranking by predicted stars scored below popularity).
MISERY_WEIGHT = 0.5


def group_score(values: np.ndarray) -> np.ndarray:
    """Group score per movie from members x movies standardised ranking scores (the README's
    formula): their mean, less MISERY_WEIGHT x the gap to the least satisfied member."""
    mean = values.mean(axis=0)
    return mean - MISERY_WEIGHT * (mean - values.min(axis=0))


def _standardised(scores: np.ndarray) -> np.ndarray:
    """z-scores over the candidates, so that members with long and short histories (whose raw
    ranking scores differ in scale) weigh the same; movies the ranker cannot score sit at the
    lowest finite score."""
    finite = np.isfinite(scores)
    if not finite.any():
        return np.zeros_like(scores, dtype=np.float64)
    values = np.where(finite, scores, scores[finite].min()).astype(np.float64)
    spread = values.std()
    return (values - values.mean()) / (spread if spread > 0 else 1.0)


def _group_stars_without_model(
    member_ratings: list[dict[int, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """No model deployed: every member gets the damped average plus their damped offset."""
    rows = list(
        Movie.objects.filter(ratings_count__gte=GROUP_MIN_SUPPORT).values_list(
            "pk", "ratings_sum", "ratings_count"
        )
    )
    ids = np.array([pk for pk, _, _ in rows], dtype=np.int64)
    total = np.array([float(s) for _, s, _ in rows], dtype=np.float64)
    count = np.array([c for _, _, c in rows], dtype=np.float64)
    weight = float(settings.POPULAR_PRIOR_WEIGHT)
    mean = total.sum() / count.sum() if len(rows) else 0.0
    base = (total + weight * mean) / (count + weight)
    position = {int(m): i for i, m in enumerate(ids.tolist())}
    stars = np.empty((len(member_ratings), len(ids)), dtype=np.float32)
    for row, ratings in enumerate(member_ratings):
        known = [(position[m], v) for m, v in ratings.items() if m in position]
        offset = 0.0
        if known:
            diffs = [v - base[i] for i, v in known]
            offset = sum(diffs) / (len(known) + _explain().COLD_START_DAMPING)
        stars[row] = np.clip(base + offset, 0.5, 5.0)
    return ids, stars


def member_stars_key(user_id: int) -> str:
    return f"home:stars:{user_id}"


_candidates_memo: list[tuple[Recommender, np.ndarray, np.ndarray]] = []


def _candidates(recommender: Recommender) -> tuple[np.ndarray, np.ndarray]:
    """Group candidates (movies with GROUP_MIN_SUPPORT training ratings): their ids and their
    positions in the model's order; computed once per loaded model."""
    if _candidates_memo and _candidates_memo[0][0] is recommender:
        return _candidates_memo[0][1], _candidates_memo[0][2]
    explain = _explain()
    positions = np.flatnonzero(explain.rating_counts(recommender) >= GROUP_MIN_SUPPORT)
    ids = explain.movie_ids(recommender)[positions].astype(np.int64)
    _candidates_memo[:] = [(recommender, ids, positions)]
    return ids, positions


def member_stars_compute(recommender: Recommender, ratings: dict[int, float]) -> np.ndarray:
    """One member's 2 x candidates float32 array, NaN where they rated the movie: row 0 their
    predicted stars (personal once the model knows ML_MIN_RATINGS of their movies, cold-start
    before), row 1 their standardised ranking score (what the group is ranked by)."""
    ids, positions = _candidates(recommender)
    explain = _explain()
    personal = _known_count(recommender, ratings) >= settings.ML_MIN_RATINGS
    stars = explain.member_stars(recommender, ratings=ratings, personal=personal)[positions]
    ranking = _standardised(explain.member_ranking(recommender, ratings=ratings)[positions])
    both = np.stack([stars, ranking]).astype(np.float32)
    both[:, np.isin(ids, np.fromiter(ratings, dtype=np.int64, count=len(ratings)))] = np.nan
    return both


def _ratings_by_user(user_ids: list[int]) -> dict[int, dict[int, float]]:
    ratings: dict[int, dict[int, float]] = {pk: {} for pk in user_ids}
    rows = Rating.objects.filter(user_id__in=user_ids).values_list("user_id", "movie_id", "value")
    for user_id, movie_id, value in rows:
        ratings[user_id][movie_id] = float(value)
    return ratings


def member_stars_entry(recommender: Recommender, stars: np.ndarray, stamp: str | None) -> dict:
    """The shared cache's entry for a member's predictions, computed from ratings read after
    `stamp` (home.member_cache): used only while the member's stamp is still `stamp`."""
    return {"model_version": recommender.version, "stamp": stamp, "stars": stars.tobytes()}


def member_stars_for(
    recommender: Recommender, user_ids: list[int], stamps: list[str] | None
) -> np.ndarray:
    """members x 2 x candidates (`member_stars_compute`), NaN where that member rated the movie.
    Each member's row comes from this process's memo or the shared cache (stored by the refresh
    after their last rating) while their ratings stamp, read before this call, is the one it was
    computed under; otherwise it is computed from their ratings (one query for all the missing
    ones). Without stamps (the cache unreachable) every row is computed."""
    owner = (recommender,)
    rows: dict[int, np.ndarray] = {}
    stamp_of = dict(zip(user_ids, stamps, strict=True)) if stamps is not None else {}
    for pk, stamp in stamp_of.items():
        row = member_cache.member_vectors.get(owner, (pk, stamp))
        if row is not None:
            rows[pk] = row
    missing = [pk for pk in user_ids if pk not in rows]
    if missing and stamps is not None:
        keys = {pk: member_stars_key(pk) for pk in missing}
        found = cache.get_many(list(keys.values()))
        for pk, key in keys.items():
            entry = found.get(key)
            if (
                entry is not None
                and entry["model_version"] == recommender.version
                and entry.get("stamp") == stamp_of[pk]
            ):
                rows[pk] = np.frombuffer(entry["stars"], dtype=np.float32).reshape(2, -1)
                member_cache.member_vectors.put(owner, (pk, stamp_of[pk]), rows[pk])
        missing = [pk for pk in missing if pk not in rows]
    if missing:
        fresh = {}
        for pk, ratings in _ratings_by_user(missing).items():
            rows[pk] = member_stars_compute(recommender, ratings)
            if stamps is not None:
                stamp = stamp_of[pk]
                fresh[member_stars_key(pk)] = member_stars_entry(recommender, rows[pk], stamp)
                member_cache.member_vectors.put(owner, (pk, stamp), rows[pk])
        if fresh:
            cache.set_many(fresh, timeout=settings.HOME_ROWS_CACHE_SECONDS)
    return np.stack([rows[pk] for pk in user_ids])


# The requested members' names, embedded with social's friends rule in one statement.
_member_names = PreparedQuery(
    lambda *ids: User.objects.filter(pk__in=ids).values_list("id", "username")
)


def group_members(
    *, user: User, friend_ids: list[int], read: Mapping[str, Any] | None = None
) -> list[dict[str, Any]] | None:
    """The group's user summaries (`id`, `username`), the user first, then `friend_ids` in
    order; None unless every one of them is the user's friend, not hidden by a block either
    way (social's rule). Kept per process while the user's feed stamps hold
    (home.member_cache.membership; `read`: their values read with the authentication), else
    one query: the names of those of the ids that the rule lets through."""
    if not all(0 < pk < 2**63 for pk in friend_ids):  # beyond the id column: no such user
        return None
    usernames = member_cache.membership(
        user.pk, friend_ids, partial(_friend_names, user.pk, friend_ids), read
    )
    if usernames is None:
        return None
    return [
        {"id": user.pk, "username": user.username},
        *({"id": pk, "username": usernames[pk]} for pk in friend_ids),
    ]


def _friend_names(user_id: int, friend_ids: list[int]) -> dict[int, str] | None:
    names_sql, names_params = _member_names.sql(*friend_ids)
    friends_sql, friends_params = friend_ids_visible_sql(user_id=user_id)
    sql = f"SELECT n.id, n.username FROM ({names_sql}) AS n WHERE n.id IN ({friends_sql})"  # noqa: S608
    name = f"home_group_members_{len(friend_ids)}"  # the SQL is fixed per number of ids
    usernames = dict(rows_prepared(name, sql, [*names_params, *friends_params]))
    return usernames if len(usernames) == len(friend_ids) else None


def _group_movies(
    recommender: Recommender | None, member_ids: list[int], stamps: list[str] | None, limit: int
) -> list[dict]:
    """The group's movies as GroupPickOutputSerializer renders them, best first by
    `group_score`; never a movie any member rated."""
    if recommender is None:
        ratings = _ratings_by_user(member_ids)
        ids, stars = _group_stars_without_model([ratings[pk] for pk in member_ids])
        for row, pk in enumerate(member_ids):
            stars[row, np.isin(ids, list(ratings[pk]))] = np.nan
        ranking = stars  # no ranking model: the stars are all there is
    else:
        ids, _ = _candidates(recommender)
        both = member_stars_for(recommender, member_ids, stamps)
        stars, ranking = both[:, 0], both[:, 1]
    allowed = ~np.isnan(stars).any(axis=0)  # rated by nobody in the group
    # Scored in place, the rated movies at -inf (no copies of the members x movies arrays).
    scores = np.where(allowed, group_score(ranking), -np.inf)
    n = min(limit + 10, int(allowed.sum()))  # spare ids: movies gone from the catalogue drop out
    if n <= 0 or limit <= 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((ids[top], -scores[top]))]
    # Summaries from the catalogue every worker keeps; movies gone from it are left out.
    summaries = {summary["id"]: summary for summary in movie_summaries(ids[top].tolist())}
    scores_top, stars_top = scores[top].tolist(), stars[:, top].T.tolist()
    movies = [
        {
            **summaries[movie_id],
            "score": round(score, 3),
            "predicted": [
                {"user_id": user_id, "rating": round(value, 1)}
                for user_id, value in zip(member_ids, predicted, strict=True)
            ],
        }
        for movie_id, score, predicted in zip(ids[top].tolist(), scores_top, stars_top, strict=True)
        if movie_id in summaries
    ]
    return movies[:limit]


def group_picks_json(
    *, members: list[dict[str, Any]], limit: int, read: Mapping[str, Any] | None = None
) -> bytes:
    """The response body (GroupPicksOutputSerializer's shape, as the JSON renderer writes it)
    for `members` (`group_members`). The movies part is memoised per process for the members'
    ratings stamps (`read`: as read with the authentication), the model and the catalogue
    (home.member_cache)."""
    member_ids = [member["id"] for member in members]
    recommender = get_recommender()
    # Without a model the stars follow everyone's ratings (the damped averages): not memoised.
    stamps = member_cache.ratings_stamps(member_ids, read) if recommender is not None else None
    owner = (recommender, catalogue_store.current())
    key = (tuple(member_ids), tuple(stamps or ()), limit)
    movies_json = member_cache.group_movies.get(owner, key) if stamps is not None else None
    if movies_json is None:
        movies_json = orjson.dumps(_group_movies(recommender, member_ids, stamps, limit))
        if stamps is not None:
            member_cache.group_movies.put(owner, key, movies_json)
    return b'{"members":%s,"movies":%s}' % (orjson.dumps(members), movies_json)
