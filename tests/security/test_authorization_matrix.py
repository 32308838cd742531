"""OWASP API1: every endpoint that takes an id, called by each kind of actor, answers exactly.

Actors: the owner of the object, a friend of the owner, another (unrelated) user, a user alice
blocked (`blocked`), a user who blocked alice (`blocker`), anonymous. Objects belong to alice
(private profile, so visibility matters); `friend` is her friend. A blocked pair sees each other
as unknown ids (API.md part two): every cell that names alice answers them 404.
"""

import pytest
from rest_framework.test import APIClient

from movies.models import Comment, Rating, WatchlistItem
from social.models import FriendRequest, Friendship
from tests.factories import (
    BlockFactory,
    CommentFactory,
    FriendRequestFactory,
    FriendshipFactory,
    MovieFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    alice = UserFactory(username="alice", is_private=True)
    friend = UserFactory(username="fred")
    other = UserFactory(username="olga")
    asker = UserFactory(username="ann")
    blocked = UserFactory(username="bert")
    blocker = UserFactory(username="bella")
    movie = MovieFactory()
    FriendshipFactory(user_low=alice, user_high=friend)
    BlockFactory(blocker=alice, blocked=blocked)
    BlockFactory(blocker=blocker, blocked=alice)
    return {
        "users": {
            "owner": alice,
            "friend": friend,
            "other": other,
            "blocked": blocked,
            "blocker": blocker,
        },
        "alice": alice,
        "friend": friend,
        "asker": asker,
        "movie": movie,
        "comment": CommentFactory(author=alice, movie=movie),
        "incoming": FriendRequestFactory(from_user=asker, to_user=alice),
        "outgoing": FriendRequestFactory(from_user=alice, to_user=other),
    }


def client_for(world, actor):
    client = APIClient()
    if actor != "anonymous":
        client.force_authenticate(world["users"][actor])
    return client


# (method, path template, body, {actor: expected status})
MATRIX = [
    (
        "delete",
        "/api/movie/{movie}/comment/?comment_id={comment}",
        None,
        {
            "owner": 204,
            "friend": 404,
            "other": 404,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "post",
        "/api/movie/{movie}/rate/",
        {"rating": 4},
        {
            "owner": 201,
            "friend": 201,
            "other": 201,
            "blocked": 201,
            "blocker": 201,
            "anonymous": 401,
        },
    ),
    (
        "post",
        "/api/movie/{movie}/watch/",
        None,
        {
            "owner": 201,
            "friend": 201,
            "other": 201,
            "blocked": 201,
            "blocker": 201,
            "anonymous": 401,
        },
    ),
    (
        "delete",
        "/api/movie/{movie}/watch/",
        None,
        {
            "owner": 204,
            "friend": 204,
            "other": 204,
            "blocked": 204,
            "blocker": 204,
            "anonymous": 401,
        },
    ),
    (
        "post",
        "/api/friend-requests/update/{incoming}/",
        None,
        {
            "owner": 200,
            "friend": 404,
            "other": 404,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "delete",
        "/api/friend-requests/update/{incoming}/",
        None,
        {
            "owner": 204,
            "friend": 404,
            "other": 404,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "delete",
        "/api/friend-requests/cancel/{outgoing}/",
        None,
        {
            "owner": 204,
            "friend": 404,
            "other": 404,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "delete",
        "/api/user/remove-friend/{friend}/",
        None,
        {
            "owner": 204,
            "friend": 404,
            "other": 404,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "post",
        "/api/send-friend-request/{alice}/",
        None,
        {
            "owner": 400,
            "friend": 409,
            "other": 409,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "get",
        "/api/user/{alice}/profile/",
        None,
        {
            "owner": 200,
            "friend": 200,
            "other": 200,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "get",
        "/api/user/{alice}/friends/",
        None,
        {
            "owner": 200,
            "friend": 200,
            "other": 403,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
    (
        "get",
        "/api/user/{alice}/movies/rated/",
        None,
        {
            "owner": 200,
            "friend": 200,
            "other": 403,
            "blocked": 404,
            "blocker": 404,
            "anonymous": 401,
        },
    ),
]
CELLS = [
    pytest.param(method, path, body, actor, status, id=f"{method} {path} as {actor}")
    for method, path, body, expected in MATRIX
    for actor, status in expected.items()
]


def _ids(world):
    return {
        "movie": world["movie"].pk,
        "comment": world["comment"].pk,
        "incoming": world["incoming"].pk,
        "outgoing": world["outgoing"].pk,
        "friend": world["friend"].pk,
        "alice": world["alice"].pk,
    }


@pytest.mark.parametrize(("method", "path", "body", "actor", "status"), CELLS)
def test_each_actor_gets_exactly_its_status(world, method, path, body, actor, status):
    url = path.format(**_ids(world))
    response = getattr(client_for(world, actor), method)(url, body, format="json")
    assert response.status_code == status, response.content
    # Nothing of alice's changed unless alice herself acted.
    if actor != "owner":
        assert Comment.objects.filter(pk=world["comment"].pk).exists()
        assert FriendRequest.objects.filter(pk=world["incoming"].pk).exists()
        assert FriendRequest.objects.filter(pk=world["outgoing"].pk).exists()
        assert Friendship.objects.filter(user_low__in=[world["alice"], world["friend"]]).exists()


def test_rating_and_watchlist_only_touch_the_callers_rows(world):
    client_for(world, "other").post(f"/api/movie/{world['movie'].pk}/rate/", {"rating": 2})
    client_for(world, "other").post(f"/api/movie/{world['movie'].pk}/watch/")
    assert list(Rating.objects.values_list("user__username", flat=True)) == ["olga"]
    assert list(WatchlistItem.objects.values_list("user__username", flat=True)) == ["olga"]


# ------------------------------------------------------------------ mass assignment


def test_comment_author_and_timestamps_are_server_owned(world):
    client = client_for(world, "other")
    response = client.post(
        f"/api/movie/{world['movie'].pk}/comment/",
        {
            "body": "hi",
            "author": world["alice"].pk,
            "username": "alice",
            "id": 2_000_000_000,
            "timestamp": "2000-01-01T00:00:00Z",
            "created": "2000-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201
    comment = Comment.objects.get(pk=response.data["data"]["id"])
    assert comment.author == world["users"]["other"]
    assert comment.pk != 2_000_000_000
    assert comment.created.year != 2000


def test_rating_user_movie_and_aggregates_are_server_owned(world):
    other_movie = MovieFactory()
    response = client_for(world, "other").post(
        f"/api/movie/{world['movie'].pk}/rate/",
        {
            "rating": 3,
            "user": world["alice"].pk,
            "movie": other_movie.pk,
            "ratings_count": 1000,
            "ratings_sum": 5000,
            "id": 2_000_000_000,
        },
        format="json",
    )
    assert response.status_code == 201
    rating = Rating.objects.get()
    assert (rating.user, rating.movie) == (world["users"]["other"], world["movie"])
    world["movie"].refresh_from_db()
    assert (world["movie"].ratings_count, float(world["movie"].ratings_sum)) == (1, 3.0)
    other_movie.refresh_from_db()
    assert other_movie.ratings_count == 0


def test_profile_update_ignores_server_owned_fields(world):
    alice = world["alice"]
    response = client_for(world, "owner").patch(
        "/api/user/update/",
        {
            "bio": "new",
            "is_staff": True,
            "is_superuser": True,
            "auth_generation": 99,
            "id": 2_000_000_000,
            "date_joined": "2000-01-01T00:00:00Z",
            "movielens_id": 5,
        },
        format="json",
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.bio == "new"
    assert (alice.is_staff, alice.is_superuser, alice.auth_generation) == (False, False, 0)
    assert alice.pk != 2_000_000_000
    assert alice.movielens_id is None
    assert alice.date_joined.year != 2000


def test_signup_cannot_create_staff(api_client):
    response = api_client.post(
        "/api/user/signup/",
        {
            "username": "mallory",
            "email": "m@example.com",
            "password": "Corr3ct-Horse-Battery",
            "birth_date": "1990-01-01",
            "is_staff": True,
            "is_superuser": True,
            "auth_generation": 7,
        },
        format="json",
    )
    assert response.status_code == 201
    from accounts.models import User

    user = User.objects.get(username="mallory")
    assert (user.is_staff, user.is_superuser, user.auth_generation) == (False, False, 0)


def test_friend_request_accepted_flag_cannot_be_set_by_sender(world):
    response = client_for(world, "other").post(
        f"/api/send-friend-request/{world['friend'].pk}/",
        {"accepted": True, "from_user": world["alice"].pk},
        format="json",
    )
    assert response.status_code == 201
    fr = FriendRequest.objects.get(pk=response.data["request_id"])
    assert (fr.accepted, fr.from_user) == (False, world["users"]["other"])
    assert not Friendship.objects.filter(
        user_low__in=[world["users"]["other"], world["friend"]],
        user_high__in=[world["users"]["other"], world["friend"]],
    ).exists()
