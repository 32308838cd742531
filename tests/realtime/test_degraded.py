"""With the channel layer unreachable, REST keeps working and health says degraded."""

import pytest
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from realtime.events import broadcast_movie_on_commit, notify_user_on_commit
from realtime.models import Notification

pytestmark = pytest.mark.django_db

UNREACHABLE = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
    }
}


@override_settings(CHANNEL_LAYERS=UNREACHABLE)
def test_health_says_degraded_and_rest_keeps_working(user, password):
    client = APIClient()
    login = client.post("/api/token/", {"username": "alice", "password": password})
    assert login.status_code == 201

    health = client.get("/api/health/")
    logout = client.post("/api/user/logout/")  # publishes a session end: logged, not raised

    assert health.status_code == 200
    assert health.json()["channel_layer"] == "degraded"
    assert health.json()["database"] == "ok"
    assert logout.status_code == 200


@override_settings(CHANNEL_LAYERS=UNREACHABLE)
def test_notifications_are_kept_for_resume_when_the_layer_is_down(
    user, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify_user_on_commit(user_id=user.id, type="friend.removed", data={"user_id": 7})
        broadcast_movie_on_commit(movie_id=1, type="comment.deleted", data={"comment_id": 3})

    assert list(Notification.objects.values_list("user_id", "seq", "type", "data")) == [
        (user.id, 1, "friend.removed", {"user_id": 7})
    ]
    assert "Could not publish friend.removed to user." in caplog.text
    assert "Could not publish comment.deleted to movie.1" in caplog.text


def test_health_says_ok_with_the_configured_layer(api_client):
    assert api_client.get("/api/health/").json()["channel_layer"] == "ok"
