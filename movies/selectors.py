"""Catalogue reads: querysets shaped for the serializers that render them."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Exists,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast

from accounts.models import User
from mcbackend.exceptions import NotFoundError
from mcbackend.prepared import PreparedQuery
from movies import catalogue
from movies.models import (
    CastCredit,
    Comment,
    Genre,
    Movie,
    Person,
    Rating,
    WatchlistItem,
    rounded_average,
)
from movies.text import normalize_title
from social import selectors as social_selectors

# Columns a movie summary needs (API.md "Movie summary").
SUMMARY_FIELDS = ("id", "title", "poster_path", "overview", "release_date", "runtime", "adult")


def movie_exists(*, movie_id: int) -> bool:
    return Movie.objects.filter(pk=movie_id).exists()


def movie_get(*, movie_id: int) -> Movie:
    movie = Movie.objects.filter(pk=movie_id).first()
    if movie is None:
        raise NotFoundError("Movie not found")
    return movie


def movie_get_public_detail(*, movie_id: int) -> Movie | None:
    """The movie page's shared part: credits and genres prefetched (materialised, catalogue.py)."""
    return (
        Movie.objects.filter(pk=movie_id)
        .prefetch_related(
            Prefetch("genres", queryset=Genre.objects.order_by("name")),
            Prefetch("directors", queryset=Person.objects.order_by("name")),
            Prefetch(
                "cast_credits",
                queryset=CastCredit.objects.select_related("person").order_by("order"),
            ),
        )
        .first()
    )


def _detail_state_query(viewer_id: int, movie_id: int) -> QuerySet[Movie, tuple[Any, ...]]:
    """The movie page's per-viewer part: the aggregates, the viewer's rating and watch flag."""
    own_rating = Rating.objects.filter(movie=OuterRef("pk"), user_id=viewer_id).values("value")
    watching = WatchlistItem.objects.filter(movie=OuterRef("pk"), user_id=viewer_id)
    return (
        Movie.objects.filter(pk=movie_id)
        .annotate(viewer_rating=Subquery(own_rating[:1]), on_watchlist=Exists(watching))
        .values_list("ratings_count", "ratings_sum", "viewer_rating", "on_watchlist")
    )


# The movie page's hottest read, compiled once per process (mcbackend.prepared): building the
# Subquery + Exists took about ten times longer than Postgres took to answer it.
_detail_state = PreparedQuery(_detail_state_query)


def movie_detail_for_viewer(*, movie_id: int, viewer: User) -> dict[str, Any]:
    """The movie page (API.md): the materialised public part plus, in one query, the exact
    average and the viewer's rating and watch-list flag."""
    if not 0 < movie_id < 2**63:  # no movie has it, and the driver would refuse the number
        raise NotFoundError("Movie not found")
    rows = _detail_state.rows(viewer.pk, movie_id)
    state = rows[0] if rows else None
    public = catalogue.movie_detail_public(movie_id) if state is not None else None
    if state is None or public is None:
        raise NotFoundError("Movie not found")
    count, total, viewer_rating, on_watchlist = state
    return {
        **public,
        # The cursor's values (no field converters): SQLite answers numbers for the decimal
        # columns, and str() keeps them exact.
        "average_rating": rounded_average(total=Decimal(str(total)), count=count),
        "rated": float(viewer_rating) if viewer_rating is not None else 0,
        "on_watchlist": bool(on_watchlist),
    }


def comment_list(*, movie_id: int, viewer: User) -> QuerySet[Comment]:
    """The movie's comments, newest first, without those of users blocked either way; 404 for
    an unknown movie (checked against the materialised catalogue: no query)."""
    if not catalogue.movie_exists(movie_id):
        raise NotFoundError("Movie not found")
    return (
        Comment.objects.filter(movie_id=movie_id)
        .exclude(social_selectors.hidden_users_q(viewer_id=viewer.pk, field="author_id"))
        .select_related("author")
        .only("id", "body", "created", "author__username")
        .order_by("-created", "-id")
    )


def watchlist_movie_ids(*, user: User) -> QuerySet[WatchlistItem, tuple[int]]:
    """The user's watch list as `(movie_id,)` rows, most recently added first."""
    return (
        WatchlistItem.objects.filter(user=user).order_by("-added_at", "-id").values_list("movie_id")
    )


def movie_summary_page(rows: list[tuple[int]]) -> list[dict[str, Any]]:
    """A page of `(movie_id,)` rows as movie summaries (materialised: catalogue.py)."""
    return catalogue.movie_summaries(row[0] for row in rows)


def _global_mean() -> float:
    totals = Movie.objects.aggregate(count=Sum("ratings_count"), total=Sum("ratings_sum"))
    if not totals["count"]:
        return 0.0
    return float(totals["total"]) / totals["count"]


