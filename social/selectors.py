"""Reads of the social graph.

Two rules live here and every selector that shows one user to another consults them:
- `users_are_blocked` (and its set and queryset forms, `blocked_user_ids_for` and
  `hidden_users_q`): a block, either way, makes each user look like an unknown id to the other
  (API.md part two "Blocking");
- `user_is_visible_to`: a private user's lists are shown only to themselves and their friends.
"""

from typing import Any

from django.db.models import (
    Case,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Lower

from accounts.models import User
from mcbackend.exceptions import ForbiddenError, NotFoundError
from mcbackend.prepared import PreparedQuery
from social.models import Block, FriendRequest, Friendship


def friendship_between(*, user_id: int, other_id: int) -> Friendship | None:
    low, high = sorted((user_id, other_id))
    return Friendship.objects.filter(user_low_id=low, user_high_id=high).first()


def friends_of(*, user: User) -> QuerySet[User]:
    return User.objects.filter(
        Q(pk__in=Friendship.objects.filter(user_low=user).values("user_high_id"))
        | Q(pk__in=Friendship.objects.filter(user_high=user).values("user_low_id"))
    )


def _visible_friend_ids_query(user_id: int) -> QuerySet[Any, tuple[int]]:
    """The rule behind `friend_ids_visible`: the user's friendship pairs less any pair with a
    side hidden by a block (`hidden_users_q`; the user is never hidden from themselves, so a
    pair with a hidden side is a hidden friend), as the other side's id."""
    pairs = Friendship.objects.filter(Q(user_low_id=user_id) | Q(user_high_id=user_id)).exclude(
        hidden_users_q(viewer_id=user_id, field="user_low_id")
        | hidden_users_q(viewer_id=user_id, field="user_high_id")
    )
    other = Case(When(user_low_id=user_id, then=F("user_high_id")), default=F("user_low_id"))
    return pairs.annotate(friend_id=other).values_list("friend_id")


# Compiled once per database vendor: building the query took ~10x longer than running it.
_visible_friend_ids = PreparedQuery(_visible_friend_ids_query)


def friend_ids_visible_sql(*, user_id: int) -> tuple[str, list[Any]]:
    """SQL with one column, the ids of the user's friends not hidden by a block either way, and
    its parameters: for a statement that reads the feed (or anything else) in one go."""
    return _visible_friend_ids.sql(user_id)


def friend_ids_visible(*, user_id: int) -> list[int]:
    """The user's friends' ids, less anyone hidden by a block either way: one query over the
    friendship pairs (no join with users)."""
    return [row[0] for row in _visible_friend_ids.rows(user_id)]


def hidden_users_q(*, viewer_id: int, field: str = "pk") -> Q:
    """Rows whose user id in `field` is hidden from the viewer by a block (either way); use it
    in `exclude()`. Two indexed subqueries, no extra query."""
    they_blocked = Block.objects.filter(blocked_id=viewer_id).values("blocker_id")
    viewer_blocked = Block.objects.filter(blocker_id=viewer_id).values("blocked_id")
    return Q(**{f"{field}__in": viewer_blocked}) | Q(**{f"{field}__in": they_blocked})


def blocked_user_ids_for(*, user: User | int) -> set[int]:
    """Everyone the user blocked or was blocked by: the ids hidden from them (one query)."""
    user_id = user if isinstance(user, int) else user.pk
    rows = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).values_list(
        "blocker_id", "blocked_id"
    )
    return {blocked if blocker == user_id else blocker for blocker, blocked in rows}


def users_are_blocked(*, user_id: int, other_id: int) -> bool:
    """True when either of the two blocked the other."""
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def user_is_visible_to(*, user: User, viewer: User) -> bool:
    """Public users, oneself and one's friends are visible; a private stranger is not."""
    if not user.is_private or user.pk == viewer.pk:
        return True
    return friendship_between(user_id=user.pk, other_id=viewer.pk) is not None


def user_get(*, user_id: int, viewer: User) -> User:
    """Another user as the viewer may address them: an unknown id and a user blocked either way
    are the same 404, from the same single query."""
    user = User.objects.filter(pk=user_id).exclude(hidden_users_q(viewer_id=viewer.pk)).first()
    if user is None:
        raise NotFoundError("User not found")
    return user


