"""Reads for the live-updates consumer (run under `database_sync_to_async`)."""

import functools
import logging
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Field,
    Model,
    PositiveBigIntegerField,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

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


@dataclass
class InboxCount:
    unread: int
    last_event_id: int


def _quoted_column(model: type[Model], name: str) -> str:
    """The quoted database column of a concrete field, for the raw SQL below."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a concrete field")
    return connection.ops.quote_name(field.column)


@functools.cache
def _unread_count_sql() -> str:
    quote = connection.ops.quote_name
    counter_fields = ("user", "last_id", "read_up_to")
    column = {name: _quoted_column(NotificationCounter, name) for name in counter_fields}
    user, seq = (_quoted_column(Notification, name) for name in ("user", "seq"))
    return (
        f"SELECT ("  # noqa: S608  (names from the models' metadata; the user id is a parameter)
        f"SELECT COUNT(*) FROM {quote(Notification._meta.db_table)} AS n "
        f"WHERE n.{user} = c.{column['user']} AND n.{seq} > c.{column['read_up_to']}"
        f"), c.{column['last_id']} FROM {quote(NotificationCounter._meta.db_table)} AS c "
        f"WHERE c.{column['user']} = %s"
    )


def notification_unread_count(*, user_id: int) -> InboxCount:
    """One statement: the counter row by primary key and a count over the (user, seq) index
    above the read mark. The backlog keeps at most a few hundred rows per user, so it stays
    cheap. Plain SQL: building the ORM's subquery took longer than running it (bench/social)."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_count_sql(), [user_id])
        row = cursor.fetchone()
    return InboxCount(*row) if row else InboxCount(0, 0)
