"""fetch_tmdb against a local stand-in for the TMDb API (http.server on 127.0.0.1)."""

import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import ClassVar

import pytest
from django.core.management import CommandError, call_command

from movies.models import Movie
from movies.tmdb import TmdbClient, TmdbError
from tests.factories import GenreFactory, MovieFactory

pytestmark = pytest.mark.django_db

MATRIX = {
    "id": 603,
    "imdb_id": "tt0133093",
    "title": "The Matrix",
    "overview": "Set in the 22nd century...",
    "poster_path": "/matrix.jpg",
    "runtime": 136,
    "adult": False,
    "release_date": "1999-03-31",
    "genres": [{"id": 28, "name": "Action"}, {"id": 878, "name": "Science Fiction"}],
    "credits": {
        "cast": [
            {"name": "Laurence Fishburne", "order": 1},
            {"name": "Keanu Reeves", "order": 0},
            {"name": "Carrie-Anne Moss", "order": 2},
        ],
        "crew": [
            {"name": "Lana Wachowski", "job": "Director"},
            {"name": "Joel Silver", "job": "Producer"},
        ],
    },
    "keywords": {"keywords": [{"id": 1, "name": "Artificial Intelligence"}]},
}


class FakeTmdb(BaseHTTPRequestHandler):
    """Answers like TMDb: /movie/603 ok, /movie/604 429 then ok, /movie/605 404,
    /movie/606 malformed JSON, /movie/607 always 503."""

    hits: ClassVar[Counter[str]] = Counter()
    queries: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self.hits[path] += 1
        self.queries.append(query)
        if path == "/3/movie/603":
            self._send(200, json.dumps(MATRIX))
        elif path == "/3/movie/604":
            if self.hits[path] == 1:
                self._send(429, '{"status_code": 25}', {"Retry-After": "0"})
            else:
                self._send(200, json.dumps({**MATRIX, "id": 604, "title": "Matrix Reloaded"}))
        elif path == "/3/movie/605":
            self._send(404, '{"status_code": 34}')
        elif path == "/3/movie/606":
            self._send(200, '{"id": 606, "title": "Broken"')
        else:
            self._send(503, "unavailable")

    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_tmdb(settings) -> Iterator[str]:
    FakeTmdb.hits.clear()
    FakeTmdb.queries.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTmdb)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/3"
    settings.TMDB_API_URL = url
    settings.TMDB_API_KEY = "test-key"
    yield url
    server.shutdown()
    server.server_close()
    thread.join()


def _fetch(*args: str) -> str:
    out = StringIO()
    call_command("fetch_tmdb", "--no-progress", "--backoff", "0", "--rate", "0", *args, stdout=out)
    return out.getvalue()


def test_fetch_fills_missing_metadata_and_survives_bad_movies(fake_tmdb):
    ok = MovieFactory(
        title="Matrix", tmdb_id=603, overview=None, genres=[GenreFactory(name="Sci-Fi")]
    )
    retried = MovieFactory(title="Matrix 2", tmdb_id=604, overview=None)
    missing = MovieFactory(title="Gone", tmdb_id=605, overview=None)
    broken = MovieFactory(title="Broken", tmdb_id=606, overview=None)
    down = MovieFactory(title="Down", tmdb_id=607, overview=None)
    MovieFactory(title="No TMDb id", tmdb_id=None)

    output = _fetch("--retries", "2")

    assert "fetched: 2" in output
    assert "not found: 1" in output
    assert "failed (retried next run): 2" in output
    ok.refresh_from_db()
    assert (ok.title, ok.runtime, ok.poster_path, str(ok.release_date)) == (
        "The Matrix",
        136,
        "/matrix.jpg",
        "1999-03-31",
    )
    assert sorted(ok.genres.values_list("name", flat=True)) == ["Action", "Science Fiction"]
    assert [c.person.name for c in ok.cast_credits.order_by("order")] == [
        "Keanu Reeves",
        "Laurence Fishburne",
        "Carrie-Anne Moss",
    ]
    assert list(ok.directors.values_list("name", flat=True)) == ["Lana Wachowski"]
    assert list(ok.keywords.values_list("name", flat=True)) == ["artificial intelligence"]
    retried.refresh_from_db()
    assert retried.title == "Matrix Reloaded"
    assert FakeTmdb.hits["/3/movie/604"] == 2  # 429, then success
    assert FakeTmdb.hits["/3/movie/607"] == 3  # 503 three times (1 + 2 retries)
    assert "api_key=test-key" in FakeTmdb.queries[0]
    assert Movie.objects.get(pk=missing.pk).tmdb_synced_at is not None  # not asked again
    assert Movie.objects.get(pk=broken.pk).tmdb_synced_at is None
    assert Movie.objects.get(pk=down.pk).tmdb_synced_at is None


