"""Materialised catalogue reads: what every user reads the same way, kept per process.

Two stores, each a process-local dict stamped with a generation counter kept in the shared cache
(Redis in production, so every worker sees it):

- `ratings`: the popular ranking (also the cold-start candidates). Services bump its generation
  after commit (`ratings_changed_on_commit`, from `rating_upsert` and `ratings_delete_for_user`).
  Every worker, the one that committed too, looks at the generation at most every
  POPULAR_MAX_AGE_SECONDS (2) and rebuilds when it moved. So a rating shows in the popular list
  within POPULAR_MAX_AGE_SECONDS on every worker, and a stream of ratings costs each worker one
  rebuild a period, not one per rating (the rebuild aggregates every rating). A movie page's
  average is never materialised: it is read with the viewer's own fields in one query, exact at
  once.
- `catalogue`: movie summaries, the public part of movie pages (title, credits, genres), genres
  per movie and similar-movie ids. Only imports change them (`movies_changed`); workers look at
  the generation at most every CATALOGUE_MAX_AGE_SECONDS (60). Similar lists pad with popular
  movies, so they follow ratings within that bound too.

Each store's generation check costs one cache read per period per worker, not per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

_lock = threading.Lock()
MAX_ENTRIES = 50_000  # per-movie entries kept per store before it starts over


class Store:
    """A dict that empties itself when the shared generation of `name` has moved."""

    def __init__(self, name: str, max_age_setting: str) -> None:
        self.key = f"materialised:{name}:generation"
        self.max_age_setting = max_age_setting
        self.data: dict[Any, Any] = {}
        self.generation: Any = None
        self.checked_at = float("-inf")

    def current(self) -> dict[Any, Any]:
        now = time.monotonic()
        if now - self.checked_at >= getattr(settings, self.max_age_setting):
            generation = _generation(self.key)
            with _lock:
                if generation != self.generation or len(self.data) > MAX_ENTRIES:
                    self.data = {}
                    self.generation = generation
                self.checked_at = now
        return self.data

    def bump(self) -> None:
        """Invalidate everywhere: a new generation, which every worker (this one too) picks up
        at its next check, so a stream of writes costs each worker one rebuild a period."""
        try:
            if not cache.add(self.key, 1, timeout=None):
                cache.incr(self.key)
        except Exception:  # the cache is down: no other worker will hear; this one starts over
            self.reset()

    def reset(self) -> None:
        with _lock:
            self.data = {}
            self.generation = None
            self.checked_at = float("-inf")

    def get_or_build(self, key: Any, build: Callable[[], Any]) -> Any:
        data = self.current()
        try:
            return data[key]
        except KeyError:
            value = data[key] = build()
            return value


def _generation(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # the cache is down: keep serving what we have, check again later
        return object()


ratings_store = Store("ratings", "POPULAR_MAX_AGE_SECONDS")
catalogue_store = Store("catalogue", "CATALOGUE_MAX_AGE_SECONDS")


def ratings_changed_on_commit() -> None:
    """Services call this inside their transaction when ratings change."""
    transaction.on_commit(ratings_store.bump, robust=True)


def movies_changed() -> None:
    """Imports call this after changing movies, credits or genres (and ratings). Imports are
    rare, so the importing process starts over at once; other workers follow within their
    periods. Every feed page kept anywhere goes too (social.feed_stamps)."""
    from social.feed_stamps import everyone_changed

    catalogue_store.bump()
    everyone_changed()
    ratings_store.bump()
    reset()


def reset() -> None:
    """Forget everything this process holds (imports, tests)."""
    ratings_store.reset()
    catalogue_store.reset()


# --- the popular ranking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    ids: list[int]  # best first: damped average, then ratings count, then id
    popularity: dict[int, float]
    count: dict[int, int]


def popular_ranking() -> Ranking:
    def build() -> Ranking:
        from movies.selectors import movie_popular_queryset

        # `popularity` is annotated by movie_popular_queryset (django-stubs cannot see it).
        rows = list(movie_popular_queryset().values_list("id", "popularity", "ratings_count"))  # type: ignore[misc]
        return Ranking(
            ids=[row[0] for row in rows],
            popularity={row[0]: row[1] for row in rows},
            count={row[0]: row[2] for row in rows},
        )

    ranking: Ranking = ratings_store.get_or_build("popular", build)
    return ranking


# --- movie summaries and pages ---------------------------------------------------------------


def movie_summaries(movie_ids: Iterable[int]) -> list[dict[str, Any]]:
    """API.md movie summaries in the order given; unknown ids are left out. One query at most
    (for the ones this worker has not rendered yet)."""
    from movies.models import Movie
    from movies.selectors import SUMMARY_FIELDS
    from movies.serializers import movie_summary

    ids = list(movie_ids)
    data = catalogue_store.current()
    missing = [pk for pk in ids if ("summary", pk) not in data]
    if missing:
        in_range = [pk for pk in missing if 0 < pk < 2**63]  # others cannot be movies
        found = Movie.objects.only(*SUMMARY_FIELDS).in_bulk(in_range) if in_range else {}
        for pk in missing:
            movie = found.get(pk)
            data[("summary", pk)] = None if movie is None else movie_summary(movie)
    return [summary for pk in ids if (summary := data[("summary", pk)]) is not None]


def movie_exists(movie_id: int) -> bool:
    return 0 < movie_id < 2**63 and bool(movie_summaries([movie_id]))


def movie_detail_public(movie_id: int) -> dict[str, Any] | None:
    """The movie page without the average and the viewer's fields; None for an unknown movie."""

    def build() -> dict[str, Any] | None:
        from movies.selectors import movie_get_public_detail
        from movies.serializers import MovieDetailPublicOutputSerializer

        movie = movie_get_public_detail(movie_id=movie_id)
        return None if movie is None else dict(MovieDetailPublicOutputSerializer(movie).data)

    value: dict[str, Any] | None = catalogue_store.get_or_build(("detail", movie_id), build)
    return value


def genres_by_movie() -> dict[int, tuple[int, ...]]:
    def build() -> dict[int, tuple[int, ...]]:
        from movies.models import Movie

        genres: dict[int, list[int]] = {}
        for movie_id, genre_id in Movie.genres.through.objects.values_list(
            "movie_id", "genre_id"
        ).order_by():
            genres.setdefault(movie_id, []).append(genre_id)
        return {movie_id: tuple(ids) for movie_id, ids in genres.items()}

    value: dict[int, tuple[int, ...]] = catalogue_store.get_or_build("genres", build)
    return value


def similar_ids(movie_id: int, version: str | None, build: Callable[[], list[int]]) -> list[int]:
    value: list[int] = catalogue_store.get_or_build(("similar", movie_id, version), build)
    return value
