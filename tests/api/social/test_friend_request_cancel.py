import pytest

from social.models import FriendRequest
from tests.factories import FriendRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(request_id):
    return f"/api/friend-requests/cancel/{request_id}/"


@pytest.fixture
def mine(user, other_user):
    """alice asked bob."""
    return FriendRequestFactory(from_user=user, to_user=other_user)


def test_sender_can_cancel(auth_client, mine):
    response = auth_client.delete(url(mine.id))

    assert response.status_code == 204
    assert not FriendRequest.objects.exists()


def test_without_trailing_slash(auth_client, mine):
    assert auth_client.delete(f"/api/friend-requests/cancel/{mine.id}").status_code == 204


def test_after_cancelling_either_can_ask_again(make_auth_client, user, other_user, mine):
    make_auth_client(user).delete(url(mine.id))

    assert (
        make_auth_client(other_user).post(f"/api/send-friend-request/{user.id}/").status_code == 201
    )


def test_anonymous_gets_401(api_client, mine):
    assert api_client.delete(url(mine.id)).status_code == 401
    assert FriendRequest.objects.filter(pk=mine.pk).exists()


def test_recipient_cannot_cancel(make_auth_client, other_user, mine):
    response = make_auth_client(other_user).delete(url(mine.id))

    assert response.status_code == 404
    assert response.json() == {"message": "Friend request not found"}
    assert FriendRequest.objects.filter(pk=mine.pk).exists()


def test_stranger_gets_404(make_auth_client, mine):
    assert make_auth_client(UserFactory()).delete(url(mine.id)).status_code == 404
    assert FriendRequest.objects.filter(pk=mine.pk).exists()


def test_unknown_request_is_404(auth_client):
    assert auth_client.delete(url(999_999)).status_code == 404


def test_accepted_request_cannot_be_cancelled(make_auth_client, user, other_user, mine):
    make_auth_client(other_user).post(f"/api/friend-requests/update/{mine.id}/")

    assert make_auth_client(user).delete(url(mine.id)).status_code == 404
    assert FriendRequest.objects.filter(pk=mine.pk, accepted=True).exists()


def test_post_is_not_allowed(auth_client, mine):
    assert auth_client.post(url(mine.id)).status_code == 405


def test_recipient_is_told_and_nobody_else(
    auth_client, user, other_user, mine, events, django_capture_on_commit_callbacks
):
    bystander = UserFactory()
    events.listen(user, other_user, bystander)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(url(mine.id)).status_code == 204

    assert events.of(other_user) == [("friend_request.cancelled", {"request_id": mine.id})]
    assert events.of(user) == []
    assert events.of(bystander) == []
