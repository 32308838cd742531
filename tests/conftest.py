import asyncio
import io
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import session_cache
from movies import catalogue, feed_cache
from realtime import inbox_cache
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache, materialised reads in the process; every test starts
    with none."""
    cache.clear()
    catalogue.reset()
    session_cache.clear()
    inbox_cache.clear()
    feed_cache.clear()
    yield
    cache.clear()
    catalogue.reset()
    session_cache.clear()
    inbox_cache.clear()
    feed_cache.clear()


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


# ---------------------------------------------------------------- recommender

# Tiny, seeded training settings for tests: a model in about a second on the planted catalogue.
TINY_TRAINING = [
    "--set=dim=8",
    "--set=epochs=60",
    "--set=lr=0.05",
    "--set=reg=0.02",
    "--set=patience=100",
    "--set=ease_lambda=5.0",
    "--set=ease_min_support=1",
    "--set=seed=7",
    "--no-notify",
]


@pytest.fixture
def model_dir(settings, tmp_path):
    """An empty ML_MODEL_DIR for this test; the process's loaded model is forgotten around it."""
    from ml.loader import reset_recommender

    settings.ML_MODEL_DIR = tmp_path / "models"
    reset_recommender()
    yield settings.ML_MODEL_DIR
    reset_recommender()


@pytest.fixture
def planted(db):
    """40 users in two taste groups: users[0], users[2], ... love the 20 Action movies and dislike
    a few Romance ones, the others the reverse (12 loved, 3 disliked each)."""
    from tests.factories import planted_catalogue

    return planted_catalogue()


@pytest.fixture
def train_model(model_dir):
    """`train_model(*extra_args)` runs `manage.py train_recommender` with the tiny settings."""
    from django.core.management import call_command

    def run(*extra: str) -> str:
        from ml.deployment import deployed_version

        call_command("train_recommender", *TINY_TRAINING, *extra, stdout=io.StringIO())
        version = deployed_version(model_dir)
        assert version is not None
        return version

    return run


@pytest.fixture
def tiny_model(planted, train_model):
    """A model trained on the planted catalogue and deployed; returns its version."""
    return train_model()
