"""End to end: a real daphne server (subprocess) and real WebSocket clients (`websockets`).

Data is committed (`transactional_db`) so the server process sees it; events are published
inside the server process through realtime/events.py (tests/realtime/live_asgi.py), so these
tests run on the in-memory layer as well as on Redis.
"""

import asyncio
import base64
import datetime
import json
import os
import socket
from typing import Any

import pytest
import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from realtime.models import Notification
from tests.realtime.conftest import access_token_for, run
from tests.realtime.live import LiveServer
from tests.realtime.test_movie_stream import make_movie_ids

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5


async def open_ws(
    server: LiveServer, *, cookie: str | None = None, bearer: str | None = None, origin: Any = ...
) -> ClientConnection:
    headers = {}
    if cookie is not None:
        headers["Cookie"] = f"access_token={cookie}"
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return await connect(
        server.ws_url,
        origin=server.origin if origin is ... else origin,
        additional_headers=headers,
        open_timeout=TIMEOUT,
    )


async def recv(ws: ClientConnection) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def close_code(ws: ClientConnection, timeout: float = TIMEOUT) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


async def quiet(ws: ClientConnection, timeout: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), timeout)
    except TimeoutError:
        return True
    return False


def test_cookie_and_bearer_handshakes_get_hello(live_server_ws, live_user):
    token = access_token_for(live_user)

    async def scenario():
        by_cookie = await open_ws(live_server_ws, cookie=token)
        by_bearer = await open_ws(live_server_ws, bearer=token, origin=None)
        hellos = [await recv(by_cookie), await recv(by_bearer)]
        await by_cookie.close()
        await by_bearer.close()
        return hellos

    for hello in run(scenario()):
        assert hello["type"] == "hello"
        assert hello["id"] is None
        assert hello["data"] == {
            "user": {"id": live_user.id, "username": "alice"},
            "last_event_id": 0,
        }


def test_missing_or_expired_token_is_closed_4401(live_server_ws, live_user):
    expired = access_token_for(live_user, lifetime=datetime.timedelta(seconds=-5))

    async def scenario():
        anonymous = await open_ws(live_server_ws)
        stale = await open_ws(live_server_ws, cookie=expired)
        return [await close_code(anonymous), await close_code(stale)]

    assert run(scenario()) == [4401, 4401]


def test_token_expiring_while_connected_closes_4401(live_server_ws, live_user):
    token = access_token_for(live_user, lifetime=datetime.timedelta(seconds=2))

    async def scenario():
        ws = await open_ws(live_server_ws, cookie=token)
        assert (await recv(ws))["type"] == "hello"
        return await close_code(ws, timeout=10)

    assert run(scenario()) == 4401


@pytest.mark.parametrize("origin", [None, "null", "https://evil.example"])
def test_cookie_handshake_from_foreign_or_missing_origin_gets_403(
    live_server_ws, live_user, origin
):
    token = access_token_for(live_user)

    async def scenario():
        with pytest.raises(InvalidStatus) as refused:
            await open_ws(live_server_ws, cookie=token, origin=origin)
        return refused.value.response.status_code

    assert run(scenario()) == 403


def test_personal_notification_reaches_every_tab_and_only_its_user(
    live_server_ws, live_user, live_other_user
):
    tokens = access_token_for(live_user), access_token_for(live_other_user)

    async def scenario():
        tabs = [await open_ws(live_server_ws, cookie=tokens[0]) for _ in range(2)]
        bob = await open_ws(live_server_ws, cookie=tokens[1])
        for ws in (*tabs, bob):
            await recv(ws)  # hello
        await asyncio.to_thread(
            live_server_ws.publish,
            "notify",
            user_id=live_user.id,
            type="friend_request.declined",
            data={"request_id": 12},
        )
        frames = [await recv(ws) for ws in tabs]
        bob_quiet = await quiet(bob)
        for ws in (*tabs, bob):
            await ws.close()
        return frames, bob_quiet

    frames, bob_quiet = run(scenario())
    for frame in frames:
        assert (frame["id"], frame["type"], frame["data"]) == (
            1,
            "friend_request.declined",
            {"request_id": 12},
        )
    assert bob_quiet


def test_rolled_back_notification_sends_no_frame_and_keeps_no_row(live_server_ws, live_user):
    token = access_token_for(live_user)

    async def scenario():
        ws = await open_ws(live_server_ws, cookie=token)
        await recv(ws)
        await asyncio.to_thread(
            live_server_ws.publish,
            "notify",
            user_id=live_user.id,
            type="friend.removed",
            data={"user_id": 3},
            rollback=True,
        )
        nothing = await quiet(ws)
        await ws.close()
        return nothing

    assert run(scenario())
    assert not Notification.objects.exists()


def test_resume_after_reconnect_replays_what_was_missed(live_server_ws, live_user):
    token = access_token_for(live_user)

    async def scenario():
        ws = await open_ws(live_server_ws, cookie=token)
        last = (await recv(ws))["data"]["last_event_id"]
        await ws.close()
        for n in range(3):
            await asyncio.to_thread(
                live_server_ws.publish,
                "notify",
                user_id=live_user.id,
                type="friend.removed",
                data={"user_id": n},
            )
        ws = await open_ws(live_server_ws, cookie=token)
        await recv(ws)
        await ws.send(json.dumps({"action": "resume", "last_event_id": last}))
        frames = [await recv(ws) for _ in range(4)]
        await ws.close()
        return frames

    frames = run(scenario())
    assert [(f["id"], f["type"]) for f in frames] == [
        (1, "friend.removed"),
        (2, "friend.removed"),
        (3, "friend.removed"),
        (None, "resumed"),
    ]


