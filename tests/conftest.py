import asyncio
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def other_user(db):
    return UserFactory(username="bob", email="bob@example.com")


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def make_auth_client():
    def make(u) -> APIClient:
        client = APIClient()
        client.force_authenticate(u)
        return client

    return make


class LayerListener:
    """Listens on the real channel layer: join a group, then read what services published to it.

    All layer calls run on one private event loop, because channels_redis binds a channel's
    receive queue to the loop that first waited on it.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.layer = get_channel_layer()
        self.channels: dict[str, str] = {}

    def _run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def join(self, group: str) -> None:
        channel = self._run(self.layer.new_channel())
        self._run(self.layer.group_add(group, channel))
        self.channels[group] = channel

    def receive(self, group: str, timeout: float = 1.0) -> dict[str, Any] | None:
        try:
            return self._run(asyncio.wait_for(self.layer.receive(self.channels[group]), timeout))
        except TimeoutError:
            return None

    def drain(self, group: str, timeout: float = 0.3) -> list[dict[str, Any]]:
        """Every message published to the group so far (waits `timeout` for stragglers)."""
        messages = []
        while (message := self.receive(group, timeout)) is not None:
            messages.append(message)
        return messages

    def close(self) -> None:
        for group, channel in self.channels.items():
            self._run(self.layer.group_discard(group, channel))
        self.loop.close()


@pytest.fixture
def layer_listener():
    """Use with `django_capture_on_commit_callbacks(execute=True)` around the request."""
    listener = LayerListener()
    yield listener
    listener.close()
