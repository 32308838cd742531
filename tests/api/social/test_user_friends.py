import pytest

from tests.factories import FriendshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(user_id):
    return f"/api/user/{user_id}/friends/"


def make_friends(user, *names):
    return [FriendshipFactory(user_low=user, user_high=UserFactory(username=n)) for n in names]


def test_public_users_friends_are_listed_to_anyone(auth_client):
    carol = UserFactory(username="carol")
    make_friends(carol, "zed", "Amy")

    response = auth_client.get(url(carol.id))

    assert response.status_code == 200
    body = response.json()
    assert [f["username"] for f in body] == ["Amy", "zed"]
    assert set(body[0]) == {"id", "username"}
    assert response["X-Total-Count"] == "2"


def test_without_trailing_slash(auth_client):
    carol = UserFactory()
    assert auth_client.get(f"/api/user/{carol.id}/friends").status_code == 200


def test_private_users_friends_are_hidden_from_strangers(auth_client):
    dana = UserFactory(is_private=True)
    make_friends(dana, "x")

    response = auth_client.get(url(dana.id))

    assert response.status_code == 403
    assert response.json() == {"message": "This user's friends are private"}


def test_private_users_friends_are_visible_to_friends(auth_client, user):
    dana = UserFactory(is_private=True)
    make_friends(dana, "x")
    FriendshipFactory(user_low=dana, user_high=user)

    response = auth_client.get(url(dana.id))

    assert response.status_code == 200
    assert [f["username"] for f in response.json()] == ["alice", "x"]


def test_private_user_sees_their_own_friends(make_auth_client):
    dana = UserFactory(is_private=True)
    make_friends(dana, "x")

    response = make_auth_client(dana).get(url(dana.id))

    assert response.status_code == 200
    assert [f["username"] for f in response.json()] == ["x"]


def test_a_pending_request_does_not_make_a_private_user_visible(make_auth_client, user):
    dana = UserFactory(is_private=True)
    client = make_auth_client(user)
    client.post(f"/api/send-friend-request/{dana.id}/")

    assert client.get(url(dana.id)).status_code == 403


def test_anonymous_gets_401(api_client):
    assert api_client.get(url(UserFactory().id)).status_code == 401


@pytest.mark.parametrize("user_id", [999_999, 10**30])
def test_unknown_user_is_404(auth_client, user_id):
    response = auth_client.get(url(user_id))

    assert response.status_code == 404
    assert response.json() == {"message": "User not found"}


def test_paginated(auth_client):
    carol = UserFactory()
    make_friends(carol, "a", "b", "c")

    response = auth_client.get(url(carol.id) + "?limit=1&offset=2")

    assert [f["username"] for f in response.json()] == ["c"]
    assert response["X-Total-Count"] == "3"


def test_query_count_does_not_grow_with_rows(auth_client, user, django_assert_num_queries):
    dana = UserFactory(is_private=True)
    FriendshipFactory(user_low=dana, user_high=user)
    # user lookup + visibility check + the page with its total
    with django_assert_num_queries(3):
        assert len(auth_client.get(url(dana.id)).json()) == 1
    make_friends(dana, "a", "b", "c", "d")
    with django_assert_num_queries(3):
        assert len(auth_client.get(url(dana.id)).json()) == 5
