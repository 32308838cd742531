"""GET /api/friends/, /api/friend-requests/incoming/ and /outgoing/."""

import pytest

from tests.api.social.helpers import request_json
from tests.factories import FriendRequestFactory, FriendshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_friends_lists_user_summaries_alphabetically(auth_client, user):
    for name in ["carol", "Bob", "dave"]:
        FriendshipFactory(user_low=user, user_high=UserFactory(username=name))
    FriendshipFactory()  # other people's friendship
    FriendRequestFactory(from_user=user)  # pending: not a friend yet

    response = auth_client.get("/api/friends/")

    assert response.status_code == 200
    assert [f["username"] for f in response.json()] == ["Bob", "carol", "dave"]
    assert set(response.json()[0]) == {"id", "username"}
    assert response["X-Total-Count"] == "3"


def test_friends_are_paginated(auth_client, user):
    for i in range(5):
        FriendshipFactory(user_low=user, user_high=UserFactory(username=f"f{i}"))

    response = auth_client.get("/api/friends/?limit=2&offset=1")

    assert [f["username"] for f in response.json()] == ["f1", "f2"]
    assert response["X-Total-Count"] == "5"


@pytest.mark.parametrize(
    "path", ["/api/friends/", "/api/friend-requests/incoming/", "/api/friend-requests/outgoing/"]
)
def test_bad_limit_is_400(auth_client, path):
    response = auth_client.get(f"{path}?limit=abc")
    assert response.status_code == 400
    assert "limit" in response.json()


@pytest.mark.parametrize(
    "path", ["/api/friends", "/api/friend-requests/incoming", "/api/friend-requests/outgoing"]
)
def test_without_trailing_slash(auth_client, path):
    assert auth_client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/api/friends/", "/api/friend-requests/incoming/", "/api/friend-requests/outgoing/"]
)
def test_anonymous_gets_401(api_client, path):
    assert api_client.get(path).status_code == 401


def test_incoming_lists_pending_requests_to_me_newest_first(auth_client, user):
    older = FriendRequestFactory(to_user=user)
    newer = FriendRequestFactory(to_user=user)
    accepted = FriendRequestFactory(to_user=user, accepted=True)
    FriendRequestFactory(from_user=user)  # outgoing
    FriendRequestFactory()  # someone else's

    response = auth_client.get("/api/friend-requests/incoming/")

    assert response.status_code == 200
    assert response.json() == [request_json(newer), request_json(older)]
    assert accepted.id not in [r["id"] for r in response.json()]
    assert response["X-Total-Count"] == "2"


def test_outgoing_lists_my_pending_requests(auth_client, user, other_user):
    mine = FriendRequestFactory(from_user=user, to_user=other_user)
    FriendRequestFactory(from_user=user, accepted=True)
    FriendRequestFactory(to_user=user)  # incoming

    response = auth_client.get("/api/friend-requests/outgoing/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": mine.id,
            "from_user": "alice",
            "to_user": "bob",
            "created_at": request_json(mine)["created_at"],
            "accepted": False,
        }
    ]
    assert response["X-Total-Count"] == "1"


@pytest.mark.parametrize(
    ("path", "make"),
    [
        ("/api/friends/", lambda u: FriendshipFactory(user_low=u, user_high=UserFactory())),
        ("/api/friend-requests/incoming/", lambda u: FriendRequestFactory(to_user=u)),
        ("/api/friend-requests/outgoing/", lambda u: FriendRequestFactory(from_user=u)),
    ],
)
def test_query_count_does_not_grow_with_rows(
    auth_client, user, django_assert_num_queries, path, make
):
    make(user)
    with django_assert_num_queries(1):  # the page with its total (COUNT(*) OVER ())
        assert len(auth_client.get(path).json()) == 1
    for _ in range(4):
        make(user)
    with django_assert_num_queries(1):
        assert len(auth_client.get(path).json()) == 5
