import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from social.models import Friendship
from tests.factories import MovieFactory, RatingFactory, UserFactory, absent_pk

pytestmark = pytest.mark.django_db


def _befriend(a, b) -> None:
    low, high = sorted([a, b], key=lambda u: u.pk)
    Friendship.objects.create(user_low=low, user_high=high)


def test_own_rated_movies_most_recent_first(auth_client, user, other_user):
    now = timezone.now()
    old = RatingFactory(user=user, value=Decimal("2.5"), timestamp=now)
    new = RatingFactory(
        user=user,
        value=Decimal("5.0"),
        timestamp=now + datetime.timedelta(minutes=1),
        movie=MovieFactory(title="Heat", poster_path="/heat.jpg"),
    )
    RatingFactory(user=other_user)

    response = auth_client.get("/api/user/movies/rated/")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert response.json() == [
        {
            "id": new.movie_id,
            "title": "Heat",
            "poster_url": "https://image.tmdb.org/t/p/w500/heat.jpg",
            "overview": "A film.",
            "release_date": "2000-01-01",
            "runtime": 100,
            "adult": False,
            "user_rating": 5.0,
        },
        {
            "id": old.movie_id,
            "title": old.movie.title,
            "poster_url": None,
            "overview": "A film.",
            "release_date": "2000-01-01",
            "runtime": 100,
            "adult": False,
            "user_rating": 2.5,
        },
    ]


def test_own_rated_movies_without_slash_and_paginated(auth_client, user):
    RatingFactory.create_batch(3, user=user)
    response = auth_client.get("/api/user/movies/rated?limit=1")
    assert response["X-Total-Count"] == "3"
    assert len(response.json()) == 1


def test_own_rated_anonymous_401(api_client):
    assert api_client.get("/api/user/movies/rated/").status_code == 401


def test_public_users_rated_movies(auth_client, other_user):
    rating = RatingFactory(user=other_user, value=Decimal("3.5"))

    response = auth_client.get(f"/api/user/{other_user.id}/movies/rated/")

    assert response.status_code == 200
    assert [(m["id"], m["user_rating"]) for m in response.json()] == [(rating.movie_id, 3.5)]


def test_private_friend_is_visible(auth_client, user):
    friend = UserFactory(is_private=True)
    _befriend(user, friend)
    RatingFactory(user=friend)
    assert len(auth_client.get(f"/api/user/{friend.id}/movies/rated/").json()) == 1


def test_private_stranger_is_403(auth_client):
    stranger = UserFactory(is_private=True)
    RatingFactory(user=stranger)

    response = auth_client.get(f"/api/user/{stranger.id}/movies/rated/")

    assert response.status_code == 403
    assert response.json() == {"message": "This user's profile is private"}


def test_own_id_works_even_when_private(auth_client, user):
    user.is_private = True
    user.save()
    RatingFactory(user=user)
    assert auth_client.get(f"/api/user/{user.id}/movies/rated/").status_code == 200


@pytest.mark.parametrize("user_id", ["absent", "99999999999999999999"])
def test_unknown_user_is_404(auth_client, user_id):
    if user_id == "absent":
        user_id = absent_pk(User)
    response = auth_client.get(f"/api/user/{user_id}/movies/rated/")
    assert response.status_code == 404
    assert response.json() == {"message": "User not found"}


def test_other_users_rated_anonymous_401(api_client, other_user):
    assert api_client.get(f"/api/user/{other_user.id}/movies/rated/").status_code == 401


@pytest.mark.parametrize("rows", [1, 5])
def test_own_rated_query_count_is_constant(auth_client, user, django_assert_num_queries, rows):
    RatingFactory.create_batch(rows, user=user)
    with django_assert_num_queries(2):  # the page with its total, the movies' summaries
        response = auth_client.get("/api/user/movies/rated/")
    assert len(response.json()) == rows


@pytest.mark.parametrize("rows", [1, 5])
def test_friends_rated_query_count_is_constant(auth_client, user, django_assert_num_queries, rows):
    friend = UserFactory(is_private=True)
    _befriend(user, friend)
    RatingFactory.create_batch(rows, user=friend)
    with django_assert_num_queries(4):  # user, friendship, page with its total, summaries
        response = auth_client.get(f"/api/user/{friend.id}/movies/rated/")
    assert len(response.json()) == rows
