"""Blocking (API.md part two): the block endpoints, what a block ends, and that a blocked user
looks exactly like an unknown id everywhere else."""

import pytest
from rest_framework.test import APIClient

from social.models import Block, FriendRequest, Friendship
from tests.factories import (
    BlockFactory,
    CommentFactory,
    FriendRequestFactory,
    FriendshipFactory,
    MovieFactory,
    RatingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UNKNOWN_ID = 987654


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# ------------------------------------------------------------------ the endpoints


def test_block_answers_201_and_is_idempotent(user, other_user, auth_client):
    first = auth_client.post(f"/api/user/{other_user.id}/block/")
    again = auth_client.post(f"/api/user/{other_user.id}/block")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == {"message": "User blocked."}
    assert Block.objects.filter(blocker=user, blocked=other_user).count() == 1


def test_block_answers_201_when_that_user_already_blocked_you(user, other_user, auth_client):
    BlockFactory(blocker=other_user, blocked=user)
    assert auth_client.post(f"/api/user/{other_user.id}/block/").status_code == 201
    assert Block.objects.count() == 2


def test_block_unknown_user_is_404_and_yourself_400(user, auth_client):
    unknown = auth_client.post(f"/api/user/{UNKNOWN_ID}/block/")
    assert (unknown.status_code, unknown.json()) == (404, {"message": "User not found"})
    own = auth_client.post(f"/api/user/{user.id}/block/")
    assert (own.status_code, own.json()) == (400, {"message": "You cannot block yourself."})
    assert not Block.objects.exists()


def test_anonymous_gets_401_on_every_block_endpoint(other_user, api_client):
    assert api_client.post(f"/api/user/{other_user.id}/block/").status_code == 401
    assert api_client.delete(f"/api/user/{other_user.id}/block/").status_code == 401
    assert api_client.get("/api/user/blocked/").status_code == 401


def test_unblock_answers_204_also_when_not_blocked(user, other_user, auth_client):
    BlockFactory(blocker=user, blocked=other_user)
    assert auth_client.delete(f"/api/user/{other_user.id}/block/").status_code == 204
    assert auth_client.delete(f"/api/user/{other_user.id}/block/").status_code == 204
    assert not Block.objects.exists()
    assert auth_client.delete(f"/api/user/{UNKNOWN_ID}/block/").status_code == 404


def test_unblock_never_lifts_the_other_users_block(user, other_user, auth_client):
    BlockFactory(blocker=other_user, blocked=user)
    assert auth_client.delete(f"/api/user/{other_user.id}/block/").status_code == 204
    assert Block.objects.filter(blocker=other_user, blocked=user).exists()


def test_blocked_list_holds_only_the_users_you_blocked_newest_first(user, auth_client):
    first, second, blocker = UserFactory(), UserFactory(), UserFactory()
    BlockFactory(blocker=user, blocked=first)
    BlockFactory(blocker=user, blocked=second)
    BlockFactory(blocker=blocker, blocked=user)

    response = auth_client.get("/api/user/blocked/?limit=1")

    assert response.status_code == 200
    assert response["X-Total-Count"] == "2"
    assert response.json() == [{"id": second.id, "username": second.username}]
    page2 = auth_client.get("/api/user/blocked/?limit=1&offset=1").json()
    assert page2 == [{"id": first.id, "username": first.username}]


def test_blocked_list_query_count_does_not_grow(user, auth_client, django_assert_num_queries):
    BlockFactory(blocker=user)
    with django_assert_num_queries(1):  # the page with its total
        assert len(auth_client.get("/api/user/blocked/").json()) == 1
    for _ in range(4):
        BlockFactory(blocker=user)
    with django_assert_num_queries(1):
        assert len(auth_client.get("/api/user/blocked/").json()) == 5


# ------------------------------------------------------------------ what a block ends


def test_block_ends_the_friendship_and_only_the_other_user_hears_friend_removed(
    user, other_user, auth_client, events, django_capture_on_commit_callbacks
):
    FriendshipFactory(user_low=user, user_high=other_user)
    FriendRequestFactory(from_user=other_user, to_user=user, accepted=True)
    events.listen(user, other_user)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.post(f"/api/user/{other_user.id}/block/").status_code == 201

    assert not Friendship.objects.exists()
    assert not FriendRequest.objects.exists()
    assert events.of(other_user) == [("friend.removed", {"user_id": user.id})]
    assert events.of(user) == []


@pytest.mark.parametrize(
    ("blocker_sent", "event"),
    [(True, "friend_request.cancelled"), (False, "friend_request.declined")],
)
def test_block_ends_a_pending_request_as_a_cancel_or_decline(
    user, other_user, auth_client, events, django_capture_on_commit_callbacks, blocker_sent, event
):
    sender, recipient = (user, other_user) if blocker_sent else (other_user, user)
    fr = FriendRequestFactory(from_user=sender, to_user=recipient)
    events.listen(user, other_user)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.post(f"/api/user/{other_user.id}/block/").status_code == 201

    assert not FriendRequest.objects.exists()
    assert events.of(other_user) == [(event, {"request_id": fr.id})]
    assert events.of(user) == []


def test_unblocking_restores_visibility_but_never_the_friendship(user, other_user, auth_client):
    FriendshipFactory(user_low=user, user_high=other_user)
    auth_client.post(f"/api/user/{other_user.id}/block/")
    assert auth_client.get(f"/api/user/{other_user.id}/profile/").status_code == 404

    auth_client.delete(f"/api/user/{other_user.id}/block/")

    profile = auth_client.get(f"/api/user/{other_user.id}/profile/")
    assert profile.status_code == 200
    assert profile.json()["is_friend"] is None
    assert not Friendship.objects.exists()
    assert auth_client.post(f"/api/send-friend-request/{other_user.id}/").status_code == 201


# ------------------------------------------------------------------ indistinguishable from unknown


def _blocked_pair(direction):
    viewer, target = UserFactory(username="viewer"), UserFactory(username="target")
    if direction == "viewer_blocked":
        BlockFactory(blocker=viewer, blocked=target)
    else:
        BlockFactory(blocker=target, blocked=viewer)
    RatingFactory(user=target)
    FriendshipFactory(user_low=target, user_high=UserFactory())
    return viewer, target


@pytest.mark.parametrize("direction", ["viewer_blocked", "viewer_was_blocked"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/user/{id}/profile/"),
        ("get", "/api/user/{id}/friends/"),
        ("get", "/api/user/{id}/movies/rated/"),
        ("post", "/api/send-friend-request/{id}/"),
        ("delete", "/api/user/remove-friend/{id}/"),
    ],
)
def test_a_blocked_user_answers_exactly_like_an_unknown_id(direction, method, path):
    viewer, target = _blocked_pair(direction)
    client = client_for(viewer)

    blocked = getattr(client, method)(path.format(id=target.id))
    unknown = getattr(client, method)(path.format(id=UNKNOWN_ID))

    assert blocked.status_code == unknown.status_code == 404
    assert blocked.content == unknown.content
    assert sorted(blocked.headers.keys()) == sorted(unknown.headers.keys())
    assert not FriendRequest.objects.exists()


@pytest.mark.parametrize("direction", ["viewer_blocked", "viewer_was_blocked"])
def test_a_blocked_private_user_is_404_not_the_403_of_a_private_stranger(direction):
    viewer, target = _blocked_pair(direction)
    target.is_private = True
    target.save()
    stranger = UserFactory(is_private=True)
    client = client_for(viewer)
    assert client.get(f"/api/user/{stranger.id}/friends/").status_code == 403
    assert client.get(f"/api/user/{target.id}/friends/").status_code == 404


@pytest.mark.parametrize("direction", ["viewer_blocked", "viewer_was_blocked"])
def test_blocked_users_are_left_out_of_search_friend_lists_and_comments(direction):
    viewer, target = _blocked_pair(direction)
    mutual = UserFactory(username="mutual")
    FriendshipFactory(user_low=mutual, user_high=target)
    FriendshipFactory(user_low=mutual, user_high=viewer)
    movie = MovieFactory()
    CommentFactory(author=target, movie=movie, body="hidden")
    shown = CommentFactory(author=mutual, movie=movie, body="shown")
    client = client_for(viewer)

    search = client.get("/api/user/search/?username=target")
    assert (search.json(), search["X-Total-Count"]) == ([], "0")
    friends_of_mutual = client.get(f"/api/user/{mutual.id}/friends/")
    assert [u["username"] for u in friends_of_mutual.json()] == ["viewer"]
    comments = client.get(f"/api/movie/{movie.id}/comments/")
    assert [c["id"] for c in comments.json()] == [shown.id]
    assert comments["X-Total-Count"] == "1"
    # The target, reading the mutual friend's list, does not see the viewer either.
    target_view = client_for(target).get(f"/api/user/{mutual.id}/friends/")
    assert [u["username"] for u in target_view.json()] == ["target"]
