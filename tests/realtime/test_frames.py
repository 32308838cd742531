"""Client frames: ping, bad input answered with error frames (socket stays open), size limit."""

import json

import pytest

from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)


def _without_ts(frame):
    assert frame["ts"].endswith("Z")
    return {k: v for k, v in frame.items() if k != "ts"}


def test_ping_is_answered_with_pong(live_user):
    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send({"action": "ping"})
        pong = await socket.receive()
        await socket.close()
        return pong

    assert _without_ts(run(scenario())) == {"id": None, "type": "pong", "data": {}}


BAD_FRAMES = [
    ("{not json", "invalid_json"),
    (" ", "invalid_json"),
    ("[1, 2]", "invalid_frame"),
    ('"ping"', "invalid_frame"),
    ("null", "invalid_frame"),
    ('{"action": "dance"}', "unknown_action"),
    ('{"action": 1}', "unknown_action"),
    ('{"nothing": true}', "unknown_action"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": "42"}', "invalid_frame"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": true}', "invalid_frame"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": 4.0}', "invalid_frame"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": NaN}', "invalid_frame"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": 1e999}', "invalid_frame"),
    ('{"action": "subscribe", "stream": "movie", "movie_id": 0}', "invalid_frame"),
    (
        '{"action": "subscribe", "stream": "movie", "movie_id": 99999999999999999999}',
        "invalid_frame",
    ),
    ('{"action": "subscribe", "stream": "movie"}', "invalid_frame"),
    ('{"action": "subscribe", "stream": "user", "movie_id": 1}', "invalid_frame"),
    ('{"action": "unsubscribe", "movie_id": 1}', "invalid_frame"),
    ('{"action": "resume"}', "invalid_frame"),
    ('{"action": "resume", "last_event_id": -1}', "invalid_frame"),
    ('{"action": "resume", "last_event_id": "5"}', "invalid_frame"),
    ('{"action": "resume", "last_event_id": null}', "invalid_frame"),
]


def test_malformed_frames_get_error_frames_and_the_socket_stays_open(live_user):
    async def scenario():
        socket, _ = await open_socket(live_user)
        answers = []
        for text, _code in BAD_FRAMES:
            await socket.send_text(text)
            answers.append(await socket.receive())
        await socket.communicator.send_to(bytes_data=b"\x00\x01")
        answers.append(await socket.receive())
        await socket.send({"action": "ping"})
        pong = await socket.receive()
        await socket.close()
        return answers, pong

    answers, pong = run(scenario())
    codes = [a["data"]["code"] for a in answers]
    assert codes == [code for _text, code in BAD_FRAMES] + ["invalid_frame"]
    for answer in answers:
        assert answer["type"] == "error"
        assert answer["id"] is None
        assert set(answer["data"]) == {"code", "message"}
        assert isinstance(answer["data"]["message"], str)
    assert pong["type"] == "pong"


def test_frame_over_64_kib_closes_1009(live_user):
    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send_text(json.dumps({"action": "ping", "pad": "x" * (64 * 1024)}))
        return await socket.receive_close()

    assert run(scenario()) == 1009


def test_frame_of_exactly_64_kib_is_read(live_user):
    async def scenario():
        socket, _ = await open_socket(live_user)
        text = json.dumps({"action": "ping", "pad": ""})
        text = text.replace('""', '"' + "é" * ((64 * 1024 - len(text)) // 2) + '"')
        assert len(text.encode()) <= 64 * 1024
        await socket.send_text(text)
        pong = await socket.receive()
        await socket.close()
        return pong

    assert run(scenario())["type"] == "pong"
