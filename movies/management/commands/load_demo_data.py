import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from movies.models import Movie

DEMO_DIR = Path(settings.BASE_DIR) / "data" / "demo"


class Command(BaseCommand):
    help = (
        "Load the bundled demo data (MovieLens ml-latest-small + TMDb metadata + synthetic "
        "friendships, data/demo/) "
        "into an empty database; does nothing when movies already exist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        if Movie.objects.exists():
            self.stdout.write("Movies already exist; demo data not loaded.")
            return
        started = time.perf_counter()
        flags = ["--no-progress"] if options["no_progress"] else []
        call_command(
            "import_movielens", str(DEMO_DIR / "ml-latest-small"), *flags, stdout=self.stdout
        )
        call_command(
            "import_tmdb", str(DEMO_DIR / "tmdb" / "movies.jsonl.gz"), *flags, stdout=self.stdout
        )
        # Synthetic friendships among the MovieLens users (data/demo/social/README.md).
        call_command(
            "load_demo_friendships",
            str(DEMO_DIR / "social" / "friendships.csv"),
            stdout=self.stdout,
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {elapsed:.1f} s"))
