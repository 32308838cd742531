"""The bell badge (unread count and newest id) kept per process, exact across processes.

`GET /api/notifications/unread-count/` is polled far more often than the inbox changes. Each
process keeps the counts it read, tagged with the user's *inbox stamp*: a random value in the
shared cache (Redis in production) that every write changing the answer replaces
(`inbox_changed`: a new notification, a mark-read, a pruned backlog). The stamp is read in the
round trip that already authenticates the request (`read_with_authentication` on the view,
accounts.session_cache), so a repeat read costs no query and no extra round trip.

Why it stays exact, and the one bound (INBOX_CACHE_SECONDS): mcbackend.stamps. The stamp's
after-commit replacement is registered before the notification's socket frame, so a client that
sees the frame and then asks for the count gets the new one.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from mcbackend.stamps import KeptCopies, Stamps
from realtime.selectors import InboxCount, notification_unread_count

STAMPS = Stamps("inbox-stamp")
_counts = KeptCopies("INBOX_CACHE_SECONDS", max_size=10_000)  # one per user


def inbox_changed(*, user_ids: Iterable[int]) -> None:
    """These users' unread counts are being changed: no process may use its copy once the
    write commits. Call it inside the writing transaction (or after a write outside one)."""
    STAMPS.changed(user_ids=user_ids)


def unread_count(*, user_id: int, read: Mapping[str, Any] | None = None) -> InboxCount:
    """The user's unread count and newest id: this process's copy while the user's inbox stamps
    are unchanged (`read`: their values as read in the request's authentication round trip,
    `STAMPS.keys`; else read here), otherwise one query (`notification_unread_count`)."""
    count: InboxCount = _counts.get_or_load(
        user_id,
        lambda: notification_unread_count(user_id=user_id),
        stamps=STAMPS,
        user_id=user_id,
        read=read,
    )
    return count


def clear() -> None:
    """Forget every count this process keeps (tests start with none)."""
    _counts.clear()
