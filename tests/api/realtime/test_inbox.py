"""The notifications inbox (API.md part two): the backlog over REST, the read mark, the badge."""

import pytest
from django.db import transaction

from realtime.events import notify_user_on_commit
from realtime.models import Notification
from realtime.protocol import format_ts

pytestmark = pytest.mark.django_db


def notify(user, n=1):
    for i in range(n):
        with transaction.atomic():
            notify_user_on_commit(user_id=user.id, type="friend.removed", data={"user_id": i})


def item(notification, *, read):
    return {
        "id": notification.seq,
        "type": notification.type,
        "ts": format_ts(notification.created_at),
        "data": notification.data,
        "read": read,
    }


def test_inbox_lists_the_backlog_newest_first_with_read_state(user, auth_client):
    notify(user, 3)
    rows = list(Notification.objects.filter(user=user).order_by("-seq"))
    assert auth_client.post("/api/notifications/read/", {"up_to": 1}, format="json").json() == {
        "unread": 2
    }

    response = auth_client.get("/api/notifications/")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "3"
    assert response.json() == [
        item(rows[0], read=False),
        item(rows[1], read=False),
        item(rows[2], read=True),
    ]


def test_inbox_filters_by_unread_and_pages(user, auth_client):
    notify(user, 5)
    auth_client.post("/api/notifications/read/", {"up_to": 2}, format="json")

    unread = auth_client.get("/api/notifications/?unread=true&limit=2")
    read = auth_client.get("/api/notifications?unread=false")

    assert [n["id"] for n in unread.json()] == [5, 4]
    assert unread["X-Total-Count"] == "3"
    assert [n["id"] for n in read.json()] == [2, 1]
    assert all(n["read"] for n in read.json())


@pytest.mark.parametrize("value", ["yes", "1", "True", ""])
def test_inbox_unread_other_than_true_or_false_is_400(auth_client, value):
    response = auth_client.get(f"/api/notifications/?unread={value}")
    assert response.status_code == 400
    assert "unread" in response.json()


def test_inbox_holds_only_the_users_own_notifications(user, other_user, auth_client):
    notify(other_user, 2)
    assert auth_client.get("/api/notifications/").json() == []
    assert auth_client.get("/api/notifications/unread-count/").json() == {
        "unread": 0,
        "last_event_id": 0,
    }


def test_unread_count_and_last_event_id(user, auth_client):
    notify(user, 4)
    assert auth_client.get("/api/notifications/unread-count/").json() == {
        "unread": 4,
        "last_event_id": 4,
    }
    auth_client.post("/api/notifications/read/", {"up_to": 3}, format="json")
    assert auth_client.get("/api/notifications/unread-count").json() == {
        "unread": 1,
        "last_event_id": 4,
    }


def test_unread_count_is_one_query(user, auth_client, django_assert_num_queries):
    notify(user, 3)
    with django_assert_num_queries(1):
        assert auth_client.get("/api/notifications/unread-count/").json()["unread"] == 3


@pytest.mark.parametrize("rows", [1, 5])
def test_inbox_query_count_does_not_grow(user, auth_client, django_assert_num_queries, rows):
    notify(user, rows)
    with django_assert_num_queries(1):  # the page with its total and the read state
        assert len(auth_client.get("/api/notifications/").json()) == rows


def test_an_older_up_to_never_unreads_and_later_notifications_stay_unread(user, auth_client):
    notify(user, 3)
    assert auth_client.post("/api/notifications/read/", {"up_to": 10**9}, format="json").json() == {
        "unread": 0
    }
    assert auth_client.post("/api/notifications/read/", {"up_to": 1}, format="json").json() == {
        "unread": 0
    }
    notify(user, 2)  # ids 4 and 5 arrive after an up_to far above them
    assert auth_client.get("/api/notifications/unread-count/").json() == {
        "unread": 2,
        "last_event_id": 5,
    }
    assert [n["read"] for n in auth_client.get("/api/notifications/").json()] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_mark_read_without_notifications_is_200_with_zero(auth_client):
    response = auth_client.post("/api/notifications/read/", {"up_to": 0}, format="json")
    assert (response.status_code, response.json()) == (200, {"unread": 0})


@pytest.mark.parametrize(
    "body", [{}, {"up_to": -1}, {"up_to": "3"}, {"up_to": 2.5}, {"up_to": True}, {"up_to": None}]
)
def test_mark_read_needs_a_non_negative_json_integer(user, auth_client, body):
    notify(user)
    response = auth_client.post("/api/notifications/read/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["up_to"]
    assert auth_client.get("/api/notifications/unread-count/").json()["unread"] == 1


def test_mark_read_sends_notifications_read_to_the_users_sockets(
    user, other_user, auth_client, layer_listener, django_capture_on_commit_callbacks
):
    notify(user, 3)
    layer_listener.join(f"user.{user.id}")
    layer_listener.join(f"user.{other_user.id}")

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post("/api/notifications/read/", {"up_to": 2}, format="json")

    (message,) = layer_listener.drain(f"user.{user.id}")
    assert (message["event"], message.get("id")) == ("notifications.read", None)
    assert '"data":{"up_to":2,"unread":1}' in message["text"]
    assert layer_listener.drain(f"user.{other_user.id}") == []
    assert Notification.objects.filter(user=user).count() == 3  # not kept in the backlog


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/notifications/"),
        ("get", "/api/notifications/unread-count/"),
        ("post", "/api/notifications/read/"),
    ],
)
def test_inbox_needs_a_signed_in_user(api_client, method, path):
    assert getattr(api_client, method)(path, {"up_to": 1}, format="json").status_code == 401
