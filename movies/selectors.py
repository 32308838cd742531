"""Catalogue reads: querysets shaped for the serializers that render them."""

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Exists,
    F,
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
from mcbackend.exceptions import ForbiddenError, NotFoundError
from movies.models import CastCredit, Comment, Genre, Movie, Person, Rating, WatchlistItem
from movies.text import normalize_title
from social.selectors import user_is_visible_to

# Columns a movie summary needs (API.md "Movie summary").
SUMMARY_FIELDS = ("id", "title", "poster_path", "overview", "release_date", "runtime", "adult")


def movie_exists(*, movie_id: int) -> bool:
    return Movie.objects.filter(pk=movie_id).exists()


def movie_get(*, movie_id: int) -> Movie:
    movie = Movie.objects.filter(pk=movie_id).first()
    if movie is None:
        raise NotFoundError("Movie not found")
    return movie


def movie_get_detail(*, movie_id: int, viewer: User) -> Movie:
    """The movie page: credits prefetched, the viewer's rating and watch-list flag annotated."""
    own_rating = Rating.objects.filter(movie=OuterRef("pk"), user=viewer).values("value")[:1]
    movie = (
        Movie.objects.filter(pk=movie_id)
        .annotate(
            viewer_rating=Subquery(own_rating),
            on_watchlist=Exists(WatchlistItem.objects.filter(movie=OuterRef("pk"), user=viewer)),
        )
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
    if movie is None:
        raise NotFoundError("Movie not found")
    return movie


def comment_list(*, movie: Movie) -> QuerySet[Comment]:
    return Comment.objects.filter(movie=movie).select_related("author").order_by("-created", "-id")


def watchlist_movie_list(*, user: User) -> QuerySet[Movie]:
    """The user's watch list, most recently added first."""
    return (
        Movie.objects.filter(watchlist_items__user=user)
        .only(*SUMMARY_FIELDS)
        .order_by("-watchlist_items__added_at", "-watchlist_items__id")
    )


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


def movie_search(*, title: str) -> QuerySet[Movie]:
    """Exact title first, then prefix, then contains; case and accents ignored.

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
        .only(*SUMMARY_FIELDS)
        .annotate(match_rank=rank)
        .order_by("match_rank", "-ratings_count", "title_normalized", "id")
    )


def user_get_visible(*, user_id: int, viewer: User) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError("User not found")
    if not user_is_visible_to(user=user, viewer=viewer):
        raise ForbiddenError("This user's profile is private")
    return user


def rated_movie_list(*, user: User) -> QuerySet[Movie]:
    """Movies the user rated, most recently rated first, each with `user_rating`."""
    return (
        Movie.objects.filter(ratings__user=user)
        .only(*SUMMARY_FIELDS)
        .annotate(user_rating=F("ratings__value"))
        .order_by("-ratings__timestamp", "-ratings__id")
    )


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
