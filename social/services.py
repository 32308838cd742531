"""Friend requests and friendships.

Races are guarded twice: DB constraints (one request per unordered pair, one friendship per
ordered pair) and row locks. Sending and removing lock both users' rows (in pk order, FOR NO KEY
UPDATE so inserts referencing the users elsewhere are not blocked), which serialises everything
that happens to one pair; accepting, denying and cancelling lock both users and then the request
row (one lock order with account deletion, accounts.locks). An
IntegrityError from a race the locks did not cover (SQLite has no row locks) becomes the 409 the
winner's row explains, never a 500.

Blocking locks both users' rows too, so a block and a friend request (or an acceptance) between
the same pair happen one after the other: whichever comes second sees the first.

A request stays in the table, marked accepted, while the two users are friends (so the pair
constraint also refuses new requests between friends); removing the friendship deletes it, so
the two can ask each other again.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.locks import users_lock
from accounts.models import User
from accounts.serializers import UserSummaryOutputSerializer
from mcbackend.exceptions import ApplicationError, ConflictError, NotFoundError
from realtime.events import blocks_changed_on_commit, notify_user_on_commit
from social.feed_stamps import feed_changed
from social.models import Block, FriendRequest, Friendship
from social.selectors import friendship_between, users_are_blocked
from social.serializers import FriendRequestOutputSerializer


def _lock_users(*user_ids: int) -> int:
    """Lock the users' rows in pk order (accounts.locks: users before requests); how many exist."""
    return users_lock(*user_ids)


def _pair_request(*, user_id: int, other_id: int) -> FriendRequest | None:
    return FriendRequest.objects.filter(
        Q(from_user_id=user_id, to_user_id=other_id) | Q(from_user_id=other_id, to_user_id=user_id)
    ).first()


def _refuse_existing(*, from_user: User, to_user: User) -> None:
    """Raise the 409 that explains why `from_user` cannot ask `to_user` now, if any."""
    if friendship_between(user_id=from_user.pk, other_id=to_user.pk) is not None:
        raise ConflictError("You are already friends.")
    existing = _pair_request(user_id=from_user.pk, other_id=to_user.pk)
    if existing is None:
        return
    if existing.accepted:
        # Left over without its friendship (should not happen): clear it so they can ask again.
        existing.delete()
    elif existing.from_user_id == from_user.pk:
        raise ConflictError("Friend request already sent.")
    else:
        raise ConflictError(
            "This user has already sent you a friend request.",
            extra={"incoming_request_id": existing.pk},
        )


@transaction.atomic
def friend_request_send(*, from_user: User, to_user: User) -> FriendRequest:
    if from_user.pk == to_user.pk:
        raise ApplicationError("You cannot send a friend request to yourself.")
    if _lock_users(from_user.pk, to_user.pk) != 2:
        raise NotFoundError("User not found")
    if users_are_blocked(user_id=from_user.pk, other_id=to_user.pk):
        raise NotFoundError("User not found")  # exactly as for an unknown id
    _refuse_existing(from_user=from_user, to_user=to_user)
    try:
        with transaction.atomic():
            fr = FriendRequest.objects.create(from_user=from_user, to_user=to_user)
    except IntegrityError as exc:  # lost a race the locks did not cover
        _refuse_existing(from_user=from_user, to_user=to_user)
        raise ConflictError("Friend request already sent.") from exc
    notify_user_on_commit(
        user_id=to_user.pk,
        type="friend_request.received",
        data={"request": FriendRequestOutputSerializer(fr).data},
    )
    return fr


def _lock_pair(friend_request: FriendRequest) -> None:
    """Both users' rows before the request's (the one lock order, accounts.locks): a deletion of
    either account cannot hold a user while waiting for the request, or the other way round."""
    if _lock_users(friend_request.from_user_id, friend_request.to_user_id) != 2:
        raise NotFoundError("Friend request not found")


def _lock_pending(*, friend_request: FriendRequest, **owner: int) -> FriendRequest:
    fr = (
        FriendRequest.objects.select_for_update(of=("self",))
        .select_related("from_user", "to_user")
        .filter(pk=friend_request.pk, accepted=False, **owner)
        .first()
    )
    if fr is None:  # answered or withdrawn meanwhile
        raise NotFoundError("Friend request not found")
    return fr


def friendship_create(*, user_a: User, user_b: User) -> Friendship:
    low, high = sorted((user_a.pk, user_b.pk))
    try:
        with transaction.atomic():
            return Friendship.objects.create(user_low_id=low, user_high_id=high)
    except IntegrityError as exc:
        friendship = friendship_between(user_id=low, other_id=high)
        if friendship is None:
            raise ConflictError("Could not create the friendship.") from exc
        return friendship


