import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connections, transaction

from movies.models import Comment, Movie, Rating, WatchlistItem
from tests.factories import (
    CommentFactory,
    MovieFactory,
    RatingFactory,
    UserFactory,
    WatchlistItemFactory,
    absent_pk,
)

pytestmark = pytest.mark.django_db


def _aggregates(movie: Movie) -> tuple[int, Decimal]:
    movie.refresh_from_db()
    return movie.ratings_count, movie.ratings_sum


def _exact(movie: Movie) -> tuple[int, Decimal]:
    values = list(Rating.objects.filter(movie=movie).values_list("value", flat=True))
    return len(values), sum(values, Decimal("0.0"))


def test_first_rating_is_201(auth_client, user):
    movie = MovieFactory()

    response = auth_client.post(f"/api/movie/{movie.id}/rate/", {"rating": 4.5}, format="json")

    assert response.status_code == 201
    rating = Rating.objects.get()
    assert response.json() == {
        "message": "Rating saved.",
        "data": {
            "id": rating.id,
            "movie": movie.id,
            "user": user.id,
            "rating": 4.5,
            "timestamp": rating.timestamp.isoformat().replace("+00:00", "Z"),
        },
    }
    assert _aggregates(movie) == (1, Decimal("4.5"))


def test_rerating_is_200_and_moves_the_sum(auth_client, user, other_user):
    movie = MovieFactory()
    RatingFactory(user=other_user, movie=movie, value=Decimal("2.0"))
    RatingFactory(user=user, movie=movie, value=Decimal("1.0"))

    response = auth_client.post(f"/api/movie/{movie.id}/rate/", {"rating": 5}, format="json")

    assert response.status_code == 200
    assert response.json()["message"] == "Rating updated."
    assert response.json()["data"]["rating"] == 5.0
    assert Rating.objects.get(user=user).value == Decimal("5.0")
    assert _aggregates(movie) == (2, Decimal("7.0")) == _exact(movie)
    assert auth_client.get(f"/api/movie/{movie.id}/").json()["average_rating"] == 3.5


@pytest.mark.parametrize("value", ["4.5", "3", 0.5, 5, "5.0"])
def test_numeric_strings_and_numbers_are_accepted(auth_client, value):
    movie = MovieFactory()
    response = auth_client.post(f"/api/movie/{movie.id}/rate/", {"rating": value}, format="json")
    assert response.status_code == 201
    assert Rating.objects.get().value == Decimal(str(value))


def test_form_post_rating(auth_client):
    movie = MovieFactory()
    response = auth_client.post(f"/api/movie/{movie.id}/rate", {"rating": "2.5"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        None,
        0,
        7,
        2.3,
        -1,
        1e308,
        True,
        False,
        "NaN",
        "Infinity",
        "sNaN",
        [4],
        {"a": 1},
        "",
        " ",
        "4.5.1",
        5.5,
        "1e308",
    ],
)
def test_invalid_rating_is_400_and_keeps_the_old_one(auth_client, user, value):
    movie = MovieFactory()
    RatingFactory(user=user, movie=movie, value=Decimal("3.5"))

    response = auth_client.post(f"/api/movie/{movie.id}/rate/", {"rating": value}, format="json")

    assert response.status_code == 400
    assert "rating" in response.json()
    assert Rating.objects.get().value == Decimal("3.5")
    assert _aggregates(movie) == (1, Decimal("3.5"))


def test_nan_in_raw_json_is_400(auth_client):
    movie = MovieFactory()
    response = auth_client.post(
        f"/api/movie/{movie.id}/rate/", b'{"rating": NaN}', content_type="application/json"
    )
    assert response.status_code == 400
    assert not Rating.objects.exists()


