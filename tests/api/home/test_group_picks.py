"""POST /api/recommendations/group/ (API.md part two, "Group picks"), through HTTP."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from movies.models import Rating
from tests.factories import FriendshipFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/recommendations/group/"
NOT_A_FRIEND = {"user_ids": ["Every id must be one of your friends."]}


def _post(client, body, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"{URL}?{query}" if query else URL, body, format="json")


def _befriend(user, n):
    friends = UserFactory.create_batch(n)
    for friend in friends:
        FriendshipFactory(user_low=user, user_high=friend)
    return friends


def _rate(user, movies, value):
    for movie in movies:
        RatingFactory(user=user, movie=movie, value=Decimal(value))


@pytest.fixture
def group(planted, user):
    """alice (6 action movies at 5) and two friends: an action fan and a cold starter."""
    _rate(user, planted.action[:6], "5.0")
    fan, newcomer = _befriend(user, 2)
    _rate(fan, planted.action[6:12], "4.5")
    _rate(newcomer, planted.romance[:1], "2.0")  # one rating: cold start
    return fan, newcomer


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user_ids": None},
        {"user_ids": []},
        {"user_ids": "1,2"},
        {"user_ids": {"id": 1}},
        {"user_ids": ["2"]},
        {"user_ids": [2.0]},
        {"user_ids": [True]},
        {"user_ids": [None]},
        {"user_ids": [[2]]},
    ],
)
def test_missing_empty_or_non_integer_lists_are_400(auth_client, user, body):
    _befriend(user, 2)

    response = _post(auth_client, body)

    assert response.status_code == 400
    assert list(response.json()) == ["user_ids"]


def test_more_than_seven_friends_is_400(auth_client, user):
    friends = _befriend(user, 8)

    response = _post(auth_client, {"user_ids": [f.id for f in friends]})

    assert response.status_code == 400
    assert response.json() == {"user_ids": ["At most 7 friends."]}


def test_own_and_repeated_ids_are_dropped_before_counting(model_dir, planted, auth_client, user):
    friends = _befriend(user, 7)
    ids = [user.id, *[f.id for f in friends], friends[0].id, user.id]

    response = _post(auth_client, {"user_ids": ids})

    assert response.status_code == 200
    assert [m["id"] for m in response.json()["members"]] == [user.id, *[f.id for f in friends]]


def test_only_your_own_id_names_no_friend(auth_client, user):
    response = _post(auth_client, {"user_ids": [user.id, user.id]})

    assert response.status_code == 400
    assert response.json() == {"user_ids": ["Name at least one friend."]}


def test_non_friends_and_unknown_ids_get_the_same_message(auth_client, user):
    (friend,) = _befriend(user, 1)
    stranger = UserFactory()
    pending = UserFactory()
    auth_client.post(f"/api/send-friend-request/{pending.id}/")

    answers = [
        _post(auth_client, {"user_ids": [friend.id, stranger.id]}),
        _post(auth_client, {"user_ids": [pending.id]}),
        _post(auth_client, {"user_ids": [friend.id, 987654321]}),
        _post(auth_client, {"user_ids": [-5]}),
        _post(auth_client, {"user_ids": [2**70]}),
    ]

    assert [a.status_code for a in answers] == [400] * 5
    assert all(a.json() == NOT_A_FRIEND for a in answers)
    assert str(stranger.id) not in answers[0].content.decode()


def test_anonymous_gets_401(api_client):
    assert _post(api_client, {"user_ids": [1]}).status_code == 401


# ---------------------------------------------------------------- the picks


def test_members_come_back_signed_in_user_first(tiny_model, group, auth_client, user):
    fan, newcomer = group

    body = _post(auth_client, {"user_ids": [newcomer.id, fan.id]}).json()

    assert body["members"] == [
        {"id": user.id, "username": user.username},
        {"id": newcomer.id, "username": newcomer.username},
        {"id": fan.id, "username": fan.username},
    ]


def test_every_member_has_stars_in_range_and_movies_are_sorted_by_score(
    tiny_model, group, auth_client, user
):
    fan, newcomer = group

    body = _post(auth_client, {"user_ids": [fan.id, newcomer.id]}).json()

    assert body["movies"]
    member_ids = [m["id"] for m in body["members"]]
    for movie in body["movies"]:
        assert [p["user_id"] for p in movie["predicted"]] == member_ids
        for prediction in movie["predicted"]:
            assert 0.5 <= prediction["rating"] <= 5.0
            assert round(prediction["rating"], 1) == prediction["rating"]
        assert {"id", "title", "poster_url", "overview", "release_date"} <= movie.keys()
    scores = [m["score"] for m in body["movies"]]
    assert scores == sorted(scores, reverse=True)


def test_no_movie_any_member_rated(tiny_model, group, auth_client, user):
    fan, newcomer = group
    members = [user, fan, newcomer]

    body = _post(auth_client, {"user_ids": [fan.id, newcomer.id]}, limit=50).json()

    rated = set(Rating.objects.filter(user__in=members).values_list("movie_id", flat=True))
    assert body["movies"]
    assert not rated & {m["id"] for m in body["movies"]}


def test_an_action_group_gets_action_movies(tiny_model, planted, auth_client, user):
    # Loves and dislikes both: all-5 profiles alone saturate every prediction at 5 stars.
    _rate(user, planted.action[:6], "5.0")
    _rate(user, planted.romance[:2], "1.0")
    (fan,) = _befriend(user, 1)
    _rate(fan, planted.action[6:12], "5.0")
    _rate(fan, planted.romance[2:4], "1.0")

    body = _post(auth_client, {"user_ids": [fan.id]}, limit=3).json()

    assert {m["id"] for m in body["movies"]} <= {m.id for m in planted.action}


def test_a_new_rating_counts_at_once(
    tiny_model, group, auth_client, user, django_capture_on_commit_callbacks
):
    fan, _ = group
    first = _post(auth_client, {"user_ids": [fan.id]}, limit=1).json()["movies"][0]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(f"/api/movie/{first}/rate/", {"rating": 3}, format="json")

    again = _post(auth_client, {"user_ids": [fan.id]}, limit=50).json()["movies"]
    assert first not in {m["id"] for m in again}


def test_cold_start_members_without_a_model(model_dir, auth_client, user):
    movies = MovieFactory.create_batch(60)
    rater = UserFactory()
    for n, movie in enumerate(movies):  # damped averages from 10 ratings each, varied
        movie.ratings_count, movie.ratings_sum = 10, Decimal(20 + n % 25)
        movie.save(update_fields=["ratings_count", "ratings_sum"])
    (friend,) = _befriend(user, 1)
    RatingFactory(user=friend, movie=movies[-1], value=Decimal("5.0"))
    RatingFactory(user=rater, movie=movies[0], value=Decimal("5.0"))

    body = _post(auth_client, {"user_ids": [friend.id]}).json()

    assert len(body["movies"]) == 10  # the default limit
    assert movies[-1].id not in {m["id"] for m in body["movies"]}
    assert all(0.5 <= p["rating"] <= 5.0 for m in body["movies"] for p in m["predicted"])
    # Clamped to 50; 59 candidates remain.
    assert len(_post(auth_client, {"user_ids": [friend.id]}, limit=1000).json()["movies"]) == 50
    assert _post(auth_client, {"user_ids": [friend.id]}, limit="x").status_code == 400


def test_limit_is_applied(tiny_model, group, auth_client):
    fan, _ = group

    assert len(_post(auth_client, {"user_ids": [fan.id]}, limit=2).json()["movies"]) == 2
    assert len(_post(auth_client, {"user_ids": [fan.id]}).json()["movies"]) == 10


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("size", [1, 5])
def test_query_count_is_fixed(
    tiny_model, planted, auth_client, user, django_assert_num_queries, size
):
    _rate(user, planted.action[:6], "5.0")
    friends = _befriend(user, size)
    for friend in friends:
        _rate(friend, planted.romance[:6], "4.0")
    cache.clear()

    # The members who are friends (validation and names, one statement); their ratings (none
    # cached yet); movie summaries (the first time this process shows them).
    with django_assert_num_queries(3):
        assert _post(auth_client, {"user_ids": [f.id for f in friends]}).status_code == 200
    # Now the membership, every member's predictions and the summaries are kept: no query.
    with django_assert_num_queries(0):
        assert _post(auth_client, {"user_ids": [f.id for f in friends]}).status_code == 200


def test_movies_are_ranked_by_the_members_ranking_scores_not_their_stars(
    tiny_model, group, auth_client, user
):
    # The README's score: mean - 0.5 x (mean - min) of each member's ranking score (what
    # GET /api/user/movies/ ranks by), standardised per member; the stars are shown only.
    import numpy as np

    from ml import explain
    from ml.loader import get_recommender

    fan, newcomer = group
    body = _post(auth_client, {"user_ids": [fan.id, newcomer.id]}, limit=5).json()
    shown = [m["id"] for m in body["movies"]]

    recommender = get_recommender()
    ids = explain.movie_ids(recommender)
    counts = explain.rating_counts(recommender)
    rated = set(
        Rating.objects.filter(user__in=[user, fan, newcomer]).values_list("movie_id", flat=True)
    )
    candidates = [i for i, m in enumerate(ids.tolist()) if counts[i] >= 10]
    z = []
    for member in (user, fan, newcomer):
        ratings = {
            m: float(v)
            for m, v in Rating.objects.filter(user=member).values_list("movie_id", "value")
        }
        scores = explain.member_ranking(recommender, ratings=ratings)[candidates].astype(float)
        z.append((scores - scores.mean()) / scores.std())
    z = np.array(z)
    score = z.mean(axis=0) - 0.5 * (z.mean(axis=0) - z.min(axis=0))
    order = [int(ids[candidates[j]]) for j in np.argsort(-score, kind="stable")]
    assert shown == [m for m in order if m not in rated][:5]
    assert [m["score"] for m in body["movies"]] == sorted(
        [m["score"] for m in body["movies"]], reverse=True
    )
