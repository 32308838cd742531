import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from movies.models import Movie
from movies.tmdb import MOVIE_PARAMS, TmdbClient, TmdbError

REDACTED = "<redacted>"


class Command(BaseCommand):
    help = (
        "Show what fetch_tmdb would fetch for one movie: whether it is due, and the request "
        "(credentials redacted). With --send, make that one request and print the record "
        "fetch_tmdb would apply, without saving anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("movie_id", type=int, help="the movie's id (= MovieLens movieId)")
        parser.add_argument(
            "--send", action="store_true", help="query TMDb (needs TMDB_API_KEY); saves nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        movie = Movie.objects.filter(pk=options["movie_id"]).first()
        if movie is None:
            raise CommandError(f"no movie with id {options['movie_id']}", returncode=2)
        self.stdout.write(f"movie: {movie.pk} {movie.title}")
        if movie.tmdb_id is None:
            self.stdout.write("TMDb id: none; fetch_tmdb skips this movie (see log_missing_tmdb)")
            if options["send"]:
                raise CommandError("no TMDb id to query", returncode=2)
            return
        self.stdout.write(f"TMDb id: {movie.tmdb_id}")
        if movie.tmdb_synced_at is None:
            self.stdout.write("due: yes (never synced; fetch_tmdb would fetch it)")
        else:
            synced = movie.tmdb_synced_at.isoformat(timespec="seconds")
            self.stdout.write(f"due: no (synced {synced}; fetch_tmdb skips it)")
        key = settings.TMDB_API_KEY
        client = TmdbClient(
            base_url=settings.TMDB_API_URL,
            api_key=key or "unset",
            requests_per_second=0,
            max_retries=0,
            backoff_seconds=0,
        )
        url, query, headers = client.request_for(client.movie_path(movie.tmdb_id), MOVIE_PARAMS)
        shown = {k: (REDACTED if k == "api_key" else v) for k, v in query.items()}
        self.stdout.write(f"GET {url}?{urlencode(shown, safe=',<>')}")
        for name in headers:
            self.stdout.write(f"  {name}: {REDACTED}")
        if not key:
            self.stdout.write("TMDB_API_KEY is not set: fetch_tmdb would refuse to run")
        if not options["send"]:
            return
        if not key:
            raise CommandError("Set TMDB_API_KEY to query TMDb.", returncode=2)
        try:
            record = client.movie_record(movie.tmdb_id)
        except TmdbError as exc:
            raise CommandError(f"TMDb: {exc}") from exc
        if record is None:
            self.stdout.write("TMDb does not know this movie (404): fetch_tmdb marks it synced")
            return
        self.stdout.write(json.dumps(record, indent=2, ensure_ascii=False))
