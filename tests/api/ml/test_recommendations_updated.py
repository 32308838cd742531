from decimal import Decimal

import pytest

from tests.factories import RatingFactory

pytestmark = pytest.mark.django_db


def _rate(client, movie, stars):
    return client.post(f"/api/movie/{movie.id}/rate/", {"rating": stars}, format="json")


def test_rating_pushes_the_new_list_once_personal(
    tiny_model, planted, auth_client, user, layer_listener, django_capture_on_commit_callbacks
):
    for movie in planted.action[:4]:
        RatingFactory(user=user, movie=movie, value=Decimal("5.0"))
    layer_listener.join(f"user.{user.id}")

    with django_capture_on_commit_callbacks(execute=True):
        assert _rate(auth_client, planted.action[4], 5).status_code == 201

    events = [m for m in layer_listener.drain(f"user.{user.id}")]
    assert [m["event"] for m in events] == ["recommendations.updated"]
    data = events[0]["data"]
    assert data["model_version"] == tiny_model
    listed = auth_client.get("/api/user/movies/").json()
    assert data["movies"] == listed  # the same summaries, in the same order, as REST
    assert planted.action[4].id not in [m["id"] for m in data["movies"]]


def test_no_push_before_enough_ratings(
    tiny_model, planted, auth_client, user, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.join(f"user.{user.id}")

    with django_capture_on_commit_callbacks(execute=True):
        assert _rate(auth_client, planted.action[0], 5).status_code == 201

    assert layer_listener.drain(f"user.{user.id}") == []


def test_no_push_without_a_model(
    model_dir, planted, auth_client, user, layer_listener, django_capture_on_commit_callbacks
):
    for movie in planted.action[:6]:
        RatingFactory(user=user, movie=movie, value=Decimal("5.0"))
    layer_listener.join(f"user.{user.id}")

    with django_capture_on_commit_callbacks(execute=True):
        assert _rate(auth_client, planted.action[7], 5).status_code == 201

    assert layer_listener.drain(f"user.{user.id}") == []


def test_other_users_get_nothing(
    tiny_model,
    planted,
    auth_client,
    user,
    other_user,
    layer_listener,
    django_capture_on_commit_callbacks,
):
    for movie in planted.action[:5]:
        RatingFactory(user=user, movie=movie, value=Decimal("5.0"))
    layer_listener.join(f"user.{other_user.id}")

    with django_capture_on_commit_callbacks(execute=True):
        assert _rate(auth_client, planted.action[6], 4).status_code == 201

    assert layer_listener.drain(f"user.{other_user.id}") == []
