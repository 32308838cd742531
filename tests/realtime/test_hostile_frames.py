"""Hostile client frames (issue 14): each gets the documented `error` frame, the socket stays
usable, nothing is logged at ERROR, and no movie subscription outlives the socket."""

import asyncio
import json
import logging

import pytest
from channels.layers import get_channel_layer

from realtime.fanout import movie_relay
from realtime.groups import movie_group
from realtime.limits import sockets_open
from realtime.services import notification_create
from tests.factories import MovieFactory
from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = [
    ("[" * 2000, "invalid_json"),  # 2 KB of nesting: RecursionError in the JSON decoder
    ('{"a":' * 3000 + "1" + "}" * 3000, "invalid_json"),
    ("[" * 30000 + "]" * 30000, "invalid_json"),  # just under 64 KiB
    ('{"action": "resume", "last_event_id": ' + "9" * 5000 + "}", "invalid_json"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": 1' + "0" * 5000 + "}", "invalid_json"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": 1e99999}', "invalid_frame"),
    ('{"action": "resume", "last_event_id": -1e308}', "invalid_frame"),
    ('{"action": "\ud800"}', "unknown_action"),  # a lone surrogate: text that is not UTF-8
    ('{"action": "ping", "pad": "' + "\udfff" * 20000 + '"}', None),  # big and not UTF-8: pong
]


@pytest.fixture
def errors_logged(caplog):
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


def _relay_holds(movie_id: int) -> bool:
    layer = get_channel_layer()
    in_group = bool(getattr(layer, "groups", {}).get(movie_group(movie_id)))  # in-memory layer
    return movie_id in movie_relay().members or in_group


def test_hostile_text_frames_get_error_frames_and_leave_nothing_behind(live_user, errors_logged):
    movie = MovieFactory()

    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send({"action": "subscribe", "stream": "movie", "movie_id": movie.pk})
        assert (await socket.receive())["type"] == "subscribed"
        answers = []
        for text, _code in HOSTILE:
            await socket.send_text(text)
            answers.append(await socket.receive())
        await socket.send({"action": "ping"})
        pong = await socket.receive()
        await socket.close()
        return answers, pong, _relay_holds(movie.pk)

    answers, pong, leaked = run(scenario())

    for (_text, code), answer in zip(HOSTILE, answers, strict=True):
        if code is None:
            assert answer["type"] == "pong"
            continue
        assert answer["type"] == "error"
        assert answer["id"] is None
        assert answer["data"]["code"] == code
        assert set(answer["data"]) == {"code", "message"}
    assert pong["type"] == "pong"
    assert not leaked
    assert errors_logged() == []


def test_binary_frames_get_error_frames(live_user, errors_logged):
    async def scenario():
        socket, _ = await open_socket(live_user)
        answers = []
        for data in [b"\xff\xfe\xfd", json.dumps({"action": "ping"}).encode(), b"[" * 2000]:
            await socket.communicator.send_to(bytes_data=data)
            answers.append(await socket.receive())
        await socket.close()
        return answers

    answers = run(scenario())

    assert [a["data"]["code"] for a in answers] == ["invalid_frame"] * 3
    assert errors_logged() == []


def test_a_consumer_that_dies_releases_its_subscriptions(live_user, errors_logged):
    movie = MovieFactory()

    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send({"action": "subscribe", "stream": "movie", "movie_id": movie.pk})
        assert (await socket.receive())["type"] == "subscribed"
        subscribed = _relay_holds(movie.pk)
        socket.communicator.future.cancel()  # the worker kills it: no disconnect message
        with pytest.raises(asyncio.CancelledError):
            await socket.communicator.future
        return subscribed, _relay_holds(movie.pk), sockets_open(user_id=live_user.pk)

    subscribed, leaked, still_counted = run(scenario())

    assert subscribed
    assert not leaked
    assert still_counted == 0


def test_a_flood_of_frames_gets_one_rate_limit_error(live_user, settings):
    settings.WS_FRAME_BURST = 5
    settings.WS_FRAMES_PER_SECOND = 0.001  # no refill within the test

    async def scenario():
        socket, _ = await open_socket(live_user)
        for _ in range(50):
            await socket.send({"action": "ping"})
        frames = []
        while not await socket.nothing_received(0.5):
            frames.append(await socket.receive())
        await socket.close()
        return frames

    frames = run(scenario())

    assert [f["type"] for f in frames] == ["pong"] * 5 + ["error"]
    assert frames[-1]["data"]["code"] == "rate_limited"


def test_replayed_notifications_count_against_the_frame_budget(live_user, settings):
    settings.WS_FRAME_BURST = 5
    settings.WS_FRAMES_PER_SECOND = 0.001
    for i in range(10):
        notification_create(user_id=live_user.pk, type="friend.removed", data={"user_id": i})

    async def scenario():
        socket, _ = await open_socket(live_user)
        for _ in range(5):  # a flood of full replays: only the first one runs
            await socket.send({"action": "resume", "last_event_id": 0})
        frames = []
        while not await socket.nothing_received(0.5):
            frames.append(await socket.receive())
        await socket.close()
        return frames

    frames = run(scenario())

    assert [f["type"] for f in frames] == ["friend.removed"] * 10 + ["resumed", "error"]
    assert frames[-1]["data"]["code"] == "rate_limited"


def test_sockets_per_user_are_capped(live_user, settings):
    settings.WS_MAX_SOCKETS_PER_USER = 2

    async def scenario():
        first, _ = await open_socket(live_user)
        second, _ = await open_socket(live_user)
        third, third_hello = await _open_refused(live_user)
        await first.close()
        fourth, _ = await open_socket(live_user)  # a slot is free again
        await second.close()
        await fourth.close()
        return third_hello, third, sockets_open(user_id=live_user.pk)

    refused, close_code, left = run(scenario())

    assert refused["type"] == "error"
    assert refused["data"]["code"] == "too_many_connections"
    assert close_code == 1008
    assert left == 0


async def _open_refused(user):
    from asgiref.sync import sync_to_async

    from tests.realtime.conftest import Socket, access_token_for, handshake_headers

    token = await sync_to_async(access_token_for)(user)
    socket = Socket(handshake_headers(cookie=token))
    assert await socket.connect()
    frame = await socket.receive()
    code = await socket.receive_close()
    return code, frame