def test_fetch_resumes_where_it_stopped(fake_tmdb):
    MovieFactory(tmdb_id=603)
    MovieFactory(tmdb_id=605)
    assert "fetched: 1" in _fetch("--limit", "1")
    hits = sum(FakeTmdb.hits.values())

    output = _fetch()

    assert "fetched: 0" in output
    assert "not found: 1" in output
    assert sum(FakeTmdb.hits.values()) == hits + 1  # only the movie not yet done
    assert "fetched: 0" in _fetch()
    assert "not found: 0" in _fetch()


def test_fetch_needs_an_api_key(settings):
    settings.TMDB_API_KEY = ""
    with pytest.raises(CommandError, match="TMDB_API_KEY"):
        call_command("fetch_tmdb")


def test_client_reports_malformed_json_and_exhausted_retries(fake_tmdb):
    client = TmdbClient(base_url=fake_tmdb, api_key="k", backoff_seconds=0, max_retries=1)
    with pytest.raises(TmdbError, match="malformed JSON"):
        client.movie_record(606)
    with pytest.raises(TmdbError, match="gave up after 2 attempts"):
        client.movie_record(607)
    assert client.movie_record(605) is None


def test_client_honours_retry_after_and_rate_limit(fake_tmdb):
    waits: list[float] = []
    client = TmdbClient(
        base_url=fake_tmdb, api_key="eyJhbGciOi.token", requests_per_second=1000, sleep=waits.append
    )
    assert client.movie_record(604)["title"] == "Matrix Reloaded"
    assert 0.0 in waits  # Retry-After: 0
    assert "api_key" not in FakeTmdb.queries[0]  # a v4 token goes in the Authorization header


def _query(*args: str) -> str:
    out = StringIO()
    call_command("print_tmdb_query", *args, stdout=out)
    return out.getvalue()


def test_print_tmdb_query_shows_the_request_without_sending_it(fake_tmdb):
    movie = MovieFactory(title="Matrix", tmdb_id=603, overview=None)
    lines = _query(str(movie.pk)).splitlines()
    assert lines == [
        f"movie: {movie.pk} Matrix",
        "TMDb id: 603",
        "due: yes (never synced; fetch_tmdb would fetch it)",
        f"GET {fake_tmdb}/movie/603?api_key=<redacted>&append_to_response=credits,keywords",
    ]
    assert sum(FakeTmdb.hits.values()) == 0
    assert "test-key" not in "\n".join(lines)


def test_print_tmdb_query_send_prints_the_record_and_saves_nothing(fake_tmdb):
    movie = MovieFactory(title="Matrix", tmdb_id=603, overview=None)
    output = _query(str(movie.pk), "--send")
    record = json.loads(output[output.index("{") :])
    assert record["title"] == "The Matrix"
    assert record["cast"] == ["Keanu Reeves", "Laurence Fishburne", "Carrie-Anne Moss"]
    assert record["directors"] == ["Lana Wachowski"]
    assert FakeTmdb.hits["/3/movie/603"] == 1
    assert "api_key=test-key" in FakeTmdb.queries[0]
    movie.refresh_from_db()
    assert (movie.title, movie.overview, movie.tmdb_synced_at) == ("Matrix", None, None)
    gone = MovieFactory(tmdb_id=605)
    assert "TMDb does not know this movie (404)" in _query(str(gone.pk), "--send")


def test_print_tmdb_query_for_synced_and_id_less_movies(fake_tmdb, settings):
    synced = MovieFactory(tmdb_id=603)
    _fetch()
    assert "due: no (synced " in _query(str(synced.pk))
    bare = MovieFactory(tmdb_id=None, title="Home Video")
    assert "TMDb id: none; fetch_tmdb skips this movie" in _query(str(bare.pk))
    with pytest.raises(CommandError, match="no movie with id 999999"):
        _query("999999")
    settings.TMDB_API_KEY = ""
    output = _query(str(synced.pk))
    assert "TMDB_API_KEY is not set" in output
    with pytest.raises(CommandError, match="TMDB_API_KEY"):
        _query(str(synced.pk), "--send")


def test_print_tmdb_query_hides_a_v4_token(fake_tmdb, settings):
    settings.TMDB_API_KEY = "eyJhbGciOi.secret"
    movie = MovieFactory(tmdb_id=603)
    output = _query(str(movie.pk))
    assert "  Authorization: <redacted>" in output
    assert "secret" not in output
    assert "api_key" not in output
