"""Row locks on users, the one lock order for every write that involves accounts.

Order: user rows first (several in pk order), then whatever else the use case locks (movies,
friend requests, notification counters). Account deletion takes its user's row first too
(FOR UPDATE), so a write racing a deletion either commits before it (and is deleted with the
account) or waits and then finds the account gone: never a foreign-key violation at COMMIT (a
500) or a deadlock (a 503).

The lock is FOR NO KEY UPDATE: it conflicts with deletion and with other writers' locks on the
same user, but not with the key-share locks that inserts referencing the user take.
"""

from django.db.models import Q

from accounts.models import User
from mcbackend.exceptions import AuthenticationError


def users_lock(*user_ids: int) -> int:
    """Lock the users' rows in pk order; returns how many exist. Call inside a transaction."""
    any_of = Q()
    for user_id in user_ids:  # exact lookups: an id beyond the column's range matches nothing
        any_of |= Q(pk=user_id)
    locked = (
        User.objects.select_for_update(no_key=True)
        .filter(any_of)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return len(list(locked))


def acting_user_lock(*, user: User) -> None:
    """Lock the requesting user's row before writing rows it owns; 401 when the account was
    deleted meanwhile (its token is no longer valid either)."""
    if not users_lock(user.pk):
        raise AuthenticationError("User not found")
