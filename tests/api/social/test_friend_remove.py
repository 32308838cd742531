import pytest

from social.models import FriendRequest, Friendship
from tests.factories import FriendRequestFactory, FriendshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(friend_id):
    return f"/api/user/remove-friend/{friend_id}/"


@pytest.fixture
def friends(make_auth_client, user, other_user):
    """alice and bob became friends the ordinary way (bob asked, alice accepted)."""
    request_id = make_auth_client(other_user).post(f"/api/send-friend-request/{user.id}/")
    make_auth_client(user).post(f"/api/friend-requests/update/{request_id.json()['request_id']}/")
    return Friendship.objects.get()


def test_user_can_remove_a_friend(auth_client, other_user, friends):
    response = auth_client.delete(url(other_user.id))

    assert response.status_code == 204
    assert not Friendship.objects.exists()
    assert not FriendRequest.objects.exists()
    assert auth_client.get("/api/friends/").json() == []


def test_without_trailing_slash(auth_client, other_user, friends):
    assert auth_client.delete(f"/api/user/remove-friend/{other_user.id}").status_code == 204


@pytest.mark.parametrize("remover", ["alice", "bob"])
def test_after_removal_either_can_ask_again(make_auth_client, user, other_user, friends, remover):
    by, other = (user, other_user) if remover == "alice" else (other_user, user)
    make_auth_client(by).delete(url(other.id))

    response = make_auth_client(other).post(f"/api/send-friend-request/{by.id}/")

    assert response.status_code == 201
    assert FriendRequest.objects.get().accepted is False


def test_anonymous_gets_401(api_client, other_user, friends):
    assert api_client.delete(url(other_user.id)).status_code == 401
    assert Friendship.objects.exists()


def test_not_friends_is_404(auth_client, other_user):
    response = auth_client.delete(url(other_user.id))

    assert response.status_code == 404
    assert response.json() == {"message": "Friend not found"}


def test_pending_request_is_not_a_friendship(auth_client, user, other_user):
    FriendRequestFactory(from_user=user, to_user=other_user)

    assert auth_client.delete(url(other_user.id)).status_code == 404
    assert FriendRequest.objects.count() == 1


def test_third_user_cannot_remove_someone_elses_friendship(make_auth_client, other_user, friends):
    stranger = UserFactory()

    assert make_auth_client(stranger).delete(url(other_user.id)).status_code == 404
    assert Friendship.objects.exists()


@pytest.mark.parametrize("friend_id", [999_999, 10**30])
def test_unknown_user_is_404(auth_client, friend_id):
    assert auth_client.delete(url(friend_id)).status_code == 404


def test_yourself_is_404(auth_client, user):
    assert auth_client.delete(url(user.id)).status_code == 404


def test_the_request_id_is_not_the_friend_id(auth_client, user):
    """API.md: the path takes the friend's *user* id."""
    friend = UserFactory()
    friendship = FriendshipFactory(user_low=user, user_high=friend)
    other_id = friendship.id if friendship.id != friend.id else friend.id + 1000

    assert auth_client.delete(url(other_id)).status_code == 404
    assert auth_client.delete(url(friend.id)).status_code == 204


def test_the_other_user_is_told_and_nobody_else(
    auth_client, user, other_user, friends, events, django_capture_on_commit_callbacks
):
    bystander = UserFactory()
    events.listen(user, other_user, bystander)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(url(other_user.id)).status_code == 204

    assert events.of(other_user) == [("friend.removed", {"user_id": user.id})]
    assert events.of(user) == []
    assert events.of(bystander) == []


def test_deleting_an_account_removes_its_requests_and_friendships(
    make_auth_client, user, other_user, friends
):
    third = UserFactory()
    FriendRequestFactory(from_user=user, to_user=third)
    FriendRequestFactory(from_user=UserFactory(), to_user=user)
    FriendshipFactory(user_low=third, user_high=other_user)

    assert make_auth_client(user).delete("/api/user/delete/").status_code == 204

    assert not FriendRequest.objects.filter(from_user_id=user.id).exists()
    assert not FriendRequest.objects.filter(to_user_id=user.id).exists()
    assert Friendship.objects.count() == 1  # bob and the third user stay friends
    assert make_auth_client(other_user).get("/api/friends/").json() == [
        {"id": third.id, "username": third.username}
    ]
