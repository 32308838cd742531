import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from movies.imports import import_tmdb


class Command(BaseCommand):
    help = (
        "Apply a TMDb metadata dump (JSON Lines, optionally gzip, records keyed by "
        "movielens_ids) to the imported movies. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        started = time.perf_counter()
        counts = import_tmdb(path, progress=not options["no_progress"])
        for name in sorted(counts):
            self.stdout.write(f"{name}: {counts[name]:,}")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"TMDb import done in {elapsed:.1f} s"))
