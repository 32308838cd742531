"""Personal notifications: delivery to every tab of the user only, ids, commit-only publishing,
the durable backlog and `resume`."""

import datetime
import json

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from realtime.events import notify_recommendations_updated, notify_user_on_commit
from realtime.models import Notification
from realtime.services import notification_prune
from tests.factories import UserFactory
from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)


def notify(user_id, n=1, type="friend.removed"):
    """n notifications for the user, one committed transaction each (as services do)."""
    for i in range(n):
        with transaction.atomic():
            notify_user_on_commit(user_id=user_id, type=type, data={"user_id": i})


def test_every_tab_of_the_user_gets_the_notification_and_nobody_else(live_user, live_other_user):
    async def scenario():
        tab1, _ = await open_socket(live_user)
        tab2, _ = await open_socket(live_user)
        bobs, _ = await open_socket(live_other_user)
        await sync_to_async(notify)(live_user.id)
        frames = [await tab1.receive(), await tab2.receive()]
        bob_got_nothing = await bobs.nothing_received()
        for s in (tab1, tab2, bobs):
            await s.close()
        return frames, bob_got_nothing

    frames, bob_got_nothing = run(scenario())
    for frame in frames:
        assert frame["id"] == 1
        assert frame["type"] == "friend.removed"
        assert frame["data"] == {"user_id": 0}
        assert frame["ts"].endswith("Z")
    assert frames[0] == frames[1]
    assert bob_got_nothing


def test_ids_rise_per_user_in_commit_order(live_user, live_other_user):
    async def scenario():
        socket, _ = await open_socket(live_user)
        await sync_to_async(notify)(live_user.id, 3)
        await sync_to_async(notify)(live_other_user.id, 2)
        await sync_to_async(notify)(live_user.id, 2)
        ids = [(await socket.receive())["id"] for _ in range(5)]
        await socket.close()
        return ids

    assert run(scenario()) == [1, 2, 3, 4, 5]
    assert list(
        Notification.objects.filter(user=live_other_user)
        .order_by("seq")
        .values_list("seq", flat=True)
    ) == [1, 2]


def test_rolled_back_transaction_publishes_nothing(live_user):
    def failing_service():
        with transaction.atomic():
            notify_user_on_commit(user_id=live_user.id, type="friend.removed", data={"user_id": 1})
            raise RuntimeError("the service failed after notifying")

    def rolled_back():
        with pytest.raises(RuntimeError):
            failing_service()

    async def scenario():
        socket, _ = await open_socket(live_user)
        await sync_to_async(rolled_back)()
        nothing = await socket.nothing_received(timeout=0.5)
        await sync_to_async(notify)(live_user.id)
        after = await socket.receive()
        await socket.close()
        return nothing, after

    nothing, after = run(scenario())
    assert nothing
    assert after["id"] == 1  # the rolled-back id was never used
    assert Notification.objects.filter(user=live_user).count() == 1


def test_resume_replays_missed_notifications_in_order(live_user):
    notify(live_user.id, 2)

    async def scenario():
        socket, hello = await open_socket(live_user)
        await socket.close()
        await sync_to_async(notify)(live_user.id, 3)  # while the page was away
        socket, hello2 = await open_socket(live_user)
        await socket.send({"action": "resume", "last_event_id": hello["data"]["last_event_id"]})
        frames = [await socket.receive() for _ in range(4)]
        await sync_to_async(notify)(live_user.id)  # live again after the replay
        live = await socket.receive()
        await socket.close()
        return hello2, frames, live

    hello2, frames, live = run(scenario())
    assert hello2["data"]["last_event_id"] == 5
    assert [(f["type"], f["id"]) for f in frames] == [
        ("friend.removed", 3),
        ("friend.removed", 4),
        ("friend.removed", 5),
        ("resumed", None),
    ]
    assert [f["data"] for f in frames[:3]] == [{"user_id": 0}, {"user_id": 1}, {"user_id": 2}]
    assert frames[3]["data"] == {"last_event_id": 5}
    assert live["id"] == 6


def test_replayed_frames_equal_the_live_frames(live_user):
    async def scenario():
        socket, _ = await open_socket(live_user)
        await sync_to_async(notify)(live_user.id)
        live = await socket.receive()
        await socket.send({"action": "resume", "last_event_id": 0})
        replayed = await socket.receive()
        await socket.close()
        return live, replayed

    live, replayed = run(scenario())
    assert live == replayed


def test_resume_when_up_to_date_only_answers_resumed(live_user):
    notify(live_user.id, 2)

    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send({"action": "resume", "last_event_id": 2})
        answer = await socket.receive()
        await socket.close()
        return answer

    answer = run(scenario())
    assert (answer["type"], answer["id"], answer["data"]) == ("resumed", None, {"last_event_id": 2})


