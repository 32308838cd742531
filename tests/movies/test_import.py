"""The importers, on a tiny MovieLens folder and a tiny TMDb dump under tests/fixtures/."""

import datetime
import gzip
import shutil
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from movies.management.commands import load_demo_data
from movies.models import CastCredit, Genre, Keyword, Movie, Person, Rating
from social.models import Friendship
from tests.factories import MovieFactory, UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ML_DIR = FIXTURES / "movielens-tiny"
TMDB_FILE = FIXTURES / "tmdb-tiny.jsonl"


def _import_ml() -> str:
    out = StringIO()
    call_command("import_movielens", str(ML_DIR), "--no-progress", stdout=out)
    return out.getvalue()


def _import_tmdb() -> str:
    out = StringIO()
    call_command("import_tmdb", str(TMDB_FILE), "--no-progress", stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    return {
        "movies": list(Movie.objects.order_by("pk").values()),
        "ratings": list(Rating.objects.order_by("pk").values()),
        "users": list(User.objects.order_by("pk").values("pk", "username", "movielens_id")),
        "genres": sorted(Movie.genres.through.objects.values_list("movie_id", "genre__name")),
        "keywords": sorted(Movie.keywords.through.objects.values_list("movie_id", "keyword_id")),
        "credits": sorted(CastCredit.objects.values_list("movie_id", "person_id", "order")),
        "directors": sorted(Movie.directors.through.objects.values_list("movie_id", "person_id")),
        "names": (Genre.objects.count(), Person.objects.count(), Keyword.objects.count()),
    }


def test_movielens_import(db):
    output = _import_ml()

    assert "movies created: 5" in output
    assert "ratings created: 7" in output  # movie 777 is not in movies.csv
    assert "users created: 3" in output
    assert sorted(
        Movie.objects.values_list("pk", "movielens_id", "title", "tmdb_id", "imdb_id")
    ) == [
        (1, 1, "Toy Story", 862, "tt0114709"),
        (2, 2, "The Matrix", 603, "tt0133093"),
        (3, 3, "Amélie (Fabuleux destin d'Amélie Poulain, Le)", 194, "tt0211915"),
        (50, 50, "The Usual Suspects", 629, "tt0114814"),
        (99, 99, "Unknown Thing", None, "tt1234567"),
    ]
    toy = Movie.objects.get(pk=1)
    assert toy.title_normalized == "toy story"
    assert (toy.ratings_count, toy.ratings_sum) == (3, Decimal("12.0"))
    assert sorted(toy.genres.values_list("name", flat=True)) == [
        "Adventure",
        "Animation",
        "Children",
        "Comedy",
        "Fantasy",
    ]
    assert list(toy.keywords.values_list("name", flat=True)) == ["pixar"]
    assert not Movie.objects.get(pk=99).genres.exists()
    rating = Rating.objects.get(movie_id=2, user__movielens_id=1)
    assert rating.value == Decimal("5.0")
    assert rating.timestamp == datetime.datetime.fromtimestamp(964981247, tz=datetime.UTC)


def test_movielens_users_cannot_sign_in(db, api_client):
    _import_ml()
    ml_user = User.objects.get(movielens_id=7)
    assert (ml_user.username, ml_user.email) == ("ml_user_7", None)
    assert not ml_user.has_usable_password()
    response = api_client.post("/api/token/", {"username": "ml_user_7", "password": ""})
    assert response.status_code in (400, 401)


def test_second_import_changes_nothing(db):
    _import_ml()
    _import_tmdb()
    before = _snapshot()

    output = _import_ml()

    assert "movies created: 0" in output
    assert "ratings created: 0" in output
    assert "users created: 0" in output
    assert "links updated: 0" in output
    assert _snapshot() == before


def test_tmdb_import_twice_changes_nothing_but_sync_time(db):
    _import_ml()
    _import_tmdb()
    before = _snapshot()
    _import_tmdb()
    after = _snapshot()
    for snapshot in (before, after):
        for movie in snapshot["movies"]:
            movie.pop("tmdb_synced_at")
    assert after == before


def test_new_movies_get_ids_after_the_imported_ones(db):
    _import_ml()
    assert MovieFactory().pk > 99


def test_existing_accounts_keep_their_ratings(db):
    _import_ml()
    person = UserFactory()
    Rating.objects.create(user=person, movie_id=1, value=Decimal("1.0"))
    Movie.objects.filter(pk=1).update(ratings_count=4, ratings_sum=Decimal("13.0"))
    _import_ml()
    toy = Movie.objects.get(pk=1)
    assert (toy.ratings_count, toy.ratings_sum) == (4, Decimal("13.0"))


def test_tmdb_import_fills_metadata(db):
    _import_ml()

    output = _import_tmdb()

    assert "movies updated: 3" in output
    assert "records without a movie: 1" in output
    toy = Movie.objects.get(pk=1)
    assert (toy.title, toy.runtime, toy.release_date, toy.poster_path, toy.adult) == (
        "Toy Story",
        81,
        datetime.date(1995, 10, 30),
        "/uXDfjJbdP4ijW5hWSBrPrlKpxab.jpg",
        False,
    )
    assert toy.overview.startswith("Led by Woody")
    assert sorted(toy.genres.values_list("name", flat=True)) == [
        "Adventure",
        "Animation",
        "Comedy",
        "Family",
    ]
    actors = CastCredit.objects.filter(movie=toy).order_by("order")
    assert [c.person.name for c in actors] == ["Tom Hanks", "Tim Allen", "Don Rickles"]
    assert list(toy.directors.values_list("name", flat=True)) == ["John Lasseter"]
    assert sorted(toy.keywords.values_list("name", flat=True)) == ["friendship", "pixar", "toy"]
    assert toy.tmdb_synced_at is not None

    amelie = Movie.objects.get(pk=3)
    assert (amelie.title, amelie.title_normalized) == ("Amélie", "amelie")


def test_tmdb_gaps_keep_movielens_values(db):
    _import_ml()
    _import_tmdb()
    matrix = Movie.objects.get(pk=2)
    assert (matrix.title, matrix.overview, matrix.runtime, matrix.release_date) == (
        "The Matrix",
        None,
        None,
        None,
    )
    assert sorted(matrix.genres.values_list("name", flat=True)) == ["Action", "Sci-Fi", "Thriller"]
    assert sorted(matrix.directors.values_list("name", flat=True)) == [
        "Lana Wachowski",
        "Lilly Wachowski",
    ]


def test_load_demo_data_fills_an_empty_database(db, monkeypatch, tmp_path):
    # The tiny fixtures laid out as data/demo/ is.
    shutil.copytree(ML_DIR, tmp_path / "ml-latest-small")
    (tmp_path / "tmdb").mkdir()
    with gzip.open(tmp_path / "tmdb" / "movies.jsonl.gz", "wb") as packed:
        packed.write(TMDB_FILE.read_bytes())
    (tmp_path / "social").mkdir()
    (tmp_path / "social" / "friendships.csv").write_text("userId,friendUserId\n1,2\n")
    monkeypatch.setattr(load_demo_data, "DEMO_DIR", tmp_path)
    out = StringIO()
    call_command("load_demo_data", "--no-progress", stdout=out)
    assert Movie.objects.count() == 5
    assert Movie.objects.get(pk=1).overview.startswith("Led by Woody")
    assert "Demo data loaded" in out.getvalue()
    # The synthetic demo friendships, between the imported MovieLens users 1 and 2.
    friendship = Friendship.objects.get()
    assert {friendship.user_low.movielens_id, friendship.user_high.movielens_id} == {1, 2}


def test_load_demo_data_does_nothing_when_movies_exist(db):
    MovieFactory()
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert Movie.objects.count() == 1
    assert "already" in out.getvalue()


def test_demo_data_is_in_the_repository():
    demo = load_demo_data.DEMO_DIR
    for name in ("movies", "links", "ratings", "tags"):
        assert (demo / "ml-latest-small" / f"{name}.csv.gz").is_file()
    assert (demo / "social" / "friendships.csv").is_file()
    assert (demo / "ml-latest-small" / "README.txt").is_file()
    assert (demo / "tmdb" / "movies.jsonl.gz").is_file()


def test_tmdb_import_skips_bad_lines(db):
    _import_ml()
    out = StringIO()
    call_command("import_tmdb", str(FIXTURES / "tmdb-bad-lines.jsonl"), "--no-progress", stdout=out)
    assert "bad lines: 2" in out.getvalue()
    assert "movies updated: 1" in out.getvalue()
    assert "records without a movie: 1" in out.getvalue()
    assert Movie.objects.get(pk=50).runtime == 106
    assert Movie.objects.get(pk=99).title == "Unknown Thing"
