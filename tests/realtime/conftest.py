"""Helpers for socket tests: tokens, handshake headers, and sockets on the real ASGI application.

Consumer tests drive `mcbackend.asgi.application` (Origin check, JWT middleware, routing,
consumer) with `WebsocketCommunicator` on the configured layer (Redis when REDIS_URL is set).
The consumer reads the database from worker threads, so these tests use committed data
(`transactional_db`).
"""

import asyncio
import datetime
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tokens import GENERATION_CLAIM, session_tokens_for_user
from mcbackend.asgi import application
from tests.realtime.live import live_server_ws  # noqa: F401 (fixture)

HOST = "testserver"
ORIGIN = f"http://{HOST}"
TIMEOUT = 5  # seconds to wait for a frame that must come


def access_token_for(user: Any, *, lifetime: datetime.timedelta | None = None) -> str:
    if lifetime is None:
        return session_tokens_for_user(user)[0]
    token = AccessToken.for_user(user)
    token[GENERATION_CLAIM] = user.auth_generation
    token.set_exp(lifetime=lifetime)
    return str(token)


def handshake_headers(
    *, cookie: str | None = None, bearer: str | None = None, origin: str | None = ORIGIN
) -> list[tuple[bytes, bytes]]:
    headers = [(b"host", HOST.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"access_token={cookie}".encode()))
    if bearer is not None:
        headers.append((b"authorization", f"Bearer {bearer}".encode()))
    return headers


class Socket:
    """A WebsocketCommunicator that speaks JSON frames."""

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
        self.connected = False
        self.closed_with: int | None = None

    async def connect(self) -> bool:
        self.connected, _ = await self.communicator.connect(timeout=TIMEOUT)
        return self.connected

    async def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            self.closed_with = output.get("code")
            raise AssertionError(f"socket closed with {self.closed_with}")
        return json.loads(output["text"])

    async def receive_close(self, timeout: float = TIMEOUT) -> int | None:
        """Read frames until the server closes; returns the close code."""
        while True:
            output = await self.communicator.receive_output(timeout)
            if output["type"] == "websocket.close":
                return output.get("code")

    async def send(self, frame: Any) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def nothing_received(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


async def open_socket(user: Any, **kwargs: Any) -> tuple[Socket, dict[str, Any]]:
    """An authenticated socket (cookie, own Origin) and its hello frame."""
    token = await sync_to_async(access_token_for)(user)
    socket = Socket(handshake_headers(cookie=token, **kwargs))
    assert await socket.connect()
    hello = await socket.receive()
    assert hello["type"] == "hello"
    return socket, hello


def run(coroutine: Any) -> Any:
    """Run one async scenario on a fresh event loop."""
    return asyncio.run(coroutine)


@pytest.fixture
def live_user(transactional_db):
    from tests.factories import UserFactory

    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def live_other_user(transactional_db):
    from tests.factories import UserFactory

    return UserFactory(username="bob", email="bob@example.com")
