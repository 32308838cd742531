import pytest

from tests.factories import FriendRequestFactory, FriendshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(user_id):
    return f"/api/user/{user_id}/profile/"


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", bio="Loves noir", is_private=False)


def test_stranger_sees_a_public_profile(auth_client, carol):
    response = auth_client.get(url(carol.id))

    assert response.status_code == 200
    assert response.json() == {
        "id": carol.id,
        "username": "carol",
        "bio": "Loves noir",
        "is_private": False,
        "is_friend": None,
        "is_outgoing": None,
        "is_incoming": None,
    }


def test_without_trailing_slash(auth_client, carol):
    assert auth_client.get(f"/api/user/{carol.id}/profile").status_code == 200


def test_friend_sees_the_friendship_id(auth_client, user, carol):
    friendship = FriendshipFactory(user_low=carol, user_high=user)

    body = auth_client.get(url(carol.id)).json()

    assert (body["is_friend"], body["is_outgoing"], body["is_incoming"]) == (
        friendship.id,
        None,
        None,
    )


def test_outgoing_request_id(auth_client, user, carol):
    fr = FriendRequestFactory(from_user=user, to_user=carol)

    body = auth_client.get(url(carol.id)).json()

    assert (body["is_friend"], body["is_outgoing"], body["is_incoming"]) == (None, fr.id, None)


def test_incoming_request_id(auth_client, user, carol):
    fr = FriendRequestFactory(from_user=carol, to_user=user)

    body = auth_client.get(url(carol.id)).json()

    assert (body["is_friend"], body["is_outgoing"], body["is_incoming"]) == (None, None, fr.id)


def test_relations_follow_the_request_lifecycle(make_auth_client, user, carol):
    alice, carol_client = make_auth_client(user), make_auth_client(carol)
    request_id = alice.post(f"/api/send-friend-request/{carol.id}/").json()["request_id"]
    assert carol_client.get(url(user.id)).json()["is_incoming"] == request_id

    carol_client.post(f"/api/friend-requests/update/{request_id}/")
    seen_by_alice = alice.get(url(carol.id)).json()
    seen_by_carol = carol_client.get(url(user.id)).json()
    assert seen_by_alice["is_friend"] == seen_by_carol["is_friend"] is not None
    assert (seen_by_alice["is_outgoing"], seen_by_carol["is_incoming"]) == (None, None)

    alice.delete(f"/api/user/remove-friend/{carol.id}/")
    assert alice.get(url(carol.id)).json()["is_friend"] is None


def test_other_peoples_relations_do_not_show(auth_client, carol):
    FriendshipFactory(user_low=carol, user_high=UserFactory())
    FriendRequestFactory(from_user=carol)
    FriendRequestFactory(to_user=carol)

    body = auth_client.get(url(carol.id)).json()

    assert (body["is_friend"], body["is_outgoing"], body["is_incoming"]) == (None, None, None)


def test_own_id_works_with_no_relations(auth_client, user):
    response = auth_client.get(url(user.id))

    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "username": "alice",
        "bio": "",
        "is_private": False,
        "is_friend": None,
        "is_outgoing": None,
        "is_incoming": None,
    }


def test_private_users_bio_is_hidden_from_strangers(make_auth_client, user):
    dana = UserFactory(username="dana", bio="secret", is_private=True)

    body = make_auth_client(user).get(url(dana.id)).json()

    assert body == {
        "id": dana.id,
        "username": "dana",
        "bio": "",
        "is_private": True,
        "is_friend": None,
        "is_outgoing": None,
        "is_incoming": None,
    }


def test_private_users_bio_is_shown_to_friends_and_themselves(make_auth_client, user):
    dana = UserFactory(username="dana", bio="secret", is_private=True)
    FriendshipFactory(user_low=user, user_high=dana)

    assert make_auth_client(user).get(url(dana.id)).json()["bio"] == "secret"
    assert make_auth_client(dana).get(url(dana.id)).json()["bio"] == "secret"


def test_anonymous_gets_401(api_client, carol):
    assert api_client.get(url(carol.id)).status_code == 401


@pytest.mark.parametrize("user_id", [999_999, 2**63, 10**30])
def test_unknown_user_is_404(auth_client, user_id):
    response = auth_client.get(url(user_id))

    assert response.status_code == 404
    assert response.json() == {"message": "User not found"}


def test_one_query(auth_client, user, carol, django_assert_num_queries):
    FriendRequestFactory(from_user=user, to_user=carol)
    with django_assert_num_queries(1):
        assert auth_client.get(url(carol.id)).status_code == 200
