from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import User
from home.demo import read_pairs
from social.models import Friendship

DEFAULT_PATH = Path(settings.BASE_DIR) / "data" / "demo" / "social" / "friendships.csv"


class Command(BaseCommand):
    help = (
        "Befriend the imported MovieLens demo users as data/demo/social/friendships.csv says "
        "(synthetic, see data/demo/README.md). Pairs already friends are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        pairs = read_pairs(options["path"])
        ml_ids = {i for pair in pairs for i in pair}
        pk_of = dict(User.objects.filter(movielens_id__in=ml_ids).values_list("movielens_id", "pk"))
        rows = []
        for a, b in pairs:
            if a in pk_of and b in pk_of:
                low, high = sorted((pk_of[a], pk_of[b]))
                rows.append(Friendship(user_low_id=low, user_high_id=high))
        before = Friendship.objects.count()
        Friendship.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        added = Friendship.objects.count() - before
        self.stdout.write(f"Demo friendships: {added} added ({len(pairs)} in the file)")
