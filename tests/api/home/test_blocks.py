"""Blocks on the home page (API.md part two "Blocking"): neither of a blocked pair appears in
the other's `friends` row or group picks, whoever blocked whom, through HTTP."""

from decimal import Decimal

import pytest

from tests.factories import BlockFactory, FriendshipFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

ROWS = "/api/user/movies/lists/"
GROUP = "/api/recommendations/group/"
NOT_A_FRIEND = {"user_ids": ["Every id must be one of your friends."]}


def _friends_row_ids(client):
    response = client.get(ROWS)
    assert response.status_code == 200
    row = next((r for r in response.json() if r["key"] == "friends"), None)
    return [] if row is None else [m["id"] for m in row["movies"]]


def _group(client, ids):
    return client.post(GROUP, {"user_ids": ids}, format="json")


@pytest.fixture
def pair(planted, user, make_auth_client):
    """alice and her friend bob, who loves a movie alice has not rated; alice's rows cached."""
    bob = UserFactory(username="bob")
    FriendshipFactory(user_low=user, user_high=bob)
    RatingFactory(user=bob, movie=planted.romance[0], value=Decimal("5.0"))
    return bob, make_auth_client(bob), planted.romance[0]


@pytest.mark.parametrize("who_blocks", ["alice", "bob"])
def test_a_block_either_way_takes_the_friend_out_of_the_row_and_the_group(
    model_dir, pair, auth_client, user, django_capture_on_commit_callbacks, who_blocks
):
    bob, bob_client, loved = pair
    assert _friends_row_ids(auth_client) == [loved.id]  # computed and cached before the block
    assert _group(auth_client, [bob.id]).status_code == 200

    blocker, target = (auth_client, bob) if who_blocks == "alice" else (bob_client, user)
    with django_capture_on_commit_callbacks(execute=True):
        assert blocker.post(f"/api/user/{target.id}/block/").status_code == 201

    assert _friends_row_ids(auth_client) == []
    assert _friends_row_ids(bob_client) == []
    assert _group(auth_client, [bob.id]).json() == NOT_A_FRIEND
    assert _group(bob_client, [user.id]).json() == NOT_A_FRIEND


def test_unblocking_restores_no_friend_to_the_row_or_the_group(
    model_dir, pair, auth_client, django_capture_on_commit_callbacks
):
    bob, _, _ = pair
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/user/{bob.id}/block/")
        assert auth_client.delete(f"/api/user/{bob.id}/block/").status_code == 204

    assert _friends_row_ids(auth_client) == []
    assert _group(auth_client, [bob.id]).json() == NOT_A_FRIEND


@pytest.mark.parametrize("who_blocks", ["alice", "bob"])
def test_a_friendship_row_beside_a_block_still_hides_the_pair(
    model_dir, pair, auth_client, user, who_blocks
):
    # However a friendship row came to outlive a block, the block wins on both endpoints.
    bob, _, _ = pair
    carol = UserFactory()
    FriendshipFactory(user_low=user, user_high=carol)
    RatingFactory(user=carol, movie=pair[2], value=Decimal("4.0"))
    blocker, blocked = (user, bob) if who_blocks == "alice" else (bob, user)
    BlockFactory(blocker=blocker, blocked=blocked)

    response = auth_client.get(ROWS)
    row = next(r for r in response.json() if r["key"] == "friends")
    assert row["movies"][0]["reason"]["count"] == 1
    assert [f["id"] for f in row["movies"][0]["reason"]["friends"]] == [carol.id]
    assert _group(auth_client, [bob.id]).json() == NOT_A_FRIEND
    assert _group(auth_client, [carol.id, bob.id]).json() == NOT_A_FRIEND
    assert _group(auth_client, [carol.id]).status_code == 200
