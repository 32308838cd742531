"""Pushing fresh recommendations: after a rating (off the request path) and after a deployment.

A rating commits -> `recommendations_refresh_on_commit` queues the user on a one-thread,
process-wide executor -> the worker recomputes the list with the loaded model and publishes
`recommendations.updated` (REALTIME.md) when the list is personal. Repeated ratings by the same
user while they wait in the queue coalesce into one refresh. With ML_REFRESH_SYNC (tests) the
refresh runs inline in the commit hook instead.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from ml.hooks import ratings_committed, recommendations_refreshing
from ml.selectors import personal_recommendations_for_user
from movies.models import Rating
from realtime.events import notify_recommendations_updated

logger = logging.getLogger(__name__)

PUSH_COUNT = 20  # movies in `recommendations.updated`: the REST list's default length

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_pending: set[int] = set()
_pending_lock = threading.Lock()


@transaction.atomic
def recommendations_push(*, user: User) -> bool:
    """Publish the user's current list if it is personal; returns whether it published."""
    result = personal_recommendations_for_user(user=user, limit=PUSH_COUNT)
    if result is None or result.model_version is None:
        return False  # not enough ratings for the model yet (or no model): nothing to announce
    notify_recommendations_updated(
        user_id=user.pk,
        movies=[dict(row) for row in result.movies],
        model_version=result.model_version,
    )
    return True


def _refresh(user_id: int) -> None:
    with _pending_lock:
        _pending.discard(user_id)  # a rating from now on queues another refresh
    try:
        user = User.objects.filter(pk=user_id).first()
        if user is not None:
            recommendations_refreshing.send_robust(user_id=user_id)
            recommendations_push(user=user)
    except Exception:
        logger.exception("Could not refresh recommendations for user %s", user_id)
    finally:
        if not settings.ML_REFRESH_SYNC:
            connection.close()  # this thread's connection; the next task opens a fresh one


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ml-refresh")
        return _executor


def recommendations_refresh(*, user_id: int) -> Future[None] | None:
    """Queue a refresh for the user (inline with ML_REFRESH_SYNC); None when one is queued."""
    if settings.ML_REFRESH_SYNC:
        _refresh(user_id)
        return None
    with _pending_lock:
        if user_id in _pending:
            return None
        _pending.add(user_id)
    return _get_executor().submit(_refresh, user_id)


def _ratings_committed(user_id: int) -> None:
    ratings_committed.send_robust(user_id=user_id)
    recommendations_refresh(user_id=user_id)


def recommendations_refresh_on_commit(*, user_id: int) -> None:
    """Call inside the service's transaction (a rating change): refresh once it commits."""
    transaction.on_commit(lambda: _ratings_committed(user_id), robust=True)


def recommendations_push_active_users(*, days: int, max_users: int) -> int:
    """After a deployment: push the new lists to users who rated something in the last `days`
    days, most recent first, at most `max_users` (best effort: failures are logged and skipped).
    Returns how many users got an event."""
    since = timezone.now() - timedelta(days=days)
    recent = (
        Rating.objects.filter(timestamp__gte=since)
        .values_list("user_id", flat=True)
        .order_by("-timestamp")
    )
    user_ids: dict[int, None] = {}  # insertion-ordered set
    for user_id in recent.iterator(chunk_size=2000):
        user_ids.setdefault(user_id)
        if len(user_ids) >= max_users:
            break
    pushed = 0
    for user in User.objects.filter(pk__in=user_ids):
        try:
            pushed += recommendations_push(user=user)
        except Exception:
            logger.exception("Could not push recommendations to user %s", user.pk)
    return pushed
