import logging
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from movies.imports import tmdb_metadata_apply
from movies.models import Movie
from movies.tmdb import TmdbClient, TmdbError

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Fetch TMDb metadata from the live API for movies that have a TMDb id but no metadata "
        "yet. Resumable: each movie is saved as it arrives; a failed movie is retried next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most this many movies")
        parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
        parser.add_argument("--retries", type=int, default=4)
        parser.add_argument("--backoff", type=float, default=1.0, help="first backoff, seconds")
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.TMDB_API_KEY:
            raise CommandError("Set TMDB_API_KEY to fetch from TMDb.")
        client = TmdbClient(
            base_url=settings.TMDB_API_URL,
            api_key=settings.TMDB_API_KEY,
            requests_per_second=float(options["rate"]),
            max_retries=int(options["retries"]),
            backoff_seconds=float(options["backoff"]),
        )
        pending = Movie.objects.filter(tmdb_id__isnull=False, tmdb_synced_at__isnull=True)
        todo = list(pending.order_by("pk").values_list("pk", "tmdb_id"))
        if options["limit"] is not None:
            todo = todo[: int(options["limit"])]
        started = time.perf_counter()
        fetched = not_found = failed = 0
        for movie_pk, tmdb_id in tqdm(
            todo, desc="tmdb", unit="movies", disable=bool(options["no_progress"])
        ):
            try:
                record = client.movie_record(tmdb_id)
            except TmdbError as exc:
                failed += 1
                logger.warning("Movie %s (TMDb %s) skipped: %s", movie_pk, tmdb_id, exc)
                continue
            if record is None:  # TMDb does not know it: do not ask again
                Movie.objects.filter(pk=movie_pk).update(tmdb_synced_at=timezone.now())
                not_found += 1
                continue
            tmdb_metadata_apply([([movie_pk], record)])
            fetched += 1
        self.stdout.write(f"fetched: {fetched:,}")
        self.stdout.write(f"not found: {not_found:,}")
        self.stdout.write(f"failed (retried next run): {failed:,}")
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"TMDb fetch done in {elapsed:.1f} s"))
