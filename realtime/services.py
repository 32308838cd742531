"""Writes of the realtime app: the personal-notification backlog and its read mark."""

import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from realtime.inbox_cache import inbox_changed
from realtime.models import Notification, NotificationCounter

BACKLOG_MIN_COUNT = 200  # the newest 200 per user are always kept ...
BACKLOG_MIN_AGE = datetime.timedelta(hours=24)  # ... and anything younger than a day
PRUNE_EVERY = 50  # notification_create prunes the user's backlog on every 50th id


def _next_id(*, user_id: int) -> int:
    """Take the user's next event id.

    The UPDATE takes the counter row's lock (what `select_for_update` takes on Postgres; on SQLite
    it takes the database write lock before the read) and keeps it until the caller commits, so
    a later id can never commit before an earlier one.
    """
    counters = NotificationCounter.objects.filter(user_id=user_id)
    if not counters.update(last_id=F("last_id") + 1):
        NotificationCounter.objects.bulk_create(
            [NotificationCounter(user_id=user_id, last_id=0)], ignore_conflicts=True
        )
        counters.update(last_id=F("last_id") + 1)
    return counters.values_list("last_id", flat=True).get()


def notification_create(*, user_id: int, type: str, data: dict[str, Any]) -> Notification:
    """Append to the user's backlog inside the caller's transaction (rolled back with it)."""
    with transaction.atomic(savepoint=False):
        inbox_changed(user_ids=[user_id])  # before the caller registers the socket frame
        seq = _next_id(user_id=user_id)
        notification = Notification.objects.create(user_id=user_id, seq=seq, type=type, data=data)
        if seq % PRUNE_EVERY == 0:
            notification_prune(user_id=user_id, last_id=seq)
    return notification


@transaction.atomic
def notification_prune(*, user_id: int | None = None, last_id: int | None = None) -> int:
    """Drop notifications that are both outside the newest 200 and older than 24 h.

    With a user, prunes that user's backlog (cheap: one indexed delete); without one, everybody's.
    Returns how many rows were deleted. A pruned unread notification leaves the unread count,
    so the users concerned get new inbox stamps (realtime.inbox_cache).
    """
    cutoff = timezone.now() - BACKLOG_MIN_AGE
    old = Notification.objects.filter(created_at__lt=cutoff)
    if user_id is not None:
        if last_id is None:
            last_id = (
                NotificationCounter.objects.filter(user_id=user_id)
                .values_list("last_id", flat=True)
                .first()
                or 0
            )
        old = old.filter(user_id=user_id, seq__lte=last_id - BACKLOG_MIN_COUNT)
    else:
        old = old.filter(seq__lte=F("user__notificationcounter__last_id") - BACKLOG_MIN_COUNT)
    if user_id is not None:
        inbox_changed(user_ids=[user_id])
    else:
        inbox_changed(user_ids=old.values_list("user_id", flat=True).distinct().order_by())
    deleted, _ = old.delete()
    return deleted


@transaction.atomic
def notifications_mark_read(*, user_id: int, up_to: int) -> int:
    """Mark every notification with id <= up_to read (the user's read mark only rises, and never
    past the newest id, so later notifications arrive unread); returns the unread count and sends
    `notifications.read` to every socket of the user after commit.

    One UPDATE with GREATEST: two tabs marking at once serialise on the counter row, and the
    mark ends at the larger of the two whatever the order.
    """
    from realtime.events import send_user_on_commit  # events imports this module
    from realtime.selectors import notification_unread_count

    inbox_changed(user_ids=[user_id])
    NotificationCounter.objects.filter(user_id=user_id).update(
        read_up_to=Greatest(F("read_up_to"), Least(Value(up_to), F("last_id")))
    )
    unread = notification_unread_count(user_id=user_id).unread
    send_user_on_commit(
        user_id=user_id, type="notifications.read", data={"up_to": up_to, "unread": unread}
    )
    return unread
