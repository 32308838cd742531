"""Recommendation reads: the deployed model for users it can personalise, cold-start lists
otherwise. Every function runs a fixed number of queries whatever the list length."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, F, FloatField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User
from ml.loader import get_recommender
from movies.models import Movie, Rating
from movies.selectors import SUMMARY_FIELDS, movie_popular_queryset, movie_similar_content_based

LIKED_STARS = Decimal("4.0")  # ratings at or above this say "more of this genre"
# Cold start: how much a full genre match is worth, in stars of damped average. A user who only
# liked dramas sees a 3.9-star drama above a 4.3-star comedy, not a 2-star one.
GENRE_BOOST = 0.5
SIMILAR_MIN_SUPPORT = 5  # model neighbours need this many ratings, else content-based


@dataclass(frozen=True)
class Recommendations:
    movies: list[Movie]
    model_version: str | None  # None: the cold-start list


def _movies_in_order(movie_ids: list[int]) -> list[Movie]:
    by_pk = Movie.objects.only(*SUMMARY_FIELDS).in_bulk(movie_ids)
    return [by_pk[pk] for pk in movie_ids if pk in by_pk]


def _cold_start(*, user: User, rated: dict[int, Decimal], limit: int) -> list[Movie]:
    """The damped-popularity list plus GENRE_BOOST times the user's share of liked ratings
    (>= 4 stars) in the movie's genres; never a rated movie."""
    queryset = movie_popular_queryset().exclude(
        pk__in=Rating.objects.filter(user=user).values("movie_id")
    )
    if any(value >= LIKED_STARS for value in rated.values()):
        liked = Rating.objects.filter(user=user, value__gte=LIKED_STARS).values("movie_id")
        movie_genres = Movie.genres.through.objects
        genre_counts = Counter(
            movie_genres.filter(movie_id__in=liked).values_list("genre_id", flat=True)
        )
        total = sum(genre_counts.values())
        if total:
            weight = Case(
                *(
                    When(genre_id=genre_id, then=Value(GENRE_BOOST * n / total))
                    for genre_id, n in sorted(genre_counts.items())
                ),
                default=Value(0.0),
                output_field=FloatField(),
            )
            # Per movie, over its liked genres only (an index lookup; no join of every genre).
            affinity = (
                # django-stubs does not see `total`, annotated after values(): hence the ignore.
                movie_genres.filter(movie_id=OuterRef("pk"), genre_id__in=sorted(genre_counts))  # type: ignore[misc]
                .order_by()
                .values("movie_id")
                .annotate(total=Sum(weight))
                .values("total")
            )
            ranked = (
                queryset.annotate(
                    affinity=Coalesce(Subquery(affinity), Value(0.0), output_field=FloatField()),
                    score=F("popularity") + F("affinity"),
                )
                .order_by("-score", "-ratings_count", "id")
                .values_list("id", flat=True)
            )
            return _movies_in_order(list(ranked[:limit]))
    return list(queryset[:limit])


def _user_ratings(user: User) -> dict[int, Decimal]:
    return dict(Rating.objects.filter(user=user).values_list("movie_id", "value"))


def personal_recommendations_for_user(
    *, user: User, limit: int, rated: dict[int, Decimal] | None = None
) -> Recommendations | None:
    """The model's list when a model is deployed and the user has rated at least ML_MIN_RATINGS
    movies it knows (folded in from their current ratings, so new sign-ups and fresh ratings
    count at once); None otherwise. Best first, never a movie the user rated."""
    recommender = get_recommender()
    if recommender is None:
        return None
    if rated is None:
        rated = _user_ratings(user)
    known = sum(1 for movie_id in rated if recommender.knows_movie(movie_id))
    if known < settings.ML_MIN_RATINGS:
        return None
    stars = {movie_id: float(value) for movie_id, value in rated.items()}
    # A few spare ids: movies removed from the catalogue since training drop out below.
    ranked = recommender.recommend(ratings=stars, k=limit + 10, exclude=rated.keys())
    movies = _movies_in_order([movie_id for movie_id, _ in ranked])[:limit]
    return Recommendations(movies=movies, model_version=recommender.version)


def recommendations_for_user(*, user: User, limit: int) -> Recommendations:
    """Personal when the model can (see above), else the cold-start list (model_version None)."""
    rated = _user_ratings(user)
    personal = personal_recommendations_for_user(user=user, limit=limit, rated=rated)
    if personal is not None:
        return personal
    return Recommendations(
        movies=_cold_start(user=user, rated=rated, limit=limit), model_version=None
    )


def recommendation_list_for_user(*, user: User, limit: int) -> list[Movie]:
    return recommendations_for_user(user=user, limit=limit).movies


def similar_movies(*, movie: Movie, limit: int = 10) -> list[Movie]:
    """Nearest movies in the model's item space (cosine, among movies with at least
    SIMILAR_MIN_SUPPORT ratings) when the model knows `movie`; else, or to fill the list,
    the content-based neighbours. Never the movie itself."""
    recommender = get_recommender()
    found: list[Movie] = []
    if recommender is not None and recommender.knows_movie(movie.pk):
        ids = recommender.similar(movie.pk, k=limit, min_support=SIMILAR_MIN_SUPPORT)
        found = _movies_in_order([pk for pk in ids if pk != movie.pk])
    if len(found) < limit:
        seen = {m.pk for m in found}
        extra = movie_similar_content_based(movie=movie, limit=limit)
        found.extend(m for m in extra if m.pk not in seen and m.pk != movie.pk)
    return found[:limit]
