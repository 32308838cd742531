"""Connecting: Origin check, token check (cookie or Bearer), hello, expiry while connected."""

import datetime
import re

import pytest
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from realtime.events import notify_user_on_commit
from tests.factories import PASSWORD
from tests.realtime.conftest import (
    ORIGIN,
    Socket,
    access_token_for,
    handshake_headers,
    open_socket,
    run,
)

pytestmark = pytest.mark.django_db(transaction=True)

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_cookie_handshake_gets_hello(live_user):
    async def scenario():
        socket, hello = await open_socket(live_user)
        await socket.close()
        return hello

    hello = run(scenario())
    assert TS.match(hello.pop("ts"))
    assert hello == {
        "id": None,
        "type": "hello",
        "data": {"user": {"id": live_user.id, "username": "alice"}, "last_event_id": 0},
    }


def test_bearer_handshake_without_origin_gets_hello(live_user):
    token = access_token_for(live_user)

    async def scenario():
        socket = Socket(handshake_headers(bearer=token, origin=None))
        assert await socket.connect()
        hello = await socket.receive()
        await socket.close()
        return hello

    assert run(scenario())["data"]["user"] == {"id": live_user.id, "username": "alice"}


def test_hello_carries_newest_event_id(live_user):
    with transaction.atomic():
        for n in range(3):
            notify_user_on_commit(user_id=live_user.id, type="friend.removed", data={"user_id": n})

    async def scenario():
        socket, hello = await open_socket(live_user)
        await socket.close()
        return hello

    assert run(scenario())["data"]["last_event_id"] == 3


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(handshake_headers(origin=ORIGIN), id="no-token"),
        pytest.param(handshake_headers(cookie="not-a-jwt"), id="garbage-cookie"),
        pytest.param(handshake_headers(bearer="not-a-jwt", origin=None), id="garbage-bearer"),
    ],
)
def test_handshake_without_valid_token_is_closed_4401(headers, live_user):
    async def scenario():
        socket = Socket(headers)
        assert await socket.connect()  # accepted first: a close before accept is only 1006
        return await socket.receive_close()

    assert run(scenario()) == 4401


def test_expired_token_is_closed_4401(live_user):
    token = access_token_for(live_user, lifetime=datetime.timedelta(seconds=-1))

    async def scenario():
        socket = Socket(handshake_headers(cookie=token))
        assert await socket.connect()
        return await socket.receive_close()

    assert run(scenario()) == 4401


def test_token_from_before_a_password_change_is_closed_4401(live_user):
    token = access_token_for(live_user)
    live_user.auth_generation += 1
    live_user.save(update_fields=["auth_generation"])

    async def scenario():
        socket = Socket(handshake_headers(bearer=token, origin=None))
        assert await socket.connect()
        return await socket.receive_close()

    assert run(scenario()) == 4401


def test_token_expiring_while_connected_closes_4401(live_user):
    token = access_token_for(live_user, lifetime=datetime.timedelta(seconds=2))

    async def scenario():
        socket = Socket(handshake_headers(cookie=token))
        assert await socket.connect()
        assert (await socket.receive())["type"] == "hello"
        await socket.send({"action": "ping"})
        assert (await socket.receive())["type"] == "pong"
        return await socket.receive_close(timeout=10)

    assert run(scenario()) == 4401


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(None, id="missing"),
        pytest.param("null", id="null"),
        pytest.param("https://evil.example", id="foreign"),
        pytest.param("http://testserver.evil.example", id="lookalike"),
        pytest.param("https://testserver", id="other-scheme"),
    ],
)
def test_cookie_handshake_from_untrusted_origin_is_refused(origin, live_user):
    token = access_token_for(live_user)

    async def scenario():
        socket = Socket(handshake_headers(cookie=token, origin=origin))
        return await socket.connect()

    assert run(scenario()) is False  # closed before accept: daphne answers HTTP 403


@pytest.mark.parametrize("origin", ["null", "https://evil.example"])
def test_foreign_origin_is_refused_whatever_the_token(origin, live_user):
    token = access_token_for(live_user)

    async def scenario():
        socket = Socket(handshake_headers(bearer=token, origin=origin))
        return await socket.connect()

    assert run(scenario()) is False


def test_foreign_origin_without_any_token_is_refused(live_user):
    async def scenario():
        return await Socket(handshake_headers(origin="https://evil.example")).connect()

    assert run(scenario()) is False


@override_settings(TRUSTED_ORIGINS=["https://app.example"])
def test_configured_trusted_origin_is_accepted(live_user):
    async def scenario():
        socket, hello = await open_socket(live_user, origin="https://app.example")
        await socket.close()
        return hello

    assert run(scenario())["type"] == "hello"


def test_own_origin_follows_the_host_header(live_user):
    token = access_token_for(live_user)

    async def scenario():
        headers = [
            (b"host", b"movies.example:8443"),
            (b"origin", b"http://movies.example:8443"),
            (b"cookie", f"access_token={token}".encode()),
        ]
        socket = Socket(headers)
        assert await socket.connect()
        hello = await socket.receive()
        await socket.close()
        return hello

    assert run(scenario())["type"] == "hello"


def test_deleted_user_token_is_closed_4401(live_user):
    token = access_token_for(live_user)
    live_user.delete()

    async def scenario():
        socket = Socket(handshake_headers(cookie=token))
        assert await socket.connect()
        return await socket.receive_close()

    assert run(scenario()) == 4401


def test_token_of_a_logged_out_session_is_closed_4401(live_user):
    """A Bearer client that logged out: a copy of its access token cannot open a socket."""
    login = APIClient().post("/api/token/", {"username": "alice", "password": PASSWORD})
    token = login.cookies["access_token"].value
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.post("/api/user/logout/").status_code == 200

    async def scenario():
        socket = Socket(handshake_headers(bearer=token, origin=None))
        assert await socket.connect()
        return await socket.receive_close()

    assert run(scenario()) == 4401