def test_malformed_frame_gets_error_and_oversized_frame_closes_1009(live_server_ws, live_user):
    token = access_token_for(live_user)

    async def scenario():
        ws = await open_ws(live_server_ws, cookie=token)
        await recv(ws)
        await ws.send("{oops")
        error = await recv(ws)
        await ws.send(json.dumps({"action": "ping"}))
        pong = await recv(ws)
        await ws.send("x" * (64 * 1024 + 1))
        return error, pong, await close_code(ws)

    error, pong, code = run(scenario())
    assert (error["type"], error["data"]["code"]) == ("error", "invalid_json")
    assert pong["type"] == "pong"
    assert code == 1009


def test_logout_over_rest_closes_the_users_sockets_4401(live_server_ws, live_user, password):
    login = requests.post(
        f"{live_server_ws.url}/api/token/",
        json={"username": "alice", "password": password},
        timeout=10,
    )
    assert login.status_code == 201
    cookies = login.cookies

    async def scenario():
        tabs = [await open_ws(live_server_ws, cookie=cookies["access_token"]) for _ in range(2)]
        for ws in tabs:
            await recv(ws)
        logout = await asyncio.to_thread(
            requests.post, f"{live_server_ws.url}/api/user/logout/", cookies=cookies, timeout=10
        )
        codes = [await close_code(ws, timeout=1.0) for ws in tabs]
        return logout.status_code, codes

    assert run(scenario()) == (200, [4401, 4401])


def test_movie_stream_event_reaches_subscribers(live_server_ws, live_user, live_other_user):
    (heat,) = make_movie_ids(1)
    tokens = access_token_for(live_user), access_token_for(live_other_user)
    event = {"movie_id": heat, "comment_id": 9}

    async def scenario():
        sockets = [await open_ws(live_server_ws, cookie=t) for t in tokens]
        for ws in sockets:
            await recv(ws)
            await ws.send(json.dumps({"action": "subscribe", "stream": "movie", "movie_id": heat}))
            assert (await recv(ws))["type"] == "subscribed"
        await asyncio.to_thread(
            live_server_ws.publish, "broadcast", movie_id=heat, type="comment.deleted", data=event
        )
        frames = [await recv(ws) for ws in sockets]
        for ws in sockets:
            await ws.close()
        return frames

    for frame in run(scenario()):
        assert (frame["id"], frame["type"], frame["data"]) == (None, "comment.deleted", event)


def _raw_handshake(server: LiveServer, token: str) -> socket.socket:
    """A WebSocket client over a plain socket with a tiny receive buffer, that we can stop
    reading from (the `websockets` client always reads)."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /ws/ HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    return raw


def _masked_text_frame(payload: bytes) -> bytes:
    assert len(payload) < 126
    mask = os.urandom(4)
    return (
        bytes([0x81, 0x80 | len(payload)])
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )


def _read_until(raw: socket.socket, marker: bytes) -> None:
    seen = b""
    raw.settimeout(TIMEOUT)
    while marker not in seen:
        chunk = raw.recv(65536)
        assert chunk, "server closed"
        seen += chunk


def test_a_client_that_stops_reading_is_dropped_and_others_keep_up(
    live_server_ws, live_user, live_other_user
):
    (heat,) = make_movie_ids(1)
    slow_token, fast_token = access_token_for(live_user), access_token_for(live_other_user)
    events, pad = 60, "x" * (256 * 1024)  # 15 MiB in all, far beyond the 1 MiB bound

    slow = _raw_handshake(live_server_ws, slow_token)
    _read_until(slow, b'"hello"')
    subscribe = {"action": "subscribe", "stream": "movie", "movie_id": heat}
    slow.sendall(_masked_text_frame(json.dumps(subscribe).encode()))
    _read_until(slow, b'"subscribed"')  # from here on the slow client reads nothing

    async def scenario():
        fast = await open_ws(live_server_ws, cookie=fast_token)
        await recv(fast)
        await fast.send(json.dumps(subscribe))
        await recv(fast)

        def publish_all():
            for k in range(events):
                live_server_ws.publish(
                    "broadcast",
                    movie_id=heat,
                    type="comment.created",
                    data={"movie_id": heat, "k": k, "pad": pad},
                )

        publishing = asyncio.create_task(asyncio.to_thread(publish_all))
        received = [(await recv(fast))["data"]["k"] for _ in range(events)]
        await publishing
        await fast.close()
        return received

    assert run(scenario()) == list(range(events))

    total, ended = 0, False
    slow.settimeout(TIMEOUT)
    try:
        while chunk := slow.recv(1024 * 1024):
            total += len(chunk)
        ended = True  # EOF
    except ConnectionResetError:
        ended = True  # dropped with a reset
    finally:
        slow.close()
    assert ended
    assert total < events * len(pad)