def user_get_visible(*, user_id: int, viewer: User) -> User:
    """`user_get`, then 403 when that user's lists are private to the viewer."""
    user = user_get(user_id=user_id, viewer=viewer)
    if not user_is_visible_to(user=user, viewer=viewer):
        raise ForbiddenError("This user's profile is private")
    return user


def friend_list(*, user: User, viewer: User | None = None) -> QuerySet[User]:
    """The user's friends as summaries, alphabetical, without anyone hidden from the viewer."""
    viewer_id = (viewer or user).pk
    return (
        friends_of(user=user)
        .exclude(hidden_users_q(viewer_id=viewer_id))
        .only("id", "username")
        .order_by(Lower("username"), "id")
    )


def friend_list_for_viewer(*, user_id: int, viewer: User) -> QuerySet[User]:
    """Another user's friends: 404 unknown or blocked user, 403 when not visible to the viewer."""
    user = user_get(user_id=user_id, viewer=viewer)
    if not user_is_visible_to(user=user, viewer=viewer):
        raise ForbiddenError("This user's friends are private")
    return friend_list(user=user, viewer=viewer)


def blocked_list(*, user: User) -> QuerySet[User]:
    """The users `user` blocked (not those who blocked them), most recently blocked first."""
    return (
        User.objects.filter(blocks_received__blocker=user)
        .only("id", "username")
        .order_by("-blocks_received__created_at", "-blocks_received__id")
    )


def friend_request_list_incoming(*, user: User) -> QuerySet[FriendRequest]:
    return (
        FriendRequest.objects.filter(to_user=user, accepted=False)
        .select_related("from_user", "to_user")
        .order_by("-created_at", "-id")
    )


def friend_request_list_outgoing(*, user: User) -> QuerySet[FriendRequest]:
    return (
        FriendRequest.objects.filter(from_user=user, accepted=False)
        .select_related("from_user", "to_user")
        .order_by("-created_at", "-id")
    )


def friend_request_get_for_recipient(*, request_id: int, user: User) -> FriendRequest:
    """A pending request to `user`; anything else (unknown, someone else's, accepted) is a 404."""
    fr = FriendRequest.objects.filter(pk=request_id, to_user=user, accepted=False).first()
    if fr is None:
        raise NotFoundError("Friend request not found")
    return fr


def friend_request_get_for_sender(*, request_id: int, user: User) -> FriendRequest:
    """A pending request from `user`; anything else is a 404."""
    fr = FriendRequest.objects.filter(pk=request_id, from_user=user, accepted=False).first()
    if fr is None:
        raise NotFoundError("Friend request not found")
    return fr


def user_profile_get(*, user_id: int, viewer: User) -> User:
    """Another user's page, annotated with the viewer's relation to them in one query.

    `is_friend` is the friendship id, `is_outgoing`/`is_incoming` the pending request id (or None).
    A private user's bio is shown only to those the user is visible to.
    """
    pending = FriendRequest.objects.filter(accepted=False)
    user = (
        User.objects.filter(pk=user_id)
        .exclude(hidden_users_q(viewer_id=viewer.pk))
        .annotate(
            is_friend=Subquery(
                Friendship.objects.filter(
                    Q(user_low_id=viewer.pk, user_high_id=OuterRef("pk"))
                    | Q(user_high_id=viewer.pk, user_low_id=OuterRef("pk"))
                ).values("id")[:1]
            ),
            is_outgoing=Subquery(
                pending.filter(from_user_id=viewer.pk, to_user_id=OuterRef("pk")).values("id")[:1]
            ),
            is_incoming=Subquery(
                pending.filter(from_user_id=OuterRef("pk"), to_user_id=viewer.pk).values("id")[:1]
            ),
        )
        .first()
    )
    if user is None:
        raise NotFoundError("User not found")
    visible = not user.is_private or user.pk == viewer.pk or user.is_friend is not None
    if not visible:
        user.bio = ""
    return user


def user_search(*, username: str, viewer: User) -> QuerySet[User]:
    """Usernames containing `username` (any case): exact match, then prefix, then the rest,
    each alphabetical. Users blocked either way are left out."""
    return (
        User.objects.filter(username__icontains=username, is_active=True)
        .exclude(hidden_users_q(viewer_id=viewer.pk))
        .annotate(
            rank=Case(
                When(username__iexact=username, then=Value(0)),
                When(username__istartswith=username, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .only("id", "username")
        .order_by("rank", Lower("username"), "id")
    )
