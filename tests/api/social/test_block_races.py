"""A block racing a friend request or an acceptance between the same pair (threads, one
connection each; on Postgres they really overlap). Whatever the order, the end state is the
block alone: no request, no friendship."""

import pytest

from social.models import Block, FriendRequest, Friendship
from tests.api.social.test_friend_request_races import client_for, run_parallel
from tests.factories import FriendRequestFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


def _only_the_block_is_left(alice, bob) -> None:
    assert list(Block.objects.values_list("blocker_id", "blocked_id")) == [(alice.id, bob.id)]
    assert not FriendRequest.objects.exists()
    assert not Friendship.objects.exists()


def test_a_block_racing_a_friend_request_leaves_no_request():
    for _ in range(ROUNDS):
        alice, bob = UserFactory(), UserFactory()
        block, send = run_parallel(
            [
                lambda a=alice, b=bob: client_for(a).post(f"/api/user/{b.id}/block/"),
                lambda a=alice, b=bob: client_for(b).post(f"/api/send-friend-request/{a.id}/"),
            ]
        )
        assert block.status_code == 201
        assert send.status_code in (201, 404)  # before the block (then ended by it), or after
        _only_the_block_is_left(alice, bob)
        Block.objects.all().delete()


def test_a_block_racing_an_acceptance_leaves_no_friendship():
    for _ in range(ROUNDS):
        alice, bob = UserFactory(), UserFactory()
        fr = FriendRequestFactory(from_user=alice, to_user=bob)
        block, accept = run_parallel(
            [
                lambda a=alice, b=bob: client_for(a).post(f"/api/user/{b.id}/block/"),
                lambda b=bob, f=fr: client_for(b).post(f"/api/friend-requests/update/{f.id}/"),
            ]
        )
        assert block.status_code == 201
        assert accept.status_code in (200, 404)
        _only_the_block_is_left(alice, bob)
        Block.objects.all().delete()
