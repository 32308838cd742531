from decimal import Decimal

import pytest

from movies.models import Rating
from tests.factories import GenreFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/user/movies/"


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return [movie["id"] for movie in response.json()]


def _rate(user, movies, value="5.0"):
    for movie in movies:
        RatingFactory(user=user, movie=movie, value=Decimal(value))


def test_known_user_gets_their_group_never_a_rated_movie(tiny_model, planted, make_auth_client):
    fan = planted.users[0]  # loves action, was in the training data
    rated = set(Rating.objects.filter(user=fan).values_list("movie_id", flat=True))

    ids = _ids(make_auth_client(fan).get(URL, {"limit": 5}))

    assert len(ids) == 5
    assert not rated & set(ids)
    assert set(ids) <= {m.id for m in planted.action}


def test_new_user_is_folded_in_from_their_ratings(tiny_model, planted, auth_client, user):
    _rate(user, planted.romance[:6])

    ids = _ids(auth_client.get(URL, {"limit": 8}))

    assert len(ids) == 8
    assert not {m.id for m in planted.romance[:6]} & set(ids)
    assert sum(i in {m.id for m in planted.romance} for i in ids) >= 7


def test_rating_changes_the_list_at_once(tiny_model, planted, auth_client, user):
    _rate(user, planted.action[:4])
    cold = _ids(auth_client.get(URL, {"limit": 10}))

    response = auth_client.post(
        f"/api/movie/{planted.action[4].id}/rate/", {"rating": 5}, format="json"
    )
    assert response.status_code == 201
    warm = _ids(auth_client.get(URL, {"limit": 10}))

    assert warm != cold
    assert planted.action[4].id not in warm
    assert sum(i in {m.id for m in planted.action} for i in warm) >= 8


def test_summary_shape(tiny_model, planted, make_auth_client):
    response = make_auth_client(planted.users[1]).get(URL, {"limit": 1})
    movie = response.json()[0]
    assert set(movie) == {
        "id",
        "title",
        "poster_url",
        "overview",
        "release_date",
        "runtime",
        "adult",
    }


def test_default_20_and_limit_clamped_to_100(auth_client):
    for movie in MovieFactory.create_batch(105):
        RatingFactory(movie=movie)

    assert len(_ids(auth_client.get(URL))) == 20
    assert len(_ids(auth_client.get(URL, {"limit": 500}))) == 100
    assert len(_ids(auth_client.get(URL, {"limit": 3}))) == 3


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5", "9" * 20])
def test_bad_limit_is_400(auth_client, bad):
    response = auth_client.get(URL, {"limit": bad})
    assert response.status_code == 400
    assert response.json() == {"limit": ["Must be a non-negative integer."]}


def test_anonymous_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(URL.rstrip("/")).status_code == 401


def test_cold_start_is_popular_weighted_to_liked_genres(auth_client, user):
    """Without a model: damped popularity plus a boost for the genres rated >= 4."""
    drama, comedy = GenreFactory(name="Drama"), GenreFactory(name="Comedy")
    loved_drama = MovieFactory(genres=[drama])
    great_comedy = MovieFactory(genres=[comedy])
    good_drama = MovieFactory(genres=[drama])
    bad_drama = MovieFactory(genres=[drama])
    voters = UserFactory.create_batch(20)
    for voter in voters:
        RatingFactory(user=voter, movie=great_comedy, value=Decimal("4.5"))
        RatingFactory(user=voter, movie=good_drama, value=Decimal("4.0"))
        RatingFactory(user=voter, movie=bad_drama, value=Decimal("1.0"))
    RatingFactory(user=user, movie=loved_drama, value=Decimal("5.0"))

    ids = _ids(auth_client.get(URL))

    assert ids == [good_drama.id, great_comedy.id, bad_drama.id]  # never the rated movie


def test_cold_start_without_liked_genres_is_the_popular_list(auth_client, user):
    top, middle, low = MovieFactory(), MovieFactory(), MovieFactory()
    for voter in UserFactory.create_batch(5):
        RatingFactory(user=voter, movie=top, value=Decimal("5.0"))
        RatingFactory(user=voter, movie=middle, value=Decimal("3.0"))
        RatingFactory(user=voter, movie=low, value=Decimal("1.0"))
    RatingFactory(user=user, movie=middle, value=Decimal("2.0"))

    assert _ids(auth_client.get(URL)) == [top.id, low.id]


def test_few_ratings_with_a_model_is_cold_start(tiny_model, planted, auth_client, user):
    _rate(user, planted.romance[:2])
    rated = {m.id for m in planted.romance[:2]}

    ids = _ids(auth_client.get(URL, {"limit": 40}))

    assert len(ids) == 38
    assert not rated & set(ids)
    # Romance was liked: the romance movies come first, boosted above the action ones.
    assert set(ids[:18]) == {m.id for m in planted.romance[2:]}


@pytest.mark.parametrize("limit", [1, 5])
def test_personal_list_query_count_is_constant(
    tiny_model, planted, make_auth_client, django_assert_num_queries, limit
):
    client = make_auth_client(planted.users[2])
    client.get(URL)  # the model loads on first use
    # the user's ratings (the movies' summaries are materialised by the first request)
    with django_assert_num_queries(1):
        assert len(_ids(client.get(URL, {"limit": limit}))) == limit


@pytest.mark.parametrize("limit", [1, 5])
def test_cold_list_query_count_is_constant(auth_client, user, django_assert_num_queries, limit):
    genre = GenreFactory()
    for movie in MovieFactory.create_batch(6, genres=[genre]):
        RatingFactory(movie=movie)
    RatingFactory(user=user, movie=MovieFactory(genres=[genre]), value=Decimal("4.5"))
    # ratings, liked genres, the global mean, the ranked ids, their summaries
    with django_assert_num_queries(5):
        assert len(_ids(auth_client.get(URL, {"limit": limit}))) == limit


@pytest.mark.parametrize("limit", [1, 5])
def test_cold_list_with_a_model_query_count_is_constant(
    tiny_model, planted, auth_client, user, django_assert_num_queries, limit
):
    RatingFactory(user=user, movie=planted.action[0], value=Decimal("4.5"))
    auth_client.get(URL)  # the model loads on first use, the ranking is materialised
    with django_assert_num_queries(1):  # the user's ratings
        assert len(_ids(auth_client.get(URL, {"limit": limit}))) == limit
