"""The one publishing path: services call these inside their transaction; the send happens after
commit (a rollback publishes nothing) and a channel-layer failure never fails the request.
"""

import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from realtime.groups import movie_group, user_group

logger = logging.getLogger(__name__)


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-normalise now, so a bad payload fails in the service rather than in a commit hook."""
    normalised: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return normalised


def _group_send(group: str, message: dict[str, Any]) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(group, message)
    except Exception:  # Redis down or similar: live updates degrade, REST carries on
        logger.exception("Could not publish %s to %s", message.get("type"), group)


def notify_user_on_commit(*, user_id: int, type: str, data: dict[str, Any]) -> None:
    """A personal notification (REALTIME.md) for one user, sent once the transaction commits."""
    message = {"type": "notification.push", "event": type, "data": _normalise(data)}
    transaction.on_commit(lambda: _group_send(user_group(user_id), message), robust=True)


def broadcast_movie_on_commit(*, movie_id: int, type: str, data: dict[str, Any]) -> None:
    """A stream event for everyone subscribed to the movie (best effort, no backlog)."""
    message = {"type": "stream.push", "event": type, "data": _normalise(data)}
    transaction.on_commit(lambda: _group_send(movie_group(movie_id), message), robust=True)


def disconnect_user_on_commit(*, user_id: int) -> None:
    """Close every socket of the user (logout, password change, deletion) with 4401."""
    message = {"type": "session.ended"}
    transaction.on_commit(lambda: _group_send(user_group(user_id), message), robust=True)
