from typing import Any

import pytest


@pytest.fixture
def events(layer_listener):
    """Listen to several users' personal groups; `events.of(user)` = [(event, data), ...]."""

    class Events:
        def listen(self, *users: Any) -> None:
            for u in users:
                layer_listener.join(f"user.{u.id}")

        def of(self, u: Any) -> list[tuple[str, Any]]:
            # Frames only: internal messages (blocks.changed) carry no event.
            messages = layer_listener.drain(f"user.{u.id}")
            return [(m["event"], m["data"]) for m in messages if "event" in m]

    return Events()
