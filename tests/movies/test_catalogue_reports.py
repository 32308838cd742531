"""Data-quality reports (log_missing_tmdb / fields / credits) and print_user_ratings, on the
demo-shaped fixtures (MovieLens + TMDb dump, imported as load_demo_data does) and factories."""

import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory
from tests.movies.test_import import _import_ml, _import_tmdb

pytestmark = pytest.mark.django_db


def _call(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_catalogue(db) -> None:
    _import_ml()
    _import_tmdb()


def test_missing_tmdb_counts_and_lists_the_movies(demo_catalogue, caplog):
    with caplog.at_level(logging.WARNING, logger="movies.quality"):
        output = _call("log_missing_tmdb")
    assert output.splitlines() == ["movies: 5", "missing tmdb_id: 1 (20.0%)", "  ids: 99"]
    assert "1 of 5 movies: missing tmdb_id" in caplog.text


def test_missing_fields_report_each_field(demo_catalogue):
    report = json.loads(_call("log_missing_fields", "--json"))
    assert report["movies"] == 5
    missing = {field: entry["ids"] for field, entry in report["missing"].items()}
    assert missing == {
        "imdb_id": [],
        "overview": [2, 50],
        "poster_path": [2, 3, 50],
        "runtime": [2, 50],
        "release_date": [2, 50],
        "genres": [],
    }
    assert report["missing"]["overview"]["count"] == 2
    only = _call("log_missing_fields", "--field", "runtime", "--field", "overview")
    assert only.splitlines() == [
        "movies: 5",
        "missing runtime: 2 (40.0%)",
        "  ids: 2, 50",
        "missing overview: 2 (40.0%)",
        "  ids: 2, 50",
    ]


def test_missing_credits_report_cast_and_directors(demo_catalogue):
    report = json.loads(_call("log_missing_credits", "--json"))
    assert {k: v["ids"] for k, v in report["missing"].items()} == {
        "cast": [2, 50],
        "directors": [50],
    }


def test_reports_cut_long_id_lists_and_count_blank_text_as_missing():
    genre = GenreFactory(name="Drama")
    blank = [MovieFactory(tmdb_id=100 + i, overview="", genres=[genre]) for i in range(4)]
    MovieFactory(tmdb_id=200, overview="Plot.", genres=[genre])
    output = _call("log_missing_fields", "--field", "overview", "--show", "2")
    ids = [m.pk for m in blank]
    assert output.splitlines()[1:] == [
        "missing overview: 4 (80.0%)",
        f"  ids: {ids[0]}, {ids[1]}, ... (2 more; --show 0 lists all)",
    ]
    assert f"ids: {', '.join(map(str, ids))}" in _call(
        "log_missing_fields", "--field", "overview", "--show", "0"
    )


def test_an_empty_catalogue_and_bad_options():
    assert _call("log_missing_tmdb").splitlines() == ["movies: 0", "missing tmdb_id: 0"]
    with pytest.raises(CommandError, match="--field 'plot'"):
        _call("log_missing_fields", "--field", "plot")
    with pytest.raises(CommandError, match="--show must be >= 0"):
        _call("log_missing_credits", "--show", "-1")


def test_print_user_ratings_newest_first_by_id_or_username():
    user = UserFactory(username="ml_user_7")
    old = MovieFactory(title="Old Film")
    new = MovieFactory(title="New Film")
    RatingFactory(
        user=user, movie=old, value=Decimal("4.5"), timestamp=datetime(2020, 1, 2, tzinfo=UTC)
    )
    RatingFactory(
        user=user, movie=new, value=Decimal("2.0"), timestamp=datetime(2024, 5, 6, tzinfo=UTC)
    )
    RatingFactory(movie=old)  # someone else's
    expected = [
        f"user {user.pk} (ml_user_7): 2 ratings",
        f"2.0  2024-05-06  {new.pk:>7}  New Film",
        f"4.5  2020-01-02  {old.pk:>7}  Old Film",
    ]
    assert _call("print_user_ratings", str(user.pk)).splitlines() == expected
    assert _call("print_user_ratings", "ML_USER_7").splitlines() == expected
    best = _call("print_user_ratings", "ml_user_7", "--order", "stars", "--limit", "1")
    assert best.splitlines() == [expected[0], expected[2]]


def test_print_user_ratings_of_an_imported_rater(demo_catalogue):
    lines = _call("print_user_ratings", "ml_user_1").splitlines()
    assert lines[0].startswith("user ")
    assert "ml_user_1" in lines[0]
    assert len(lines) > 1


def test_print_user_ratings_unknown_user():
    with pytest.raises(CommandError, match="no user with id or username 'nobody'"):
        _call("print_user_ratings", "nobody")
