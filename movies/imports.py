"""Bulk loaders for the catalogue: MovieLens CSV folders and TMDb metadata records.

Both stream their input and write in batches, so a MovieLens 25M folder never sits in memory,
and both are idempotent: running them again over the same data creates nothing new.
"""

import csv
import datetime
import gzip
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from tqdm import tqdm

from accounts.models import User
from movies import catalogue
from movies.models import RATING_VALUES, CastCredit, Genre, Keyword, Movie, Person, Rating
from movies.text import movielens_display_title, normalize_title

BATCH = 5000
RATING_CHUNK = 50_000
NO_GENRES = "(no genres listed)"
ML_USERNAME = "ml_user_{}"
_RATING_SET = set(RATING_VALUES)
ML_COUNTS = ("movies created", "links updated", "users created", "ratings created")


# ---------------------------------------------------------------- files


def open_data_file(directory: Path, name: str) -> IO[str] | None:
    """`name` or `name.gz` inside `directory`, opened as UTF-8 text; None when neither exists."""
    plain, packed = directory / name, directory / f"{name}.gz"
    if plain.exists():
        return plain.open(encoding="utf-8", newline="")
    if packed.exists():
        return io.TextIOWrapper(gzip.open(packed, "rb"), encoding="utf-8", newline="")
    return None


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _progress(iterable: Iterable[Any], *, desc: str, show: bool, unit: str = "rows") -> Any:
    return tqdm(iterable, desc=desc, unit=unit, disable=not show, mininterval=0.5)


def _ensure_names(model: type[Genre | Person | Keyword], names: Iterable[str]) -> dict[str, int]:
    """Create the missing named rows and return name -> id for all of them."""
    wanted = {n for n in names if n}
    if not wanted:
        return {}
    model.objects.bulk_create(
        [model(name=n) for n in wanted], ignore_conflicts=True, batch_size=BATCH
    )
    found: dict[str, int] = {}
    chunk = list(wanted)
    for i in range(0, len(chunk), 900):
        found.update(model.objects.filter(name__in=chunk[i : i + 900]).values_list("name", "id"))
    return found


def _update_rows(movies: list[Movie], fields: list[str]) -> None:
    """One parametrised UPDATE per movie through executemany: far cheaper than bulk_update's
    CASE WHEN expressions, which Django builds and compiles in Python for every value.
    """
    if not movies:
        return
    meta = Movie._meta
    columns = [meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in columns)
    # Only model metadata (quoted identifiers) is interpolated; values are parameters.
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(m, f.attname), connection) for f in columns] + [m.pk]
        for m in movies
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2":
            from psycopg2.extras import execute_batch  # many statements per round trip

            execute_batch(cursor.cursor, sql, params, page_size=500)
        else:  # psycopg 3 pipelines executemany by itself; SQLite runs it in-process
            cursor.executemany(sql, params)


def reset_movie_sequence() -> None:
    """Movies are inserted with explicit ids (MovieLens movieId); move the Postgres sequence on."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Movie])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def recompute_rating_aggregates() -> None:
    """Set every movie's ratings_count/ratings_sum from the Rating table (after bulk loads)."""
    per_movie = Rating.objects.filter(movie=OuterRef("pk")).values("movie")
    count = per_movie.annotate(c=Count("id")).values("c")
    total = per_movie.annotate(s=Sum("value")).values("s")
    decimal = DecimalField(max_digits=12, decimal_places=1)
    with transaction.atomic():
        Movie.objects.update(
            ratings_count=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
            ratings_sum=Coalesce(
                Subquery(total, output_field=decimal), Value(Decimal("0.0")), output_field=decimal
            ),
        )


# ---------------------------------------------------------------- MovieLens


def import_movielens(
    directory: Path, *, progress: bool = False, log: Callable[[str], None] = print
) -> Counter[str]:
    counts: Counter[str] = Counter(dict.fromkeys(ML_COUNTS, 0))
    movies_file = open_data_file(directory, "movies.csv")
    if movies_file is None:
        raise FileNotFoundError(f"{directory} has no movies.csv or movies.csv.gz")
    with movies_file:
        _import_ml_movies(movies_file, counts, progress)
    reset_movie_sequence()

    links = open_data_file(directory, "links.csv")
    if links is not None:
        with links:
            _import_ml_links(links, counts, progress)

    ratings = open_data_file(directory, "ratings.csv")
    if ratings is not None:
        with ratings:
            _import_ml_ratings(ratings, counts, progress)
        recompute_rating_aggregates()

    tags = open_data_file(directory, "tags.csv")
    if tags is not None:
        with tags:
            _import_ml_tags(tags, counts, progress)
    catalogue.movies_changed()
    return counts