def test_resume_past_the_backlog_says_resync_required(live_user):
    notify(live_user.id, 5)
    Notification.objects.filter(user=live_user, seq__lte=2).delete()  # pruned

    async def scenario():
        socket, _ = await open_socket(live_user)
        answers = []
        for last, frames in ((1, 1), (0, 1), (2, 4), (9, 1)):
            await socket.send({"action": "resume", "last_event_id": last})
            answers += [await socket.receive() for _ in range(frames)]
        await socket.close()
        return answers

    answers = run(scenario())
    assert [(a["type"], a["data"]) for a in answers] == [
        ("resync_required", {"last_event_id": 5}),
        ("resync_required", {"last_event_id": 5}),
        ("friend.removed", {"user_id": 2}),  # 3.. are kept: replay them
        ("friend.removed", {"user_id": 3}),
        ("friend.removed", {"user_id": 4}),
        ("resumed", {"last_event_id": 5}),
        ("resync_required", {"last_event_id": 5}),  # an id this server never issued
    ]


def test_live_notification_after_a_gap_is_preceded_by_the_missed_one(live_user):
    """A frame lost by the layer is sent from the backlog before the next one, in order."""

    async def scenario():
        socket, _ = await open_socket(live_user)

        def commit_without_publishing():
            with transaction.atomic():
                notify_user_on_commit(user_id=live_user.id, type="friend.removed", data={})
                transaction.get_connection().run_on_commit.clear()

        await sync_to_async(commit_without_publishing)()
        await sync_to_async(notify)(live_user.id)
        frames = [await socket.receive(), await socket.receive()]
        await socket.close()
        return frames

    assert [f["id"] for f in run(scenario())] == [1, 2]


def test_backlog_keeps_newest_200_and_the_last_day(live_user):
    notify(live_user.id, 230)  # the newest 200 are 31..230
    long_ago = timezone.now() - datetime.timedelta(hours=25)
    old = Notification.objects.filter(user=live_user)
    old.filter(seq__lte=20).update(created_at=long_ago)  # old and not among the newest 200
    old.filter(seq__range=(31, 40)).update(created_at=long_ago)  # old but among the newest 200
    assert notification_prune(user_id=live_user.id) == 20
    seqs = list(
        Notification.objects.filter(user=live_user).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(21, 231))  # 21..30 are outside the 200 but younger than a day


def test_prune_command_trims_every_user(live_user, live_other_user):
    notify(live_user.id, 205)
    notify(live_other_user.id, 3)
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    call_command("prune_notifications")
    assert Notification.objects.filter(user=live_user).count() == 200
    assert Notification.objects.filter(user=live_other_user).count() == 3


def test_deleting_a_user_deletes_their_backlog(live_user):
    notify(live_user.id, 2)
    other = UserFactory()
    notify(other.id, 1)
    live_user.delete()
    assert list(Notification.objects.values_list("user_id", flat=True)) == [other.id]


def test_recommendations_hook_sends_a_personal_notification(live_user):
    async def scenario():
        socket, _ = await open_socket(live_user)

        def publish():
            with transaction.atomic():
                notify_recommendations_updated(
                    user_id=live_user.id, movies=[{"id": 1, "title": "Heat"}], model_version="v3"
                )

        await sync_to_async(publish)()
        frame = await socket.receive()
        await socket.close()
        return frame

    frame = run(scenario())
    assert (frame["id"], frame["type"]) == (1, "recommendations.updated")
    assert frame["data"] == {"movies": [{"id": 1, "title": "Heat"}], "model_version": "v3"}


def test_bad_payload_fails_in_the_service(live_user):
    with pytest.raises(TypeError), transaction.atomic():
        notify_user_on_commit(user_id=live_user.id, type="friend.removed", data={"x": object()})
    assert not Notification.objects.exists()


def test_layer_message_keeps_event_and_data_and_carries_the_frame(
    live_user, layer_listener, django_capture_on_commit_callbacks
):
    layer_listener.join(f"user.{live_user.id}")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify_user_on_commit(user_id=live_user.id, type="friend.removed", data={"user_id": 4})

    (message,) = layer_listener.drain(f"user.{live_user.id}")
    frame = json.loads(message.pop("text"))
    assert isinstance(message.pop("published_at"), float)  # publish-to-send latency (metrics)
    assert message == {
        "type": "notification.push",
        "event": "friend.removed",
        "data": {"user_id": 4},
        "id": 1,
    }
    assert frame["id"] == 1
    assert frame["data"] == {"user_id": 4}
