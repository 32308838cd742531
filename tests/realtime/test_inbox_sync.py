"""`notifications.read` reaches every tab of the user when one tab marks notifications read
(REALTIME.md part two), with `id` null, and no other user's socket."""

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from rest_framework.test import APIClient

from realtime.events import notify_user_on_commit
from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)


def notify(user_id, n):
    for i in range(n):
        with transaction.atomic():
            notify_user_on_commit(user_id=user_id, type="friend.removed", data={"user_id": i})


def mark_read(user, up_to):
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/notifications/read/", {"up_to": up_to}, format="json").json()


def test_every_tab_clears_its_badge(live_user, live_other_user):
    notify(live_user.id, 3)

    async def scenario():
        tab1, hello = await open_socket(live_user)
        tab2, _ = await open_socket(live_user)
        bob, _ = await open_socket(live_other_user)
        answer = await sync_to_async(mark_read)(live_user, 2)
        frames = [await tab1.receive(), await tab2.receive()]
        quiet = await bob.nothing_received()
        # The frame is not in the backlog: resume from the hello id replays nothing.
        await tab1.send({"action": "resume", "last_event_id": hello["data"]["last_event_id"]})
        resumed = await tab1.receive()
        for socket in (tab1, tab2, bob):
            await socket.close()
        return hello, answer, frames, quiet, resumed

    hello, answer, frames, quiet, resumed = run(scenario())
    assert hello["data"]["last_event_id"] == 3
    assert answer == {"unread": 1}
    for frame in frames:
        assert (frame["id"], frame["type"], frame["data"]) == (
            None,
            "notifications.read",
            {"up_to": 2, "unread": 1},
        )
    assert quiet
    assert resumed["type"] == "resumed"
