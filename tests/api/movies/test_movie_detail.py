from decimal import Decimal

import pytest

from movies.models import Movie
from tests.factories import (
    GenreFactory,
    MovieFactory,
    PersonFactory,
    RatingFactory,
    WatchlistItemFactory,
    absent_pk,
)

pytestmark = pytest.mark.django_db


def test_user_sees_movie_page(auth_client, user, other_user):
    movie = MovieFactory(
        title="Toy Story",
        overview="Toys come alive.",
        poster_path="/toy.jpg",
        runtime=81,
        release_date="1995-10-30",
        genres=[GenreFactory(name="Animation"), GenreFactory(name="Comedy")],
        directors=[PersonFactory(name="John Lasseter")],
        cast=[PersonFactory(name="Tom Hanks"), PersonFactory(name="Tim Allen")],
    )
    RatingFactory(user=user, movie=movie, value=Decimal("4.5"))
    RatingFactory(user=other_user, movie=movie, value=Decimal("3.0"))
    WatchlistItemFactory(user=user, movie=movie)

    response = auth_client.get(f"/api/movie/{movie.id}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": movie.id,
        "title": "Toy Story",
        "poster_url": "https://image.tmdb.org/t/p/w500/toy.jpg",
        "overview": "Toys come alive.",
        "runtime": 81,
        "adult": False,
        "release_date": "1995-10-30",
        "genres": [{"name": "Animation"}, {"name": "Comedy"}],
        "actors": [{"name": "Tom Hanks"}, {"name": "Tim Allen"}],
        "directors": [{"name": "John Lasseter"}],
        "average_rating": 3.8,
        "rated": 4.5,
        "on_watchlist": True,
    }


def test_cast_keeps_billing_order(auth_client):
    names = ["Zed", "Amy", "Mike", "Bob"]
    movie = MovieFactory(cast=[PersonFactory(name=n) for n in names])

    response = auth_client.get(f"/api/movie/{movie.id}")

    assert [a["name"] for a in response.json()["actors"]] == names


def test_unrated_movie_without_metadata(auth_client):
    movie = MovieFactory(
        title="Obscure", overview=None, runtime=None, release_date=None, poster_path=None
    )

    body = auth_client.get(f"/api/movie/{movie.id}/").json()

    assert body == {
        "id": movie.id,
        "title": "Obscure",
        "poster_url": None,
        "overview": None,
        "runtime": None,
        "adult": False,
        "release_date": None,
        "genres": [],
        "actors": [],
        "directors": [],
        "average_rating": None,
        "rated": 0,
        "on_watchlist": False,
    }


@pytest.mark.parametrize("movie_id", ["absent", "9223372036854775807", "99999999999999999999"])
def test_unknown_movie_is_404(auth_client, movie_id):
    if movie_id == "absent":
        movie_id = absent_pk(Movie)
    response = auth_client.get(f"/api/movie/{movie_id}/")
    assert response.status_code == 404
    assert response.json() == {"message": "Movie not found"}


def test_anonymous_gets_401(api_client):
    movie = MovieFactory()
    assert api_client.get(f"/api/movie/{movie.id}/").status_code == 401


def test_query_count_is_constant(auth_client, django_assert_num_queries):
    small = MovieFactory(cast=[PersonFactory()], genres=[GenreFactory()])
    big = MovieFactory(
        cast=[PersonFactory() for _ in range(5)], genres=[GenreFactory() for _ in range(5)]
    )
    # First view of a movie in this process: its own query plus the public part's four
    # (materialised, movies/catalogue.py); later views: one query for the average and the
    # viewer's fields.
    with django_assert_num_queries(5):
        auth_client.get(f"/api/movie/{small.id}/")
    with django_assert_num_queries(5):
        auth_client.get(f"/api/movie/{big.id}/")
    with django_assert_num_queries(1):
        auth_client.get(f"/api/movie/{big.id}/")


@pytest.mark.parametrize(
    ("values", "expected"),
    [(["3.0", "3.5"], 3.3), (["4.5", "4.0"], 4.3), (["1.0", "1.0", "1.5"], 1.2), (["5.0"], 5.0)],
)
def test_average_is_rounded_half_up(auth_client, values, expected):
    movie = MovieFactory()
    for value in values:
        RatingFactory(movie=movie, value=Decimal(value))
    assert auth_client.get(f"/api/movie/{movie.id}/").json()["average_rating"] == expected
