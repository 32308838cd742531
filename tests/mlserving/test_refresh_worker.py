"""The production path: the refresh runs on the background thread, after the rating commits."""

import threading
from decimal import Decimal

import pytest

from ml import services
from tests.factories import RatingFactory

# The worker thread has its own connection: it must see committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def async_refresh(settings):
    settings.ML_REFRESH_SYNC = False


def test_refresh_runs_off_the_request_and_pushes(
    async_refresh, tiny_model, planted, user, layer_listener
):
    for movie in planted.romance[:6]:
        RatingFactory(user=user, movie=movie, value=Decimal("5.0"))
    layer_listener.join(f"user.{user.id}")

    future = services.recommendations_refresh(user_id=user.id)
    assert future is not None
    future.result(timeout=30)

    events = layer_listener.drain(f"user.{user.id}")
    assert [m["event"] for m in events] == ["recommendations.updated"]
    assert events[0]["data"]["model_version"] == tiny_model


def test_queued_refreshes_of_one_user_coalesce(async_refresh, tiny_model, planted, user):
    gate = threading.Event()
    blocker = services._get_executor().submit(gate.wait, 30)  # hold the single worker
    try:
        first = services.recommendations_refresh(user_id=user.id)
        assert first is not None
        assert services.recommendations_refresh(user_id=user.id) is None  # already queued
    finally:
        gate.set()
    blocker.result(timeout=30)
    first.result(timeout=30)
    again = services.recommendations_refresh(user_id=user.id)  # done: a new rating queues again
    assert again is not None
    again.result(timeout=30)
