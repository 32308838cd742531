"""Recommendation reads: the deployed model for users it can personalise, cold-start lists
otherwise. Every function runs a fixed number of queries whatever the list length."""

from __future__ import annotations

import heapq
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import Any

from django.conf import settings

from accounts.models import User
from mcbackend.exceptions import NotFoundError
from ml.loader import get_recommender
from movies import catalogue
from movies.models import Movie, Rating
from movies.selectors import movie_similar_content_based

LIKED_STARS = Decimal("4.0")  # ratings at or above this say "more of this genre"
# Cold start: how much a full genre match is worth, in stars of damped average. A user who only
# liked dramas sees a 3.9-star drama above a 4.3-star comedy, not a 2-star one.
GENRE_BOOST = 0.5
SIMILAR_MIN_SUPPORT = 5  # model neighbours need this many ratings, else content-based


class _Memo:
    """Results of a pure function of (owner, key), kept for the current owner only: the
    deployed model or the materialised ranking they were computed from. Lists are ranked from
    a user's current ratings on every request; the same ratings against the same model give the
    same list, so repeating a request (a page reload, a client polling) costs a dict lookup,
    not a fold-in. A new owner (hot swap, a ranking rebuilt) starts afresh, so nothing stale
    is served and no old model is kept alive."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.owner: object = None
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_compute(self, owner: object, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self.lock:
            if self.owner is owner and key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = compute()
        with self.lock:
            if self.owner is not owner:
                self.owner, self.entries = owner, OrderedDict()
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value


_personal_memo = _Memo()
_cold_start_memo = _Memo()


@dataclass(frozen=True)
class Recommendations:
    movies: list[dict[str, Any]]  # API.md movie summaries, best first
    model_version: str | None  # None: the cold-start list


def _cold_start_ids(*, rated: dict[int, Decimal], limit: int) -> list[int]:
    """The damped-popularity ranking plus GENRE_BOOST times the user's share of liked ratings
    (>= 4 stars) in the movie's genres; never a rated movie. Computed on the materialised
    ranking (movies/catalogue.py): no query beyond the user's ratings."""
    ranking = catalogue.popular_ranking()
    liked = [movie_id for movie_id, value in rated.items() if value >= LIKED_STARS]
    genres = catalogue.genres_by_movie() if liked else {}
    genre_counts = Counter(genre_id for movie_id in liked for genre_id in genres.get(movie_id, ()))
    total = sum(genre_counts.values())
    candidates = (movie_id for movie_id in ranking.ids if movie_id not in rated)
    if not total:
        return list(islice(candidates, limit))
    boost = {genre_id: GENRE_BOOST * n / total for genre_id, n in genre_counts.items()}
    best: list[tuple[float, int, int]] = []  # min-heap of (score, ratings count, -id)
    for movie_id in candidates:
        popularity = ranking.popularity[movie_id]
        # The ranking is by popularity; no later movie can beat the k-th best any more.
        if len(best) == limit and popularity + GENRE_BOOST < best[0][0]:
            break
        affinity = sum(boost.get(genre_id, 0.0) for genre_id in genres.get(movie_id, ()))
        entry = (popularity + affinity, ranking.count[movie_id], -movie_id)
        if len(best) < limit:
            heapq.heappush(best, entry)
        elif entry > best[0]:
            heapq.heapreplace(best, entry)
    return [-neg_id for _, _, neg_id in sorted(best, reverse=True)]


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

    def rank() -> list[int]:
        stars = {movie_id: float(value) for movie_id, value in rated.items()}
        # A few spare ids: movies removed from the catalogue since training drop out below.
        ranked = recommender.recommend(ratings=stars, k=limit + 10, exclude=rated.keys())
        return [movie_id for movie_id, _ in ranked]

    key = (frozenset(rated.items()), limit)
    ids: list[int] = _personal_memo.get_or_compute(recommender, key, rank)
    movies = catalogue.movie_summaries(ids)[:limit]
    return Recommendations(movies=movies, model_version=recommender.version)


def recommendations_for_user(*, user: User, limit: int) -> Recommendations:
    """Personal when the model can (see above), else the cold-start list (model_version None)."""
    rated = _user_ratings(user)
    personal = personal_recommendations_for_user(user=user, limit=limit, rated=rated)
    if personal is not None:
        return personal
    ids = _cold_start_memo.get_or_compute(
        catalogue.popular_ranking(),
        (frozenset(rated.items()), limit),
        lambda: _cold_start_ids(rated=rated, limit=limit),
    )
    return Recommendations(movies=catalogue.movie_summaries(ids), model_version=None)


def recommendation_list_for_user(*, user: User, limit: int) -> list[dict[str, Any]]:
    """GET /api/user/movies/: two queries (the user's ratings, at most one for summaries)."""
    return recommendations_for_user(user=user, limit=limit).movies


def similar_movies(*, movie_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """Nearest movies in the model's item space (cosine, among movies with at least
    SIMILAR_MIN_SUPPORT ratings) when the model knows the movie; else, or to fill the list,
    the content-based neighbours. Never the movie itself. Materialised per movie and model
    version (movies/catalogue.py); NotFoundError for an unknown movie."""
    if not catalogue.movie_exists(movie_id):
        raise NotFoundError("Movie not found")
    recommender = get_recommender()
    version = recommender.version if recommender is not None else None

    def build() -> list[int]:
        found: list[int] = []
        if recommender is not None and recommender.knows_movie(movie_id):
            ids = recommender.similar(movie_id, k=limit, min_support=SIMILAR_MIN_SUPPORT)
            found = [pk for pk in ids if pk != movie_id]
        if len(found) < limit:
            movie = Movie.objects.only("pk").get(pk=movie_id)
            extra = movie_similar_content_based(movie=movie, limit=limit)
            found.extend(m.pk for m in extra if m.pk not in found and m.pk != movie_id)
        return found

    ids = catalogue.similar_ids(movie_id, version, build)
    return catalogue.movie_summaries(ids)[:limit]
