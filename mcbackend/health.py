"""Dependency checks for GET /api/health/."""

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import DatabaseError, connection

from mcbackend.hooks import Hook

logger = logging.getLogger(__name__)

health_reporters = Hook(
    "mcbackend.health_reporters",
    doc="""`receiver() -> dict`: fields an app adds to the /api/health/ body (ml: `model_version`).
    Called on every health request: keep it cheap, and never let it raise.""",
)


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: database unreachable")
        return "unreachable"
    return "ok"


def channel_layer_status() -> str:
    """ "ok" when a message can be sent on the channel layer, else "degraded" (REST still works)."""
    layer = get_channel_layer()
    if layer is None:
        return "degraded"
    try:
        async_to_sync(_probe)(layer)
    except Exception:  # any layer failure (Redis down, timeouts) only degrades live updates
        logger.warning("Health check: channel layer unreachable", exc_info=True)
        return "degraded"
    return "ok"


async def _probe(layer: Any) -> None:
    # A group send to an empty group touches the backend (Redis) without leaving messages behind.
    await asyncio.wait_for(layer.group_send("health-check", {"type": "health.check"}), timeout=1.0)
