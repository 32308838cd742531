"""Group picks' per-process memo (home/member_cache.py) is exact: whatever a member, the social
graph or the deployment changes shows in the very next answer, the same answer a process with
nothing memoised gives; and the body is what the documented serializer renders."""

from decimal import Decimal

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.serializers import UserSummaryOutputSerializer
from home import member_cache
from home.serializers import GroupPicksOutputSerializer
from mcbackend.renderers import ORJSONRenderer
from movies.models import Movie
from social.services import friendship_create
from tests.api.accounts.test_sessions import bearer, login
from tests.factories import FriendshipFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/recommendations/group/"
NOT_A_FRIEND = {"user_ids": ["Every id must be one of your friends."]}


@pytest.fixture(params=["forced", "token"])
def auth_client(request, user, password):
    """alice, each test twice: authenticated by the test client, and signed in with a real
    access token, whose authentication reads the group's stamps in its round trip."""
    if request.param == "forced":
        return _client(user)
    return bearer(login(APIClient(), password)[0])


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _group(client, ids, limit=10):
    return client.post(f"{URL}?limit={limit}", {"user_ids": ids}, format="json")


def _fresh(client, ids, limit=10):
    """The answer of a process that memoised nothing, with an empty shared cache."""
    member_cache.clear()
    cache.clear()
    return _group(client, ids, limit).json()


@pytest.fixture
def trio(planted, user):
    """alice and two friends with a taste each, all known to the model."""
    fan, other = UserFactory.create_batch(2)
    for friend in (fan, other):
        FriendshipFactory(user_low=user, user_high=friend)
    for movie in planted.action[:6]:
        RatingFactory(user=user, movie=movie, value=Decimal("5.0"))
    for movie in planted.action[6:12]:
        RatingFactory(user=fan, movie=movie, value=Decimal("4.5"))
    for movie in planted.romance[:6]:
        RatingFactory(user=other, movie=movie, value=Decimal("4.0"))
    return fan, other


def test_a_members_new_rating_changes_the_next_answer(
    tiny_model, trio, auth_client, django_capture_on_commit_callbacks
):
    fan, other = trio
    ids = [fan.id, other.id]
    before = _group(auth_client, ids, limit=50).json()
    assert _group(auth_client, ids, limit=50).json() == before  # served from the memo
    top = before["movies"][0]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        rated = _client(other).post(f"/api/movie/{top}/rate/", {"rating": 1}, format="json")
    assert rated.status_code in (200, 201)

    after = _group(auth_client, ids, limit=50).json()
    assert top not in {m["id"] for m in after["movies"]}
    assert after == _fresh(auth_client, ids, limit=50)


def test_a_re_rating_that_keeps_the_movie_out_still_moves_the_predictions(
    tiny_model, trio, planted, auth_client, django_capture_on_commit_callbacks
):
    # The member re-rates a movie they had rated: the candidates stay the same, only the
    # fold-in moves, so nothing but the stamp can tell that the memo is stale.
    fan, other = trio
    ids = [fan.id, other.id]
    before = _group(auth_client, ids).json()

    with django_capture_on_commit_callbacks(execute=True):
        for movie in planted.action[6:12]:
            _client(fan).post(f"/api/movie/{movie.id}/rate/", {"rating": 0.5}, format="json")

    after = _group(auth_client, ids).json()
    assert after != before
    assert after == _fresh(auth_client, ids)


def test_a_removed_friendship_refuses_the_next_group(tiny_model, trio, auth_client):
    fan, other = trio
    assert _group(auth_client, [fan.id, other.id]).status_code == 200

    assert auth_client.delete(f"/api/user/remove-friend/{other.id}/").status_code == 204

    response = _group(auth_client, [fan.id, other.id])
    assert response.status_code == 400
    assert response.json() == NOT_A_FRIEND
    assert _group(auth_client, [fan.id]).status_code == 200


def test_a_new_friendship_admits_the_next_group(tiny_model, trio, user, auth_client):
    fan, _ = trio
    stranger = UserFactory()
    assert _group(auth_client, [fan.id, stranger.id]).json() == NOT_A_FRIEND

    friendship_create(user_a=user, user_b=stranger)

    response = _group(auth_client, [fan.id, stranger.id])
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["members"]] == [user.id, fan.id, stranger.id]


def test_a_block_refuses_the_next_group(tiny_model, trio, user, auth_client):
    fan, other = trio
    assert _group(auth_client, [fan.id, other.id]).status_code == 200

    assert _client(other).post(f"/api/user/{user.id}/block/").status_code in (200, 201)

    assert _group(auth_client, [fan.id, other.id]).json() == NOT_A_FRIEND


def test_a_new_model_changes_the_next_answer(tiny_model, trio, train_model, auth_client):
    fan, other = trio
    ids = [fan.id, other.id]
    before = _group(auth_client, ids).json()

    train_model("--force", "--set=seed=11", "--set=dim=6")  # deployed: the next request uses it

    after = _group(auth_client, ids).json()
    assert after != before
    assert after == _fresh(auth_client, ids)


def test_a_renamed_member_shows_at_once(tiny_model, trio, auth_client):
    fan, other = trio
    _group(auth_client, [fan.id, other.id])

    renamed = _client(fan).patch("/api/user/update/", {"username": "fan2"}, format="json")
    assert renamed.status_code == 200

    members = _group(auth_client, [fan.id, other.id]).json()["members"]
    assert [m["username"] for m in members][1] == "fan2"


def test_your_own_new_name_shows_at_once(tiny_model, trio, auth_client):
    fan, other = trio
    _group(auth_client, [fan.id, other.id])

    assert (
        auth_client.patch("/api/user/update/", {"username": "al"}, format="json").status_code == 200
    )

    assert _group(auth_client, [fan.id, other.id]).json()["members"][0]["username"] == "al"


def test_a_repeat_group_costs_no_query(tiny_model, trio, auth_client, django_assert_num_queries):
    fan, other = trio
    first = _group(auth_client, [fan.id, other.id]).json()

    with django_assert_num_queries(0):
        assert _group(auth_client, [fan.id, other.id]).json() == first


def test_the_body_is_what_the_documented_serializer_renders(tiny_model, trio, user, auth_client):
    fan, other = trio
    response = _group(auth_client, [fan.id, other.id], limit=5)
    body = response.json()
    assert response["Content-Type"] == "application/json"
    assert len(body["movies"]) == 5

    movies = Movie.objects.in_bulk([m["id"] for m in body["movies"]])
    picks = []
    for shown in body["movies"]:
        movie = movies[shown["id"]]
        movie.score, movie.predicted = shown["score"], shown["predicted"]
        picks.append(movie)
    documented = GroupPicksOutputSerializer({"members": [user, fan, other], "movies": picks}).data
    assert UserSummaryOutputSerializer(user).data == body["members"][0]
    assert response.content == ORJSONRenderer().render(documented)
