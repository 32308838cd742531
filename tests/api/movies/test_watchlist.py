import datetime

import pytest
from django.utils import timezone

from movies.models import Movie, WatchlistItem
from tests.factories import MovieFactory, WatchlistItemFactory, absent_pk

pytestmark = pytest.mark.django_db


def _summary(movie) -> dict:
    return {
        "id": movie.id,
        "title": movie.title,
        "poster_url": None,
        "overview": "A film.",
        "release_date": "2000-01-01",
        "runtime": 100,
        "adult": False,
    }


def test_add_to_watch_list(auth_client, user):
    movie = MovieFactory()

    response = auth_client.post(f"/api/movie/{movie.id}/watch/")

    assert response.status_code == 201
    assert response.json() == {"message": "Added to watch list."}
    assert WatchlistItem.objects.filter(user=user, movie=movie).count() == 1


def test_adding_twice_keeps_one_entry(auth_client, user):
    movie = MovieFactory()
    auth_client.post(f"/api/movie/{movie.id}/watch/")

    response = auth_client.post(f"/api/movie/{movie.id}/watch")

    assert response.status_code == 201
    assert WatchlistItem.objects.filter(user=user, movie=movie).count() == 1


def test_remove_from_watch_list(auth_client, user, other_user):
    movie = MovieFactory()
    WatchlistItemFactory(user=user, movie=movie)
    WatchlistItemFactory(user=other_user, movie=movie)

    response = auth_client.delete(f"/api/movie/{movie.id}/watch/")

    assert response.status_code == 204
    assert list(WatchlistItem.objects.values_list("user", flat=True)) == [other_user.id]


def test_removing_a_movie_not_on_the_list_is_204(auth_client):
    movie = MovieFactory()
    assert auth_client.delete(f"/api/movie/{movie.id}/watch/").status_code == 204


@pytest.mark.parametrize("method", ["post", "delete"])
def test_unknown_movie_is_404(auth_client, method):
    response = getattr(auth_client, method)(f"/api/movie/{absent_pk(Movie)}/watch/")
    assert response.status_code == 404
    assert response.json() == {"message": "Movie not found"}


@pytest.mark.parametrize("method", ["post", "delete"])
def test_anonymous_gets_401(api_client, method):
    movie = MovieFactory()
    assert getattr(api_client, method)(f"/api/movie/{movie.id}/watch/").status_code == 401


def test_watch_list_most_recent_first(auth_client, user, other_user):
    now = timezone.now()
    old, new = MovieFactory(title="Old"), MovieFactory(title="New")
    WatchlistItemFactory(user=user, movie=old, added_at=now)
    WatchlistItemFactory(user=user, movie=new, added_at=now + datetime.timedelta(minutes=1))
    WatchlistItemFactory(user=other_user, movie=MovieFactory())

    response = auth_client.get("/api/movies/watch/")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert response.json() == [_summary(new), _summary(old)]


def test_watch_list_paginates(auth_client, user):
    now = timezone.now()
    movies = [MovieFactory() for _ in range(4)]
    for i, movie in enumerate(movies):
        WatchlistItemFactory(user=user, movie=movie, added_at=now + datetime.timedelta(seconds=i))

    response = auth_client.get("/api/movies/watch?limit=2&offset=2")

    assert response["X-Total-Count"] == "4"
    assert [m["id"] for m in response.json()] == [movies[1].id, movies[0].id]


def test_watch_list_bad_limit_is_400(auth_client):
    assert auth_client.get("/api/movies/watch/?limit=-5").status_code == 400


def test_watch_list_anonymous_401(api_client):
    assert api_client.get("/api/movies/watch/").status_code == 401


@pytest.mark.parametrize("rows", [1, 5])
def test_watch_list_query_count_is_constant(auth_client, user, django_assert_num_queries, rows):
    for _ in range(rows):
        WatchlistItemFactory(user=user)
    with django_assert_num_queries(2):  # the page with its total, the movies' summaries
        response = auth_client.get("/api/movies/watch/")
    assert len(response.json()) == rows
