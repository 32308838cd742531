"""`train_recommender`'s export (`ml.dataset.ratings_export`) at the MovieLens-32M shape, from
PostgreSQL: wall time, rows a second and the process's memory (RESULTS.md).

    PYTHONPATH=. python bench/ml/scale.py --shape ml-32m --write-ratings /tmp/ml32m.csv
    DATABASE_URL=postgres://... python manage.py migrate
    DATABASE_URL=postgres://... python bench/ml/export.py --load /tmp/ml32m.csv   # once
    DATABASE_URL=postgres://... python bench/ml/export.py                         # the export

`--load FILE` replaces the database's ratings with FILE's (userId, movieId, rating, timestamp
CSV as scale.py writes it), creating any user or movie they name, by COPY into a staging table
and one INSERT ... SELECT (foreign-key triggers off for that statement: the ids are created
first). Without it, the export runs once as `train_recommender` runs it, with the process's peak
RSS before and after. Writes bench/out/ml/export.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "ml"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(path: Path) -> None:
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from accounts.models import User
    from movies.models import Movie, Rating

    ratings = Rating._meta.db_table
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"TRUNCATE {ratings}")
        cur.execute(
            "CREATE TEMP TABLE staging (u bigint, m bigint, v numeric(2, 1), t bigint) "
            "ON COMMIT DROP"
        )
        with (
            path.open("rb") as f,
            cur.cursor.copy("COPY staging FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while block := f.read(1 << 20):
                copy.write(block)
        print(f"copied into staging in {time.perf_counter() - t:.0f} s", flush=True)
        cur.execute("SELECT DISTINCT u FROM staging")
        have = set(User.objects.values_list("pk", flat=True))
        users = [u for (u,) in cur.fetchall() if u not in have]
        User.objects.bulk_create(
            (User(pk=u, username=f"bench{u}", password=UNUSABLE_PASSWORD_PREFIX) for u in users),
            batch_size=10_000,
        )
        cur.execute("SELECT DISTINCT m FROM staging")
        have = set(Movie.objects.values_list("pk", flat=True))
        movies = [m for (m,) in cur.fetchall() if m not in have]
        Movie.objects.bulk_create(
            (Movie(pk=m, title=f"Bench movie {m}") for m in movies), batch_size=10_000
        )
        print(f"{len(users):,} users, {len(movies):,} movies created", flush=True)
        cur.execute("SET LOCAL session_replication_role = replica")  # FK triggers: ids exist
        cur.execute(
            f"INSERT INTO {ratings} (user_id, movie_id, value, timestamp) "  # noqa: S608 (model)
            "SELECT u, m, v, to_timestamp(t) FROM staging"
        )
        for sql in connection.ops.sequence_reset_sql(no_style(), [User, Movie]):
            cur.execute(sql)  # new users and movies after the bench ids
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {ratings}")
    print(f"loaded in {time.perf_counter() - t:.0f} s", flush=True)


def _export() -> dict[str, float]:
    from ml.dataset import ratings_export

    before = _rss_mib()
    t, cpu = time.perf_counter(), time.process_time()
    marks: list[tuple[int, float]] = []

    def progress(done: int, total: int) -> None:
        if not marks or done - marks[-1][0] >= 4_000_000 or done >= total:
            marks.append((done, time.perf_counter() - t))
            print(f"{done:,} / {total:,} at {marks[-1][1]:.0f} s", flush=True)

    frame = ratings_export(progress=progress)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    return {
        "ratings": len(frame),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "ratings_per_second": round(len(frame) / wall),
        "frame_mib": round(frame.memory_usage(index=False).sum() / 2**20, 1),
        "peak_rss_before_mib": round(before, 1),
        "peak_rss_after_mib": round(_rss_mib(), 1),
        "load_average_at_end": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", type=Path, metavar="FILE", help="replace the ratings first")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("export.py: set DATABASE_URL to a migrated PostgreSQL database")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.local")
    sys.path.insert(0, str(ROOT))
    django.setup()
    if args.load:
        _load(args.load)
        return
    report = _export()
    print(json.dumps(report, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "export.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
