"""The one publishing path: services call these inside their transaction; the send happens after
commit (a rollback publishes nothing) and a channel-layer failure never fails the request.

Layer messages carry `event` and `data`, plus `text`: the whole frame serialised once here, so
a fan-out to N sockets sends the same string N times instead of encoding it N times.
"""

import asyncio
import json
import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from accounts.locks import users_lock
from realtime.groups import FEED_GROUP, movie_group, user_group
from realtime.protocol import frame_text
from realtime.services import notification_create

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 1.0  # seconds; an unreachable Redis must not hold the request


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-normalise now, so a bad payload fails in the service rather than in a commit hook."""
    normalised: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return normalised


async def _send(group: str, message: dict[str, Any]) -> None:
    await asyncio.wait_for(get_channel_layer().group_send(group, message), PUBLISH_TIMEOUT)


def _group_send(group: str, message: dict[str, Any]) -> None:
    message = {**message, "published_at": time.time()}  # for publish-to-send latency (metrics)
    try:
        async_to_sync(_send)(group, message)
    except Exception:  # Redis down or similar: live updates degrade, REST carries on
        logger.exception("Could not publish %s to %s", message.get("event", message["type"]), group)


def notify_user_on_commit(*, user_id: int, type: str, data: dict[str, Any]) -> None:
    """A personal notification (REALTIME.md) for one user.

    Writes the backlog row (and takes the user's next event id) in the caller's transaction;
    the live frame is sent once that transaction commits. A recipient whose account is being
    deleted gets nothing: its row lock (accounts.locks) waits for the deletion, which leaves no
    row to notify, instead of failing the caller's COMMIT with a foreign-key violation.
    """
    data = _normalise(data)
    if not users_lock(user_id):
        return
    notification = notification_create(user_id=user_id, type=type, data=data)
    message = {
        "type": "notification.push",
        "event": type,
        "data": data,
        "id": notification.seq,
        "text": frame_text(id=notification.seq, type=type, data=data, ts=notification.created_at),
    }
    transaction.on_commit(lambda: _group_send(user_group(user_id), message), robust=True)


def broadcast_movie_on_commit(
    *, movie_id: int, type: str, data: dict[str, Any], author_id: int | None = None
) -> None:
    """A stream event for everyone subscribed to the movie (best effort, no backlog).

    `author_id` (comment events) is not part of the frame: each process's relay leaves the
    frame out for its sockets whose user blocked, or is blocked by, that author.
    """
    data = _normalise(data)
    message = {
        "type": "stream.push",
        "event": type,
        "data": data,
        "movie_id": movie_id,
        "author_id": author_id,
    }

    def publish() -> None:
        # Stamped at send time; serialised once for every subscriber.
        _group_send(movie_group(movie_id), {**message, "text": frame_text(type=type, data=data)})

    transaction.on_commit(publish, robust=True)


def send_user_on_commit(*, user_id: int, type: str, data: dict[str, Any]) -> None:
    """A frame for every socket of the user that is not a personal notification (`id` null,
    not in the backlog), e.g. `notifications.read`."""
    data = _normalise(data)

    def publish() -> None:
        text = frame_text(type=type, data=data)
        _group_send(user_group(user_id), {"type": "stream.push", "event": type, "text": text})

    transaction.on_commit(publish, robust=True)


def blocks_changed_on_commit(*, user_ids: list[int]) -> None:
    """Tell these users' sockets to reload whom they hide (no frame reaches the client)."""
    for user_id in user_ids:
        transaction.on_commit(
            lambda uid=user_id: _group_send(user_group(uid), {"type": "blocks.changed"}),
            robust=True,
        )


def feed_activity_on_commit(*, recipient_ids: list[int], data: dict[str, Any]) -> None:
    """`activity.created` for the `feed` stream of the actor's friends (REALTIME.md part two).

    One layer message to the `feed` group, serialised once: each process's feed relay writes the
    same text to its sockets that subscribed to `feed` and belong to a recipient.
    """
    if not recipient_ids:
        return
    data = _normalise(data)

    def publish() -> None:
        text = frame_text(type="activity.created", data=data)
        message = {
            "type": "feed.push",
            "event": "activity.created",
            "recipients": recipient_ids,
            "text": text,
        }
        _group_send(FEED_GROUP, message)

    transaction.on_commit(publish, robust=True)


def disconnect_user_on_commit(*, user_id: int) -> None:
    """Close every socket of the user (logout, password change, deletion) with 4401."""
    message = {"type": "session.ended"}
    transaction.on_commit(lambda: _group_send(user_group(user_id), message), robust=True)


def notify_recommendations_updated(
    *, user_id: int, movies: list[dict[str, Any]], model_version: str
) -> None:
    """The recommender's hook: `recommendations.updated` with the user's new movie summaries."""
    notify_user_on_commit(
        user_id=user_id,
        type="recommendations.updated",
        data={"movies": movies, "model_version": model_version},
    )
