"""Redis stops while the site serves, then comes back (a private redis-server the test owns).

While it is down: REST keeps working (sign-up, login, rating, comment, friend request), health
answers at once with `channel_layer: "degraded"`, open sockets stay usable and new ones are told
to come back later (4503). Once it is back: health says "ok", open sockets receive movie events
again, missed personal notifications are delivered from the backlog, and the server holds no
more Redis connections than before.
"""

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.factories import PASSWORD, MovieFactory, UserFactory
from tests.faults.services import PrivateRedis
from tests.realtime.live import LiveServer, start_live_server, stop_live_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

TIMEOUT = 5  # seconds any single request or frame may take


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def site(django_db_setup, redis_server) -> Iterator[tuple[Any, LiveServer]]:
    process, server = start_live_server(extra_env={"REDIS_URL": redis_server.url})
    try:
        yield process, server
    finally:
        stop_live_server(process)


async def rest(method: str, url: str, **kwargs: Any) -> requests.Response:
    return await asyncio.to_thread(requests.request, method, url, timeout=TIMEOUT, **kwargs)


async def recv(ws: ClientConnection, timeout: float = TIMEOUT) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_type(ws: ClientConnection, type: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next frame of that type, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] == type:
            return frame


async def wait_health(server: LiveServer, channel_layer: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = (await rest("GET", f"{server.url}/api/health/")).json()
        if body["channel_layer"] == channel_layer or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.2)


def test_rest_keeps_working_and_sockets_recover_when_redis_restarts(site, redis_server):
    process, server = site
    movie = MovieFactory()
    alice = UserFactory(username="alice", email="alice@example.com")
    for name in ("bob", "carol"):
        UserFactory(username=name, email=f"{name}@example.com")

    async def login(username: str) -> dict[str, str]:
        response = await rest(
            "POST", f"{server.url}/api/token/", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.cookies['access_token']}"}

    async def open_socket(headers: dict[str, str]) -> ClientConnection:
        return await connect(server.ws_url, additional_headers=headers, open_timeout=TIMEOUT)

    async def comment(headers: dict[str, str], body: str) -> requests.Response:
        url = f"{server.url}/api/movie/{movie.id}/comment/"
        return await rest("POST", url, json={"body": body}, headers=headers)

    async def scenario() -> dict[str, Any]:
        out: dict[str, Any] = {}
        as_alice, as_bob, as_carol = await login("alice"), await login("bob"), await login("carol")
        out["health_before"] = (await rest("GET", f"{server.url}/api/health/")).json()
        ws = await open_socket(as_alice)
        hello = await recv(ws)
        await ws.send(json.dumps({"action": "subscribe", "stream": "movie", "movie_id": movie.id}))
        out["subscribed"] = (await recv(ws))["type"]
        await comment(as_bob, "before")
        out["live_before"] = (await recv_type(ws, "comment.created"))["data"]["comment"]["body"]
        clients_before = redis_server.client_count()
        layer_before = (await rest("GET", f"{server.url}/__test__/layer")).json()

        redis_server.stop()
        started = time.monotonic()
        health = await rest("GET", f"{server.url}/api/health/")
        out["health_down"] = (health.status_code, health.json())
        out["health_down_seconds"] = time.monotonic() - started
        signup = await rest(
            "POST",
            f"{server.url}/api/user/signup/",
            json={
                "username": "dave",
                "email": "dave@example.com",
                "password": PASSWORD,
                "birth_date": "1990-01-01",
            },
        )
        out["signup_down"] = signup.status_code
        out["login_down"] = (await login("dave")) is not None
        rate = await rest(
            "POST", f"{server.url}/api/movie/{movie.id}/rate/", json={"rating": 4}, headers=as_bob
        )
        out["rate_down"] = rate.status_code
        out["comment_down"] = (await comment(as_bob, "during")).status_code
        request = await rest("POST", f"{server.url}/api/send-friend-request/{alice.id}/",
                             headers=as_bob)  # fmt: skip
        out["friend_request_down"] = request.status_code
        await ws.send(json.dumps({"action": "ping"}))
        out["ping_down"] = (await recv_type(ws, "pong"))["type"]
        out["late_socket_closes"] = []
        for _ in range(5):  # a page retrying while Redis is down
            late = await open_socket(as_alice)
            try:
                await asyncio.wait_for(late.recv(), TIMEOUT)
            except ConnectionClosed as closed:
                out["late_socket_closes"].append(closed.rcvd.code if closed.rcvd else None)

        redis_server.start()
        out["health_back"] = await wait_health(server, "ok")
        # Open sockets get movie events again once the server's subscriptions are restored.
        deadline = time.monotonic() + 15
        out["live_after"] = None
        while out["live_after"] is None and time.monotonic() < deadline:
            assert (await comment(as_bob, "after")).status_code == 201
            try:
                frame = await recv_type(ws, "comment.created", timeout=1)
            except TimeoutError:
                continue
            out["live_after"] = frame["data"]["comment"]["body"]
        # The friend request sent while Redis was down is delivered ahead of the next
        # notification, in order, from the backlog.
        request = await rest("POST", f"{server.url}/api/send-friend-request/{alice.id}/",
                             headers=as_carol)  # fmt: skip
        assert request.status_code == 201
        first = await recv_type(ws, "friend_request.received")
        second = await recv_type(ws, "friend_request.received")
        out["notifications_after"] = [
            (first["id"] - hello["data"]["last_event_id"], first["data"]["request"]["from_user"]),
            (second["id"] - hello["data"]["last_event_id"], second["data"]["request"]["from_user"]),
        ]
        fresh = await open_socket(as_alice)
        out["fresh_socket"] = (await recv(fresh))["type"]
        await fresh.close()
        await asyncio.sleep(0.5)
        # Same sockets as before the outage: the same layer bookkeeping, no more connections.
        layer_after = (await rest("GET", f"{server.url}/__test__/layer")).json()
        out["layer"] = (layer_before, layer_after)
        out["clients"] = (clients_before, redis_server.client_count())
        await ws.close()
        return out

    out = asyncio.run(scenario())

    assert out["health_before"]["channel_layer"] == "ok"
    assert out["subscribed"] == "subscribed"
    assert out["live_before"] == "before"
    assert out["health_down"] == (
        200,
        {"status": "ok", "database": "ok", "channel_layer": "degraded", "model_version": None},
    )
    assert out["health_down_seconds"] < TIMEOUT
    assert out["signup_down"] == 201
    assert out["login_down"]
    assert out["rate_down"] == 201
    assert out["comment_down"] == 201
    assert out["friend_request_down"] == 201
    assert out["ping_down"] == "pong"
    assert out["late_socket_closes"] == [4503] * 5
    assert out["health_back"]["channel_layer"] == "ok"
    assert out["live_after"] == "after"
    assert out["notifications_after"] == [(1, "bob"), (2, "carol")]
    assert out["fresh_socket"] == "hello"
    layer_before, layer_after = out["layer"]
    assert layer_before == {"channels": 2, "groups": 2}  # alice's socket and the movie relay
    assert layer_after == layer_before
    clients_before, clients_after = out["clients"]
    assert clients_after <= clients_before + 1, out["clients"]  # +1: the test's own client
    assert process.poll() is None
