import pytest
from django.db import transaction

from accounts.models import User
from social.models import FriendRequest
from social.services import friend_request_send
from tests.api.social.helpers import request_json
from tests.factories import FriendRequestFactory, FriendshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(user_id):
    return f"/api/send-friend-request/{user_id}/"


def test_user_can_send_a_request(auth_client, user, other_user):
    response = auth_client.post(url(other_user.id))

    assert response.status_code == 201
    fr = FriendRequest.objects.get()
    assert response.json() == {"message": "Friend request sent.", "request_id": fr.id}
    assert (fr.from_user, fr.to_user, fr.accepted) == (user, other_user, False)


def test_without_trailing_slash(auth_client, other_user):
    assert auth_client.post(f"/api/send-friend-request/{other_user.id}").status_code == 201


def test_anonymous_gets_401(api_client, other_user):
    assert api_client.post(url(other_user.id)).status_code == 401
    assert not FriendRequest.objects.exists()


def test_request_to_yourself_is_400(auth_client, user):
    response = auth_client.post(url(user.id))

    assert response.status_code == 400
    assert response.json() == {"message": "You cannot send a friend request to yourself."}
    assert not FriendRequest.objects.exists()


@pytest.mark.parametrize("user_id", [999_999, 2**63, 10**30])
def test_unknown_user_is_404(auth_client, user_id):
    response = auth_client.post(url(user_id))

    assert response.status_code == 404
    assert response.json() == {"message": "User not found"}


def test_non_numeric_id_is_404(auth_client):
    assert auth_client.post("/api/send-friend-request/abc/").status_code == 404


def test_sending_twice_is_409(auth_client, user, other_user):
    first = FriendRequestFactory(from_user=user, to_user=other_user)

    response = auth_client.post(url(other_user.id))

    assert response.status_code == 409
    assert response.json() == {"message": "Friend request already sent."}
    assert list(FriendRequest.objects.all()) == [first]


def test_already_friends_is_409(auth_client, user, other_user):
    FriendshipFactory(user_low=other_user, user_high=user)

    response = auth_client.post(url(other_user.id))

    assert response.status_code == 409
    assert response.json() == {"message": "You are already friends."}
    assert not FriendRequest.objects.exists()


def test_friends_through_an_accepted_request_is_409(make_auth_client, user, other_user):
    request_id = make_auth_client(user).post(url(other_user.id)).json()["request_id"]
    make_auth_client(other_user).post(f"/api/friend-requests/update/{request_id}/")

    for sender, recipient in [(user, other_user), (other_user, user)]:
        response = make_auth_client(sender).post(url(recipient.id))
        assert response.status_code == 409
        assert response.json() == {"message": "You are already friends."}


def test_when_the_other_user_already_asked_409_names_their_request(auth_client, user, other_user):
    incoming = FriendRequestFactory(from_user=other_user, to_user=user)

    response = auth_client.post(url(other_user.id))

    assert response.status_code == 409
    assert response.json() == {
        "message": "This user has already sent you a friend request.",
        "incoming_request_id": incoming.id,
    }
    assert list(FriendRequest.objects.all()) == [incoming]


def test_private_users_can_be_asked(auth_client, user):
    private = UserFactory(is_private=True)
    assert auth_client.post(url(private.id)).status_code == 201


def test_imported_movielens_user_can_be_asked(auth_client):
    imported = User.objects.create(username="ml_42", movielens_id=42)
    imported.set_unusable_password()
    imported.save()
    assert auth_client.post(url(imported.id)).status_code == 201


def test_recipient_is_notified_and_nobody_else(
    auth_client, user, other_user, events, django_capture_on_commit_callbacks
):
    bystander = UserFactory()
    events.listen(user, other_user, bystander)

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(url(other_user.id))

    assert response.status_code == 201
    fr = FriendRequest.objects.get()
    assert events.of(other_user) == [
        ("friend_request.received", {"request": request_json(fr)}),
    ]
    assert events.of(user) == []
    assert events.of(bystander) == []


def test_refused_send_publishes_nothing(
    auth_client, user, other_user, events, django_capture_on_commit_callbacks
):
    FriendRequestFactory(from_user=user, to_user=other_user)
    events.listen(user, other_user)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.post(url(other_user.id)).status_code == 409

    assert events.of(other_user) == []
    assert events.of(user) == []


def test_rolled_back_send_publishes_nothing(
    user, other_user, events, django_capture_on_commit_callbacks
):
    events.listen(user, other_user)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                friend_request_send(from_user=user, to_user=other_user)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    assert callbacks == []
    assert not FriendRequest.objects.exists()
    assert events.of(other_user) == []
