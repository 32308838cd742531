"""Reads for the live-updates consumer (run under `database_sync_to_async`)."""

import logging
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    OuterRef,
    PositiveBigIntegerField,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from mcbackend.prepared import PreparedQuery
from realtime.hooks import hidden_users
from realtime.models import Notification, NotificationCounter

logger = logging.getLogger(__name__)

MAX_REPLAY = 1000  # a client further behind than this reloads over REST instead


def notification_last_id(*, user_id: int) -> int:
    """The id of the user's newest notification; 0 if none (`hello.data.last_event_id`)."""
    last = NotificationCounter.objects.filter(user_id=user_id).values_list("last_id", flat=True)
    return last.first() or 0


def hidden_user_ids(*, user_id: int) -> frozenset[int]:
    """Users whose comment frames this user's sockets leave out (social's block rule, through
    the `realtime.hooks.hidden_users` hook)."""
    return frozenset().union(*hidden_users.send(user_id=user_id))


def socket_start(*, user_id: int) -> tuple[int, frozenset[int]]:
    """What a new socket needs: the newest notification id and the hidden user ids."""
    return notification_last_id(user_id=user_id), hidden_user_ids(user_id=user_id)


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


# The inbox (API.md part two "Notifications inbox") -----------------------------------------


def _read_mark(user_id: int) -> Subquery:
    return Subquery(
        NotificationCounter.objects.filter(user_id=user_id).values("read_up_to")[:1],
        output_field=PositiveBigIntegerField(),
    )


def notification_list(*, user_id: int, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's backlog, newest first, each row annotated with `read` (seq <= the user's read
    mark) in the same query; `unread` keeps only unread (True) or only read (False) rows."""
    mark = Coalesce(_read_mark(user_id), Value(0))
    rows = Notification.objects.filter(user_id=user_id).annotate(
        read=Case(
            When(seq__lte=mark, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )
    if unread is not None:
        rows = rows.filter(read=not unread)
    return rows.only("seq", "type", "data", "created_at").order_by("-seq")


@dataclass(frozen=True)
class InboxCount:
    unread: int
    last_event_id: int


def _unread_count_query(user_id: int) -> QuerySet[NotificationCounter, tuple[int, int]]:
    """The counter row (primary key) and a count over the (user, seq) index above its mark."""
    unread = (
        Notification.objects.filter(user_id=user_id, seq__gt=OuterRef("read_up_to"))
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        NotificationCounter.objects.filter(user_id=user_id)
        .annotate(unread=Coalesce(Subquery(unread), Value(0)))
        .values_list("unread", "last_id")
    )


# Compiled once per process (mcbackend.prepared): building the subquery took longer than
# running it (bench/social).
_unread_count = PreparedQuery(_unread_count_query)


def notification_unread_count(*, user_id: int) -> InboxCount:
    """One statement: the counter row by primary key and a count over the (user, seq) index
    above the read mark. The backlog keeps at most a few hundred rows per user, so it stays
    cheap."""
    rows = _unread_count.rows(user_id)
    return InboxCount(*rows[0]) if rows else InboxCount(0, 0)
