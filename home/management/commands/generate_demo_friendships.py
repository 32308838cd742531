from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from home.demo import SEED, demo_friend_pairs, read_ratings, write_pairs

DEMO_DIR = Path(settings.BASE_DIR) / "data" / "demo"


class Command(BaseCommand):
    help = (
        "Regenerate the synthetic demo friendships (data/demo/social/friendships.csv) from the "
        "demo ratings with a seeded generator; the same seed gives the same file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ratings", type=Path, default=DEMO_DIR / "ml-latest-small" / "ratings.csv.gz"
        )
        parser.add_argument("--out", type=Path, default=DEMO_DIR / "social" / "friendships.csv")
        parser.add_argument("--seed", type=int, default=SEED)

    def handle(self, *args: Any, **options: Any) -> None:
        pairs = demo_friend_pairs(read_ratings(options["ratings"]), seed=options["seed"])
        write_pairs(options["out"], pairs)
        self.stdout.write(f"Wrote {len(pairs)} friendships to {options['out']}")
