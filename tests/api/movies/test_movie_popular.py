from decimal import Decimal

import pytest

from movies.selectors import movie_list_popular
from tests.factories import MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rate(movie, values) -> None:
    for value in values:
        RatingFactory(movie=movie, value=Decimal(str(value)))


def test_one_five_star_vote_does_not_reach_the_top_10(auth_client):
    for _ in range(20):
        _rate(MovieFactory(), [2.5] * 5)
    classics = [MovieFactory(title=f"Classic {i}") for i in range(10)]
    for classic in classics:
        _rate(classic, [4.5, 4.0] * 10)  # mean 4.25 over 20 votes; global mean about 3.6
    lucky = MovieFactory(title="One vote wonder")
    _rate(lucky, [5.0])
    MovieFactory(title="Unrated")

    response = auth_client.get("/api/movies/popular/")

    assert response.status_code == 200
    ids = [m["id"] for m in response.json()]
    assert len(ids) == 10
    assert lucky.id not in ids
    assert set(ids) == {c.id for c in classics}


def test_better_loved_movies_come_first(auth_client):
    good, ok, poor = MovieFactory(), MovieFactory(), MovieFactory()
    _rate(good, [5.0] * 20)
    _rate(ok, [3.5] * 20)
    _rate(poor, [1.0] * 20)

    body = auth_client.get("/api/movies/popular").json()

    assert [m["id"] for m in body] == [good.id, ok.id, poor.id]
    assert set(body[0]) == {
        "id",
        "title",
        "poster_url",
        "overview",
        "release_date",
        "runtime",
        "adult",
    }


def test_limit_is_clamped_to_100(auth_client):
    for movie in MovieFactory.create_batch(12):
        _rate(movie, [4.0])
    assert len(auth_client.get("/api/movies/popular/?limit=5").json()) == 5
    assert len(auth_client.get("/api/movies/popular/?limit=1000").json()) == 12


def test_bad_limit_is_400(auth_client):
    assert auth_client.get("/api/movies/popular/?limit=ten").status_code == 400


def test_popular_anonymous_401(api_client):
    assert api_client.get("/api/movies/popular/").status_code == 401


def test_selector_for_cold_start(db):
    top, other = MovieFactory(), MovieFactory()
    _rate(top, [5.0] * 30)
    _rate(other, [3.0] * 30)
    assert movie_list_popular(limit=1) == [top]


@pytest.mark.parametrize("rows", [1, 5])
def test_popular_query_count_is_constant(auth_client, django_assert_num_queries, rows):
    for _ in range(rows):
        RatingFactory(user=UserFactory(), movie=MovieFactory())
    with django_assert_num_queries(3):  # global mean, the ranking, the page's summaries
        response = auth_client.get("/api/movies/popular/")
    assert len(response.json()) == rows
    with django_assert_num_queries(0):  # materialised (movies/catalogue.py)
        assert auth_client.get("/api/movies/popular/").json() == response.json()


def _popular_ids(client) -> list[int]:
    response = client.get("/api/movies/popular/")
    assert response.status_code == 200
    return [movie["id"] for movie in response.json()]


def _two_tied_movies():
    first, second = MovieFactory(), MovieFactory()
    _rate(first, [4.0] * 3)
    _rate(second, [4.0] * 3)
    return first, second


def test_a_rating_moves_the_popular_list_after_the_period(
    auth_client, settings, django_capture_on_commit_callbacks
):
    settings.POPULAR_MAX_AGE_SECONDS = 0  # the period is over at the next read
    first, second = _two_tied_movies()
    assert _popular_ids(auth_client) == [first.id, second.id]  # tie: the lower id first

    with django_capture_on_commit_callbacks(execute=True):
        rated = auth_client.post(f"/api/movie/{second.id}/rate/", {"rating": 5}, format="json")

    assert rated.status_code == 201
    assert _popular_ids(auth_client) == [second.id, first.id]


def test_ratings_within_the_period_cost_popular_reads_no_rebuild(
    auth_client, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """The worker that took a rating rebuilds at its next check, like every other worker, not
    at once: under a stream of ratings each worker rebuilds at most once a period."""
    settings.POPULAR_MAX_AGE_SECONDS = 3600
    _, second = _two_tied_movies()
    before = _popular_ids(auth_client)

    for stars in (5, 4.5):
        with django_capture_on_commit_callbacks(execute=True):
            rated = auth_client.post(
                f"/api/movie/{second.id}/rate/", {"rating": stars}, format="json"
            )
        assert rated.status_code in (200, 201)
        with django_assert_num_queries(0):
            assert _popular_ids(auth_client) == before
