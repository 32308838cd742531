"""Deleting an account tells each of its friends (`friend.removed`), as unfriending does."""

import pytest

from realtime.models import Notification
from tests.factories import FriendRequestFactory, FriendshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_friend_hears_friend_removed_and_nobody_else(
    user, auth_client, layer_listener, django_capture_on_commit_callbacks
):
    user_id = user.id  # the deleted instance loses its pk
    friends = [UserFactory(), UserFactory()]
    stranger = UserFactory()
    for friend in friends:
        FriendshipFactory(user_low=user, user_high=friend)
        FriendRequestFactory(from_user=user, to_user=friend, accepted=True)
    for u in (*friends, stranger):
        layer_listener.join(f"user.{u.id}")

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete("/api/user/delete/").status_code == 204

    for friend in friends:
        messages = layer_listener.drain(f"user.{friend.id}")
        assert [(m["event"], m["data"]) for m in messages] == [
            ("friend.removed", {"user_id": user_id})
        ]
        # Also in the friend's backlog, so a tab that was offline gets it on resume.
        assert list(Notification.objects.filter(user=friend).values_list("type", flat=True)) == [
            "friend.removed"
        ]
    assert layer_listener.drain(f"user.{stranger.id}") == []
