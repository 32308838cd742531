"""Catalogue data-quality reads: which movies lack a TMDb id, metadata fields or credits.

Used by `manage.py log_missing_tmdb`, `log_missing_fields` and `log_missing_credits`. Each
report is {check: ids of the movies failing it, ascending}, over a fixed number of queries.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from movies.models import CastCredit, Movie

# Metadata a TMDb record fills (movies.imports.tmdb_metadata_apply): text fields count as
# missing when null or blank; genres when the movie has none.
TEXT_FIELDS = ("imdb_id", "overview", "poster_path")
VALUE_FIELDS = ("runtime", "release_date")
METADATA_FIELDS = (*TEXT_FIELDS, *VALUE_FIELDS, "genres")
CREDIT_KINDS = ("cast", "directors")


def _ids(queryset: QuerySet[Movie]) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True))


def movie_ids_missing_tmdb() -> dict[str, list[int]]:
    """Movies without a TMDb id (fetch_tmdb and import_tmdb cannot fill them)."""
    return {"tmdb_id": _ids(Movie.objects.filter(tmdb_id__isnull=True))}


def movie_ids_missing_fields(*, fields: tuple[str, ...] = METADATA_FIELDS) -> dict[str, list[int]]:
    """Per metadata field, movies with a TMDb id that lack it (movies without one are
    `movie_ids_missing_tmdb`'s)."""
    with_tmdb = Movie.objects.filter(tmdb_id__isnull=False)
    report = {}
    for field in fields:
        missing: Q | Exists
        if field in TEXT_FIELDS:
            missing = Q(**{f"{field}__isnull": True}) | Q(**{field: ""})
        elif field in VALUE_FIELDS:
            missing = Q(**{f"{field}__isnull": True})
        elif field == "genres":
            missing = ~Exists(Movie.genres.through.objects.filter(movie_id=OuterRef("pk")))  # type: ignore[assignment]  # ~ types as NegatedExpression
        else:
            raise ValueError(f"unknown metadata field {field!r}")
        report[field] = _ids(with_tmdb.filter(missing))
    return report


def movie_ids_missing_credits() -> dict[str, list[int]]:
    """Movies with a TMDb id and no cast, and those with no director."""
    with_tmdb = Movie.objects.filter(tmdb_id__isnull=False)
    no_cast = ~Exists(CastCredit.objects.filter(movie_id=OuterRef("pk")))
    no_director = ~Exists(Movie.directors.through.objects.filter(movie_id=OuterRef("pk")))
    return {
        "cast": _ids(with_tmdb.filter(no_cast)),
        "directors": _ids(with_tmdb.filter(no_director)),
    }
