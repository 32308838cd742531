"""Reads for the live-updates consumer (run under `database_sync_to_async`)."""

import logging
from dataclasses import dataclass, field

from realtime.models import Notification, NotificationCounter

logger = logging.getLogger(__name__)

MAX_REPLAY = 1000  # a client further behind than this reloads over REST instead


def notification_last_id(*, user_id: int) -> int:
    """The id of the user's newest notification; 0 if none (`hello.data.last_event_id`)."""
    last = NotificationCounter.objects.filter(user_id=user_id).values_list("last_id", flat=True)
    return last.first() or 0


@dataclass
class Replay:
    resync_required: bool
    last_id: int
    notifications: list[Notification] = field(default_factory=list)


def notifications_after(*, user_id: int, last_event_id: int) -> Replay:
    """Everything the user's client missed after `last_event_id`, in order, or resync.

    Ids are contiguous per user (a rolled-back id is rolled back with its row), so a replay
    that does not start at last_event_id + 1 means the backlog has dropped some.
    """
    rows = list(
        Notification.objects.filter(user_id=user_id, seq__gt=last_event_id)
        .order_by("seq")
        .only("seq", "type", "data", "created_at")[: MAX_REPLAY + 1]
    )
    if rows:
        if rows[0].seq != last_event_id + 1 or len(rows) > MAX_REPLAY:
            return Replay(True, notification_last_id(user_id=user_id))
        return Replay(False, rows[-1].seq, rows)
    newest = notification_last_id(user_id=user_id)
    # Nothing newer is kept: up to date, or the client's id is unknown here (pruned or reset).
    return Replay(newest != last_event_id, newest)
