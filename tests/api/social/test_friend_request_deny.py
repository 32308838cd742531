import pytest

from social.models import FriendRequest, Friendship
from tests.factories import FriendRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(request_id):
    return f"/api/friend-requests/update/{request_id}/"


@pytest.fixture
def pending(user, other_user):
    """bob asked alice."""
    return FriendRequestFactory(from_user=other_user, to_user=user)


def test_recipient_can_deny(auth_client, pending):
    response = auth_client.delete(url(pending.id))

    assert response.status_code == 204
    assert not FriendRequest.objects.exists()
    assert not Friendship.objects.exists()


def test_without_trailing_slash(auth_client, pending):
    assert auth_client.delete(f"/api/friend-requests/update/{pending.id}").status_code == 204


def test_after_a_denial_the_sender_can_ask_again(make_auth_client, user, other_user, pending):
    make_auth_client(user).delete(url(pending.id))

    response = make_auth_client(other_user).post(f"/api/send-friend-request/{user.id}/")

    assert response.status_code == 201


def test_anonymous_gets_401(api_client, pending):
    assert api_client.delete(url(pending.id)).status_code == 401
    assert FriendRequest.objects.filter(pk=pending.pk).exists()


def test_sender_cannot_deny(make_auth_client, other_user, pending):
    response = make_auth_client(other_user).delete(url(pending.id))

    assert response.status_code == 404
    assert response.json() == {"message": "Friend request not found"}
    assert FriendRequest.objects.filter(pk=pending.pk).exists()


def test_stranger_gets_404(make_auth_client, pending):
    assert make_auth_client(UserFactory()).delete(url(pending.id)).status_code == 404
    assert FriendRequest.objects.filter(pk=pending.pk).exists()


def test_unknown_request_is_404(auth_client):
    assert auth_client.delete(url(999_999)).status_code == 404


def test_accepted_request_cannot_be_denied(auth_client, pending):
    auth_client.post(url(pending.id))

    assert auth_client.delete(url(pending.id)).status_code == 404
    assert Friendship.objects.count() == 1


def test_sender_is_told_and_nobody_else(
    auth_client, user, other_user, pending, events, django_capture_on_commit_callbacks
):
    bystander = UserFactory()
    events.listen(user, other_user, bystander)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(url(pending.id)).status_code == 204

    assert events.of(other_user) == [("friend_request.declined", {"request_id": pending.id})]
    assert events.of(user) == []
    assert events.of(bystander) == []