def test_missing_rating_is_400(auth_client):
    movie = MovieFactory()
    response = auth_client.post(f"/api/movie/{movie.id}/rate/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"rating": ["This field is required."]}


def test_rating_unknown_movie_is_404(auth_client):
    response = auth_client.post(
        f"/api/movie/{absent_pk(Movie)}/rate/", {"rating": 4}, format="json"
    )
    assert response.status_code == 404
    assert response.json() == {"message": "Movie not found"}


def test_rating_anonymous_401(api_client):
    movie = MovieFactory()
    response = api_client.post(f"/api/movie/{movie.id}/rate/", {"rating": 4}, format="json")
    assert response.status_code == 401


def test_rating_changed_event(
    auth_client, other_user, layer_listener, django_capture_on_commit_callbacks
):
    movie = MovieFactory()
    RatingFactory(user=other_user, movie=movie, value=Decimal("3.0"))
    layer_listener.join(f"movie.{movie.id}")

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/movie/{movie.id}/rate/", {"rating": 4}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/movie/{movie.id}/rate/", {"rating": 5}, format="json")

    messages = layer_listener.drain(f"movie.{movie.id}")
    assert [(m["event"], m["data"]) for m in messages] == [
        ("movie.rating_changed", {"movie_id": movie.id, "average_rating": 3.5, "ratings_count": 2}),
        ("movie.rating_changed", {"movie_id": movie.id, "average_rating": 4.0, "ratings_count": 2}),
    ]


def test_invalid_rating_publishes_nothing(
    auth_client, layer_listener, django_capture_on_commit_callbacks
):
    movie = MovieFactory()
    layer_listener.join(f"movie.{movie.id}")
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/movie/{movie.id}/rate/", {"rating": 9}, format="json")
    assert layer_listener.drain(f"movie.{movie.id}") == []


# ---------------------------------------------------------------- account deletion


def test_deleting_a_user_keeps_aggregates_exact(
    auth_client, user, other_user, layer_listener, django_capture_on_commit_callbacks
):
    first, second = MovieFactory(), MovieFactory()
    RatingFactory(user=user, movie=first, value=Decimal("5.0"))
    RatingFactory(user=other_user, movie=first, value=Decimal("2.0"))
    RatingFactory(user=user, movie=second, value=Decimal("0.5"))
    CommentFactory(author=user, movie=first)
    WatchlistItemFactory(user=user, movie=second)
    layer_listener.join(f"movie.{first.id}")
    layer_listener.join(f"movie.{second.id}")

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete("/api/user/delete/")

    assert response.status_code == 204
    assert not Rating.objects.filter(user_id=user.id).exists()
    assert not Comment.objects.filter(author_id=user.id).exists()
    assert not WatchlistItem.objects.filter(user_id=user.id).exists()
    assert _aggregates(first) == (1, Decimal("2.0")) == _exact(first)
    assert _aggregates(second) == (0, Decimal("0.0")) == _exact(second)
    assert [(m["event"], m["data"]) for m in layer_listener.drain(f"movie.{first.id}")] == [
        ("movie.rating_changed", {"movie_id": first.id, "average_rating": 2.0, "ratings_count": 1})
    ]
    assert [m["data"] for m in layer_listener.drain(f"movie.{second.id}")] == [
        {"movie_id": second.id, "average_rating": None, "ratings_count": 0}
    ]


# ---------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_concurrent_ratings_keep_aggregates_exact(make_auth_client):
    movie = MovieFactory()
    raters = [UserFactory() for _ in range(8)]
    barrier = threading.Barrier(len(raters))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def rate(rater, value: str) -> None:
        client = make_auth_client(rater)
        try:
            barrier.wait(timeout=10)
            for v in (value, "5.0", value):  # create, then update twice
                response = client.post(f"/api/movie/{movie.id}/rate/", {"rating": v}, format="json")
                statuses.append(response.status_code)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    threads = [
        threading.Thread(target=rate, args=(rater, str(0.5 * (i + 1))))
        for i, rater in enumerate(raters)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors
    assert sorted(statuses) == [200] * 16 + [201] * 8
    expected_sum = sum(Decimal(str(0.5 * (i + 1))) for i in range(8))
    assert _aggregates(movie) == (8, expected_sum) == _exact(movie)


@pytest.mark.parametrize("value", ["0.0", "2.3", "5.5", "-1.0"])
def test_database_refuses_values_off_the_scale(user, value):
    movie = MovieFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=user, movie=movie, value=Decimal(value))


def test_database_refuses_a_second_rating_of_one_movie(user):
    movie = MovieFactory()
    Rating.objects.create(user=user, movie=movie, value=Decimal("4.0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(user=user, movie=movie, value=Decimal("3.0"))
