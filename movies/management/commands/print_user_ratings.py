from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from movies.management.lookup import user_from_argument
from movies.models import Rating


class Command(BaseCommand):
    help = (
        "Print a user's rated movies, newest first: stars, date, movie id and title "
        "(USER is an id or a username)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="user id or username (e.g. ml_user_1)")
        parser.add_argument("--limit", type=int, default=0, help="at most this many [0: all]")
        parser.add_argument(
            "--order", choices=("recent", "stars"), default="recent", help="newest or best first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 0:
            raise CommandError("--limit must be >= 0", returncode=2)
        user = user_from_argument(options["user"])
        ratings = Rating.objects.filter(user=user).select_related("movie")
        ordering = ["-timestamp", "movie_id"]
        if options["order"] == "stars":
            ordering.insert(0, "-value")
        rows = ratings.order_by(*ordering)
        total = rows.count()
        if options["limit"]:
            rows = rows[: options["limit"]]
        self.stdout.write(f"user {user.pk} ({user.username}): {total:,} ratings")
        for rating in rows:
            day = rating.timestamp.date().isoformat()
            self.stdout.write(
                f"{float(rating.value):3.1f}  {day}  {rating.movie_id:>7}  {rating.movie.title}"
            )
