import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from movies.imports import import_movielens


class Command(BaseCommand):
    help = (
        "Import a MovieLens CSV folder (movies.csv, links.csv, ratings.csv, tags.csv, or the "
        "same names with .gz). Raters become accounts that cannot sign in. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        started = time.perf_counter()
        try:
            counts = import_movielens(directory, progress=not options["no_progress"])
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        for name in sorted(counts):
            self.stdout.write(f"{name}: {counts[name]:,}")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"MovieLens import done in {elapsed:.1f} s"))