@transaction.atomic
def friend_request_accept(*, friend_request: FriendRequest, acting_user: User) -> Friendship:
    # The pair first (as blocking does), then the request: a block cannot slip in between.
    _lock_pair(friend_request)
    fr = _lock_pending(friend_request=friend_request, to_user_id=acting_user.pk)  # two clicks
    fr.accepted = True
    fr.save(update_fields=["accepted"])
    friendship = friendship_create(user_a=fr.from_user, user_b=fr.to_user)
    notify_user_on_commit(
        user_id=fr.from_user_id,
        type="friend_request.accepted",
        data={"request_id": fr.pk, "friend": UserSummaryOutputSerializer(fr.to_user).data},
    )
    return friendship


@transaction.atomic
def friend_request_deny(*, friend_request: FriendRequest, acting_user: User) -> None:
    _lock_pair(friend_request)
    fr = _lock_pending(friend_request=friend_request, to_user_id=acting_user.pk)
    request_id = fr.pk
    fr.delete()
    notify_user_on_commit(
        user_id=fr.from_user_id, type="friend_request.declined", data={"request_id": request_id}
    )


@transaction.atomic
def friend_request_cancel(*, friend_request: FriendRequest, acting_user: User) -> None:
    _lock_pair(friend_request)
    fr = _lock_pending(friend_request=friend_request, from_user_id=acting_user.pk)
    request_id = fr.pk
    fr.delete()
    notify_user_on_commit(
        user_id=fr.to_user_id, type="friend_request.cancelled", data={"request_id": request_id}
    )


def _end_friendship(*, user_id: int, friend_id: int) -> bool:
    """Delete the pair's friendship and its accepted request, tell the friend; False if none.
    The caller holds both users' row locks."""
    friendship = friendship_between(user_id=user_id, other_id=friend_id)
    if friendship is None:
        return False
    friendship.delete()
    FriendRequest.objects.filter(
        Q(from_user_id=user_id, to_user_id=friend_id)
        | Q(from_user_id=friend_id, to_user_id=user_id)
    ).delete()
    notify_user_on_commit(user_id=friend_id, type="friend.removed", data={"user_id": user_id})
    return True


@transaction.atomic
def friendship_remove(*, user: User, friend_id: int) -> None:
    """End the friendship and delete the accepted request, so either may ask again."""
    if user.pk == friend_id or _lock_users(user.pk, friend_id) != 2:
        raise NotFoundError("Friend not found")
    if not _end_friendship(user_id=user.pk, friend_id=friend_id):
        raise NotFoundError("Friend not found")


@transaction.atomic
def friendships_end_for_user(*, user: User) -> list[int]:
    """Account deletion: every friend gets `friend.removed` (REALTIME.md), as if unfriended.
    Returns the former friends' ids."""
    higher = Friendship.objects.filter(user_low=user).values_list("user_high_id", flat=True)
    lower = Friendship.objects.filter(user_high=user).values_list("user_low_id", flat=True)
    friend_ids = sorted([*higher, *lower])
    _lock_users(user.pk, *friend_ids)
    return [
        friend_id
        for friend_id in friend_ids
        if _end_friendship(user_id=user.pk, friend_id=friend_id)
    ]


@transaction.atomic
def user_block(*, user: User, other_id: int) -> None:
    """Block `other_id` (idempotent). Ends their friendship and any pending request between them;
    the other user hears only what an unfriend, a cancel or a decline would tell them, and the
    blocker's own tabs hear nothing. Both users' sockets reload who is hidden from them."""
    if user.pk == other_id:
        raise ApplicationError("You cannot block yourself.")
    if _lock_users(user.pk, other_id) != 2:
        raise NotFoundError("User not found")
    feed_changed(user_ids=[user.pk, other_id])  # bulk_create sends no post_save
    Block.objects.bulk_create([Block(blocker=user, blocked_id=other_id)], ignore_conflicts=True)
    if not _end_friendship(user_id=user.pk, friend_id=other_id):
        pending = _pair_request(user_id=user.pk, other_id=other_id)
        if pending is not None:
            request_id, sent_by_blocker = pending.pk, pending.from_user_id == user.pk
            pending.delete()
            notify_user_on_commit(
                user_id=other_id,
                type="friend_request.cancelled" if sent_by_blocker else "friend_request.declined",
                data={"request_id": request_id},
            )
    blocks_changed_on_commit(user_ids=[user.pk, other_id])


@transaction.atomic
def user_unblock(*, user: User, other_id: int) -> None:
    """Lift the user's own block (a no-op when there is none); never restores a friendship."""
    if not User.objects.filter(pk=other_id).exists():
        raise NotFoundError("User not found")
    deleted, _ = Block.objects.filter(blocker=user, blocked_id=other_id).delete()
    if deleted:
        blocks_changed_on_commit(user_ids=[user.pk, other_id])