def movie_popular_queryset() -> QuerySet[Movie]:
    """Rated movies by damped (Bayesian) average: (sum + C*m) / (count + C), m the global mean
    and C = settings.POPULAR_PRIOR_WEIGHT votes, so a handful of 5-star votes cannot win.
    """
    weight = float(settings.POPULAR_PRIOR_WEIGHT)
    prior = Value(weight * _global_mean(), output_field=FloatField())
    score = (Cast("ratings_sum", FloatField()) + prior) / (
        Cast("ratings_count", FloatField()) + Value(weight, output_field=FloatField())
    )
    return (
        Movie.objects.filter(ratings_count__gt=0)
        .only(*SUMMARY_FIELDS)
        .annotate(popularity=score)
        .order_by("-popularity", "-ratings_count", "id")
    )


def movie_list_popular(*, limit: int) -> list[Movie]:
    """The popular list (also the recommender's cold-start list)."""
    return list(movie_popular_queryset()[:limit])


def movie_popular_ids() -> list[int]:
    """The whole popular ranking, best first (materialised: catalogue.popular_ranking)."""
    return catalogue.popular_ranking().ids


def movie_search(*, title: str) -> QuerySet[Movie, tuple[int]]:
    """`(movie_id,)` rows: exact title first, then prefix, then contains; case and accents
    ignored (render a page with movie_summary_page).

    Matches on `title_normalized`; on Postgres a pg_trgm GIN index serves the LIKE '%...%'.
    """
    query = normalize_title(title)
    rank = Case(
        When(title_normalized=query, then=Value(0)),
        When(title_normalized__startswith=query, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Movie.objects.filter(title_normalized__contains=query)
        .annotate(match_rank=rank)
        .order_by("match_rank", "-ratings_count", "title_normalized", "id")
        .values_list("id")
    )


def user_get_visible(*, user_id: int, viewer: User) -> User:
    """404 unknown or blocked (either way), 403 private to the viewer (social's two rules)."""
    return social_selectors.user_get_visible(user_id=user_id, viewer=viewer)


def rated_movie_rows(*, user: User) -> QuerySet[Rating, tuple[int, Any]]:
    """The user's ratings as `(movie_id, value)` rows, most recently rated first."""
    return (
        Rating.objects.filter(user=user)
        .order_by("-timestamp", "-id")
        .values_list("movie_id", "value")
    )


def rated_movie_page(rows: list[tuple[int, Any]]) -> list[dict[str, Any]]:
    """A page of rated_movie_rows as summaries with `user_rating` (API.md "Rated movie")."""
    summaries = {s["id"]: s for s in catalogue.movie_summaries(row[0] for row in rows)}
    return [
        {**summaries[movie_id], "user_rating": float(value)}
        for movie_id, value in rows
        if movie_id in summaries
    ]


# Content similarity: what one shared feature is worth.
SIMILARITY_WEIGHTS = {"director": 3.0, "cast": 2.0, "keyword": 1.0, "genre": 1.0}


def movie_similar_content_based(*, movie: Movie, limit: int) -> list[Movie]:
    """Movies sharing the most genres, directors, cast and keywords with `movie` (weighted),
    ties broken by popularity; padded with popular movies when too few share anything.
    Never the movie itself. A fixed number of queries whatever the catalogue size.
    """
    scores: defaultdict[int, float] = defaultdict(float)
    popularity: dict[int, int] = {}
    through_sources: list[tuple[Any, str, str]] = [
        (Movie.genres.through, "genre_id", "genre"),
        (Movie.directors.through, "person_id", "director"),
        (Movie.keywords.through, "keyword_id", "keyword"),
        (CastCredit, "person_id", "cast"),
    ]
    for model, feature, kind in through_sources:
        mine = model.objects.filter(movie_id=movie.pk).values(feature)
        shared = (
            model.objects.filter(**{f"{feature}__in": mine})
            .exclude(movie_id=movie.pk)
            .values_list("movie_id", "movie__ratings_count")
        )
        weight = SIMILARITY_WEIGHTS[kind]
        for other_id, ratings_count in shared:
            scores[other_id] += weight
            popularity[other_id] = ratings_count

    ranked = sorted(scores, key=lambda pk: (-scores[pk], -popularity[pk], pk))[:limit]
    by_pk = Movie.objects.only(*SUMMARY_FIELDS).in_bulk(ranked)
    result = [by_pk[pk] for pk in ranked if pk in by_pk]
    if len(result) < limit:
        seen = {m.pk for m in result} | {movie.pk}
        result.extend(movie_popular_queryset().exclude(pk__in=seen)[: limit - len(result)])
    return result