def _import_ml_movies(file: IO[str], counts: Counter[str], progress: bool) -> None:
    rows = _progress(csv.DictReader(file), desc="movies", show=progress)
    for batch in _batches(rows, BATCH):
        by_id = {int(row["movieId"]): row for row in batch}
        existing = set(Movie.objects.filter(pk__in=by_id).values_list("pk", flat=True))
        new = {movie_id: row for movie_id, row in by_id.items() if movie_id not in existing}
        counts["movies existing"] += len(existing)
        if not new:
            continue
        movies = []
        genre_names: dict[int, list[str]] = {}
        for movie_id, row in new.items():
            title = movielens_display_title(row["title"])[:500]
            movies.append(
                Movie(
                    id=movie_id,
                    movielens_id=movie_id,
                    title=title,
                    title_normalized=normalize_title(title),
                )
            )
            genre_names[movie_id] = [
                g.strip()[:100]
                for g in row["genres"].split("|")
                if g.strip() not in ("", NO_GENRES)
            ]
        with transaction.atomic():
            Movie.objects.bulk_create(movies, ignore_conflicts=True, batch_size=BATCH)
            genre_ids = _ensure_names(Genre, (g for names in genre_names.values() for g in names))
            Movie.genres.through.objects.bulk_create(
                [
                    Movie.genres.through(movie_id=movie_id, genre_id=genre_ids[name])
                    for movie_id, names in genre_names.items()
                    for name in set(names)
                ],
                ignore_conflicts=True,
                batch_size=BATCH,
            )
        counts["movies created"] += len(movies)


def _import_ml_links(file: IO[str], counts: Counter[str], progress: bool) -> None:
    """tmdbId/imdbId fill empty ids only; an id already set (say by TMDb) stands."""
    rows = _progress(csv.DictReader(file), desc="links", show=progress)
    for batch in _batches(rows, BATCH):
        links = {int(row["movieId"]): row for row in batch}
        changed = []
        for movie in Movie.objects.filter(pk__in=links).only("id", "tmdb_id", "imdb_id"):
            row = links[movie.pk]
            dirty = False
            tmdb = row.get("tmdbId", "").strip()
            if movie.tmdb_id is None and tmdb.isdigit():
                movie.tmdb_id, dirty = int(tmdb), True
            imdb = row.get("imdbId", "").strip()
            if not movie.imdb_id and imdb.isdigit():
                movie.imdb_id, dirty = f"tt{imdb.zfill(7)}", True
            if dirty:
                changed.append(movie)
        if changed:
            _update_rows(changed, ["tmdb_id", "imdb_id"])
        counts["links updated"] += len(changed)


