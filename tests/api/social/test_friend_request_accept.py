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


def test_recipient_can_accept(auth_client, user, other_user, pending):
    response = auth_client.post(url(pending.id))

    assert response.status_code == 200
    assert response.json() == {"message": "Friend request accepted."}
    friendship = Friendship.objects.get()
    low, high = sorted([user, other_user], key=lambda u: u.id)
    assert (friendship.user_low, friendship.user_high) == (low, high)
    pending.refresh_from_db()
    assert pending.accepted is True


def test_accepted_request_leaves_the_pending_lists(make_auth_client, user, other_user, pending):
    make_auth_client(user).post(url(pending.id))

    assert make_auth_client(user).get("/api/friend-requests/incoming/").json() == []
    assert make_auth_client(other_user).get("/api/friend-requests/outgoing/").json() == []
    assert make_auth_client(user).get("/api/friends/").json() == [
        {"id": other_user.id, "username": "bob"}
    ]
    assert make_auth_client(other_user).get("/api/friends/").json() == [
        {"id": user.id, "username": "alice"}
    ]


def test_without_trailing_slash(auth_client, pending):
    assert auth_client.post(f"/api/friend-requests/update/{pending.id}").status_code == 200


def test_anonymous_gets_401(api_client, pending):
    assert api_client.post(url(pending.id)).status_code == 401
    assert not Friendship.objects.exists()


def test_sender_cannot_accept_their_own_request(make_auth_client, other_user, pending):
    response = make_auth_client(other_user).post(url(pending.id))

    assert response.status_code == 404
    assert response.json() == {"message": "Friend request not found"}
    assert not Friendship.objects.exists()


def test_stranger_gets_404(make_auth_client, pending):
    response = make_auth_client(UserFactory()).post(url(pending.id))

    assert response.status_code == 404
    assert not Friendship.objects.exists()
    pending.refresh_from_db()
    assert pending.accepted is False


@pytest.mark.parametrize("request_id", [999_999, 2**63, 10**30])
def test_unknown_request_is_404(auth_client, request_id):
    assert auth_client.post(url(request_id)).status_code == 404


def test_accepting_twice_is_404_and_keeps_one_friendship(auth_client, pending):
    assert auth_client.post(url(pending.id)).status_code == 200

    response = auth_client.post(url(pending.id))

    assert response.status_code == 404
    assert Friendship.objects.count() == 1


def test_sender_is_notified_and_nobody_else(
    auth_client, user, other_user, pending, events, django_capture_on_commit_callbacks
):
    bystander = UserFactory()
    events.listen(user, other_user, bystander)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.post(url(pending.id)).status_code == 200

    assert events.of(other_user) == [
        (
            "friend_request.accepted",
            {"request_id": pending.id, "friend": {"id": user.id, "username": "alice"}},
        )
    ]
    assert events.of(user) == []
    assert events.of(bystander) == []


def test_refused_accept_publishes_nothing(
    make_auth_client, user, other_user, pending, events, django_capture_on_commit_callbacks
):
    events.listen(user, other_user)

    with django_capture_on_commit_callbacks(execute=True):
        assert make_auth_client(other_user).post(url(pending.id)).status_code == 404

    assert events.of(user) == []
    assert events.of(other_user) == []
    assert FriendRequest.objects.filter(accepted=False).count() == 1
