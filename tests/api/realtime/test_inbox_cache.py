"""The bell badge kept per process (realtime.inbox_cache): a repeat read of the unread count
costs no query, and every write that changes it shows in the next read.

A write never touches the reading process's copy, only the shared inbox stamp, so each test
below is also what another worker sees: the copy here goes stale exactly as one there would.
"""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from realtime.events import notify_user_on_commit
from realtime.models import Notification
from tests.api.accounts.test_sessions import bearer, login

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs, as in production

BADGE = "/api/notifications/unread-count/"


def notify(user, n=1):
    for i in range(n):
        with transaction.atomic():
            notify_user_on_commit(user_id=user.id, type="friend.removed", data={"user_id": i})


def inbox_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "realtime_notification" in q["sql"]]


@pytest.fixture
def tab(user, password) -> APIClient:
    """A signed-in browser tab: a real access token, so the stamp is read with authentication."""
    return bearer(login(APIClient(), password)[0])


@pytest.fixture
def other_tab(user, password) -> APIClient:
    return bearer(login(APIClient(), password)[0])


def test_a_repeat_read_costs_no_query(user, tab):
    notify(user, 3)
    assert tab.get(BADGE).json() == {"unread": 3, "last_event_id": 3}

    with CaptureQueriesContext(connection) as queries:
        assert tab.get(BADGE).json() == {"unread": 3, "last_event_id": 3}

    assert queries.captured_queries == []


def test_a_new_notification_shows_at_once(user, tab):
    notify(user, 2)
    assert tab.get(BADGE).json() == {"unread": 2, "last_event_id": 2}

    notify(user)

    assert tab.get(BADGE).json() == {"unread": 3, "last_event_id": 3}


def test_marking_read_in_another_tab_shows_at_once(user, tab, other_tab):
    notify(user, 4)
    assert tab.get(BADGE).json() == {"unread": 4, "last_event_id": 4}

    assert other_tab.post("/api/notifications/read/", {"up_to": 3}, format="json").json() == {
        "unread": 1
    }

    assert tab.get(BADGE).json() == {"unread": 1, "last_event_id": 4}


def test_pruning_unread_notifications_shows_at_once(user, tab):
    notify(user, 205)
    Notification.objects.filter(user=user).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    assert tab.get(BADGE).json() == {"unread": 205, "last_event_id": 205}

    call_command("prune_notifications", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert tab.get(BADGE).json() == {"unread": 200, "last_event_id": 205}


def test_one_users_write_keeps_the_others_copy(user, other_user, tab, password):
    other = bearer(login(APIClient(), password, username=other_user.username)[0])
    notify(user)
    assert tab.get(BADGE).json()["unread"] == 1
    assert other.get(BADGE).json()["unread"] == 0

    notify(other_user)

    with CaptureQueriesContext(connection) as queries:
        assert tab.get(BADGE).json()["unread"] == 1
    assert inbox_queries(queries.captured_queries) == []
    assert other.get(BADGE).json()["unread"] == 1


def test_a_rolled_back_notification_never_shows(user, tab):
    notify(user)
    assert tab.get(BADGE).json()["unread"] == 1

    def notify_then_fail():
        with transaction.atomic():
            notify_user_on_commit(user_id=user.id, type="friend.removed", data={"user_id": 9})
            raise RuntimeError

    with pytest.raises(RuntimeError):
        notify_then_fail()

    assert tab.get(BADGE).json() == {"unread": 1, "last_event_id": 1}


def test_with_the_cache_unreachable_the_count_comes_from_the_database(user, tab, settings):
    notify(user, 2)
    assert tab.get(BADGE).json()["unread"] == 2
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    notify(user)

    assert tab.get(BADGE).json() == {"unread": 3, "last_event_id": 3}