def _ml_users(ml_ids: set[int], cache: dict[int, int], counts: Counter[str]) -> None:
    """MovieLens raters become accounts that cannot sign in; fills `cache` movielens_id -> pk."""
    missing = ml_ids - cache.keys()
    if not missing:
        return
    cache.update(User.objects.filter(movielens_id__in=missing).values_list("movielens_id", "pk"))
    to_create = missing - cache.keys()
    if not to_create:
        return
    User.objects.bulk_create(
        [
            User(
                username=ML_USERNAME.format(ml_id),
                movielens_id=ml_id,
                email=None,
                password=make_password(None),
            )
            for ml_id in sorted(to_create)
        ],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    created = dict(
        User.objects.filter(movielens_id__in=to_create).values_list("movielens_id", "pk")
    )
    counts["users created"] += len(created)
    cache.update(created)


def _import_ml_ratings(file: IO[str], counts: Counter[str], progress: bool) -> None:
    movie_ids = set(Movie.objects.values_list("pk", flat=True))
    users: dict[int, int] = {}
    before = Rating.objects.count()
    reader = csv.reader(file)
    header = next(reader, None)
    if header is None:
        return
    rows = _progress(reader, desc="ratings", show=progress)
    column = {name: i for i, name in enumerate(header)}
    u, m, r, t = (column[k] for k in ("userId", "movieId", "rating", "timestamp"))
    for chunk in _batches(rows, RATING_CHUNK):
        parsed = []
        for row in chunk:
            movie_id = int(row[m])
            try:
                value = Decimal(row[r])
            except InvalidOperation:
                value = Decimal(-1)
            if movie_id not in movie_ids or value not in _RATING_SET:
                counts["ratings skipped"] += 1
                continue
            parsed.append((int(row[u]), movie_id, value, int(row[t])))
        _ml_users({p[0] for p in parsed}, users, counts)
        ratings = [
            Rating(
                user_id=users[ml_user],
                movie_id=movie_id,
                value=value,
                timestamp=datetime.datetime.fromtimestamp(ts, tz=datetime.UTC),
            )
            for ml_user, movie_id, value, ts in parsed
            if ml_user in users
        ]
        with transaction.atomic():
            Rating.objects.bulk_create(ratings, ignore_conflicts=True, batch_size=BATCH)
    counts["ratings created"] += Rating.objects.count() - before


def _import_ml_tags(file: IO[str], counts: Counter[str], progress: bool) -> None:
    """Users' tags become the movie's keywords (lowercased), which feed content similarity."""
    movie_ids = set(Movie.objects.values_list("pk", flat=True))
    through = Movie.keywords.through
    before = through.objects.count()
    rows = _progress(csv.DictReader(file), desc="tags", show=progress)
    for batch in _batches(rows, BATCH):
        pairs = {
            (int(row["movieId"]), normalize_title(row["tag"])[:255])
            for row in batch
            if int(row["movieId"]) in movie_ids and row["tag"].strip()
        }
        with transaction.atomic():
            keyword_ids = _ensure_names(Keyword, (name for _, name in pairs))
            through.objects.bulk_create(
                [through(movie_id=mid, keyword_id=keyword_ids[name]) for mid, name in pairs],
                ignore_conflicts=True,
                batch_size=BATCH,
            )
    counts["movie keywords created"] += through.objects.count() - before


# ---------------------------------------------------------------- TMDb


def read_tmdb_jsonl(path: Path, counts: Counter[str] | None = None) -> Iterator[dict[str, Any]]:
    """One metadata record per line (gzip or plain); a line that is not a JSON object is
    skipped and counted as "bad lines"."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as file:
        for line in file:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                yield record
            elif counts is not None:
                counts["bad lines"] += 1


def _ids(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    return [i for i in value if isinstance(i, int) and not isinstance(i, bool)]


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _names(value: Any, limit: int = 255) -> list[str]:
    """A list of distinct non-empty names, order kept."""
    if not isinstance(value, list):
        return []
    seen: dict[str, None] = {}
    for item in value:
        if isinstance(item, str) and item.strip():
            seen.setdefault(item.strip()[:limit], None)
    return list(seen)


def tmdb_metadata_apply(items: list[tuple[list[int], dict[str, Any]]]) -> int:
    """Apply TMDb records to movies: `items` pairs movie pks with one record each.

    Fields the record lacks keep their current value (the MovieLens title and genres stand
    where TMDb has none); genres, cast and directors given are replaced, keywords added.
    Returns the number of movies updated.
    """
    pks = {pk for movie_pks, _ in items for pk in movie_pks}
    movies = Movie.objects.in_bulk(pks)
    if not movies:
        return 0
    now = timezone.now()
    by_pk: dict[int, tuple[Movie, dict[str, Any]]] = {}
    for movie_pks, record in items:
        for pk in movie_pks:
            if pk in movies:
                by_pk[pk] = (movies[pk], record)  # a movie named twice: the last record wins
    plan = list(by_pk.values())

    genre_ids = _ensure_names(Genre, (g for _, r in plan for g in _names(r.get("genres"), 100)))
    person_ids = _ensure_names(
        Person,
        (p for _, r in plan for p in [*_names(r.get("cast")), *_names(r.get("directors"))]),
    )
    keyword_ids = _ensure_names(
        Keyword, (normalize_title(k)[:255] for _, r in plan for k in _names(r.get("keywords")))
    )

    genre_rows, cast_rows, director_rows, keyword_rows = [], [], [], []
    replace_genres, replace_cast, replace_directors = set(), set(), set()
    for movie, record in plan:
        if isinstance(record.get("tmdb_id"), int) and record["tmdb_id"] > 0:
            movie.tmdb_id = record["tmdb_id"]
        if isinstance(record.get("imdb_id"), str) and record["imdb_id"]:
            movie.imdb_id = record["imdb_id"][:20]
        title = record.get("title")
        if isinstance(title, str) and title.strip():
            movie.title = title.strip()[:500]
            movie.title_normalized = normalize_title(movie.title)
        if isinstance(record.get("overview"), str) and record["overview"].strip():
            movie.overview = record["overview"].strip()
        if isinstance(record.get("poster_path"), str) and record["poster_path"]:
            movie.poster_path = record["poster_path"][:255]
        runtime = record.get("runtime")
        if isinstance(runtime, int) and not isinstance(runtime, bool) and 0 < runtime < 10_000:
            movie.runtime = runtime
        if isinstance(record.get("adult"), bool):
            movie.adult = record["adult"]
        release = _date(record.get("release_date"))
        if release is not None:
            movie.release_date = release
        movie.tmdb_synced_at = now

        if genres := _names(record.get("genres"), 100):
            replace_genres.add(movie.pk)
            genre_rows += [
                Movie.genres.through(movie_id=movie.pk, genre_id=genre_ids[g]) for g in genres
            ]
        if cast := _names(record.get("cast")):
            replace_cast.add(movie.pk)
            cast_rows += [
                CastCredit(movie_id=movie.pk, person_id=person_ids[p], order=i)
                for i, p in enumerate(cast)
            ]
        if directors := _names(record.get("directors")):
            replace_directors.add(movie.pk)
            director_rows += [
                Movie.directors.through(movie_id=movie.pk, person_id=person_ids[p])
                for p in directors
            ]
        for keyword in {normalize_title(k)[:255] for k in _names(record.get("keywords"))}:
            keyword_rows.append(
                Movie.keywords.through(movie_id=movie.pk, keyword_id=keyword_ids[keyword])
            )

    fields = ["tmdb_id", "imdb_id", "title", "title_normalized", "overview", "poster_path"]
    fields += ["runtime", "adult", "release_date", "tmdb_synced_at"]
    with transaction.atomic():
        _update_rows([m for m, _ in plan], fields)
        Movie.genres.through.objects.filter(movie_id__in=replace_genres).delete()
        Movie.genres.through.objects.bulk_create(genre_rows, batch_size=BATCH)
        CastCredit.objects.filter(movie_id__in=replace_cast).delete()
        CastCredit.objects.bulk_create(cast_rows, batch_size=BATCH)
        Movie.directors.through.objects.filter(movie_id__in=replace_directors).delete()
        Movie.directors.through.objects.bulk_create(director_rows, batch_size=BATCH)
        Movie.keywords.through.objects.bulk_create(
            keyword_rows, ignore_conflicts=True, batch_size=BATCH
        )
    return len(plan)


def import_tmdb(path: Path, *, progress: bool = False) -> Counter[str]:
    """Apply a JSON Lines dump whose records name their MovieLens movies (`movielens_ids`)."""
    counts: Counter[str] = Counter()
    records = _progress(read_tmdb_jsonl(path, counts), desc="tmdb", show=progress, unit="records")
    for batch in _batches(records, 1000):
        ml_ids = {i for r in batch for i in _ids(r.get("movielens_ids"))}
        pk_by_ml = dict(
            Movie.objects.filter(movielens_id__in=ml_ids).values_list("movielens_id", "pk")
        )
        items = []
        for record in batch:
            pks = [pk_by_ml[i] for i in _ids(record.get("movielens_ids")) if i in pk_by_ml]
            if pks:
                items.append((pks, record))
            else:
                counts["records without a movie"] += 1
        counts["movies updated"] += tmdb_metadata_apply(items)
        counts["records read"] += len(batch)
    catalogue.movies_changed()
    return counts
