"""Benchmark: the full demo import (`migrate && load_demo_data`) on SQLite and on Postgres.

    python bench/import/bench_import.py                       # SQLite only
    python bench/import/bench_import.py --postgres postgres://mc:mc@127.0.0.1:5432/mc_bench

The Postgres database named in the URL is DROPPED and recreated. Each backend runs in fresh
processes, exactly as the README's run command does; the script prints wall times and counts.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
COUNT_SCRIPT = (
    "from movies.models import Movie, Rating, CastCredit; "
    "print(Movie.objects.count(), Rating.objects.count(), "
    "Movie.objects.exclude(tmdb_synced_at=None).count(), CastCredit.objects.count())"
)


def manage(database_url: str, *args: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": ""}
    env.pop("DJANGO_SETTINGS_MODULE")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, result.stdout


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def run(label: str, url: str) -> None:
    migrate_s, _ = manage(url, "migrate", "-v0")
    load_s, output = manage(url, "load_demo_data", "--no-progress")
    _, counts = manage(url, "shell", "-c", COUNT_SCRIPT)
    movies, ratings, with_metadata, credits = counts.strip().splitlines()[-1].split()
    print(f"## {label}")
    print(
        f"migrate: {migrate_s:.1f} s, load_demo_data: {load_s:.1f} s, "
        f"total {migrate_s + load_s:.1f} s"
    )
    print(
        f"movies {movies}, ratings {ratings}, with TMDb metadata {with_metadata}, credits {credits}"
    )
    print("\n".join("    " + line for line in output.strip().splitlines()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="database URL to (re)create and load")
    parser.add_argument("--no-sqlite", action="store_true")
    options = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    if not options.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.sqlite3")
    if options.postgres:
        recreate_postgres(options.postgres)
        run("Postgres", options.postgres)


if __name__ == "__main__":
    main()
