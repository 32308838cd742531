"""Reads of the social graph; `user_is_visible_to` is the one visibility rule (API.md)."""

from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower

from accounts.models import User
from mcbackend.exceptions import ForbiddenError, NotFoundError
from social.models import FriendRequest, Friendship


def friendship_between(*, user_id: int, other_id: int) -> Friendship | None:
    low, high = sorted((user_id, other_id))
    return Friendship.objects.filter(user_low_id=low, user_high_id=high).first()


def friends_of(*, user: User) -> QuerySet[User]:
    return User.objects.filter(
        Q(pk__in=Friendship.objects.filter(user_low=user).values("user_high_id"))
        | Q(pk__in=Friendship.objects.filter(user_high=user).values("user_low_id"))
    )


def user_is_visible_to(*, user: User, viewer: User) -> bool:
    """Public users, oneself and one's friends are visible; a private stranger is not."""
    if not user.is_private or user.pk == viewer.pk:
        return True
    return friendship_between(user_id=user.pk, other_id=viewer.pk) is not None


def user_get(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFoundError("User not found")
    return user


def friend_list(*, user: User) -> QuerySet[User]:
    """The user's friends as summaries, alphabetical."""
    return friends_of(user=user).only("id", "username").order_by(Lower("username"), "id")


def friend_list_for_viewer(*, user_id: int, viewer: User) -> QuerySet[User]:
    """Another user's friends: 404 unknown user, 403 when that user is not visible to the viewer."""
    user = user_get(user_id=user_id)
    if not user_is_visible_to(user=user, viewer=viewer):
        raise ForbiddenError("This user's friends are private")
    return friend_list(user=user)


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


def user_search(*, username: str) -> QuerySet[User]:
    """Usernames containing `username` (any case): exact match, then prefix, then the rest,
    each alphabetical."""
    return (
        User.objects.filter(username__icontains=username, is_active=True)
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
