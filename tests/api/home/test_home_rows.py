"""GET /api/user/movies/lists/ (API.md part two, "Home page"), through HTTP."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from movies.models import Rating
from tests.api.accounts.test_sessions import bearer, login
from tests.factories import FriendshipFactory, MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/user/movies/lists/"


def _rows(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def _keys(rows):
    return [row["key"] for row in rows]


def _row(rows, key):
    return next(row for row in rows if row["key"] == key)


def _rate(user, movies, value="5.0", *, start=None):
    """Ratings one minute apart, oldest first (the last movie is the most recent)."""
    start = start or timezone.now() - datetime.timedelta(hours=1)
    for n, movie in enumerate(movies):
        RatingFactory(
            user=user,
            movie=movie,
            value=Decimal(value),
            timestamp=start + datetime.timedelta(minutes=n),
        )


@pytest.fixture
def rate_over_http(django_capture_on_commit_callbacks):
    """Rate through REST with the commit hooks run, as after a real commit."""

    def rate(client, movie, stars):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/movie/{movie.id}/rate/", {"rating": stars}, format="json")
        assert response.status_code in (200, 201)

    return rate


def _all_ids(rows):
    return {movie["id"] for row in rows for movie in row["movies"]}


# ---------------------------------------------------------------- rows and their order


def test_personal_user_gets_rows_in_contract_order(tiny_model, planted, auth_client, user):
    _rate(user, planted.action[:6])
    friend = UserFactory()
    FriendshipFactory(user_low=user, user_high=friend)
    RatingFactory(user=friend, movie=planted.romance[0], value=Decimal("4.5"))

    rows = _rows(auth_client)

    assert _keys(rows) == [
        "top_picks",
        "because_you_liked",
        "because_you_liked",
        "friends",
        "trending",
    ]
    top = rows[0]
    assert top["title"] == "Top picks for you"
    assert top["reason"] == {"type": "model", "model_version": tiny_model}
    for row in rows:
        assert row["movies"], "empty rows are left out"
        for movie in row["movies"]:
            assert movie["reason"]["type"] == row["reason"]["type"]
            assert {"id", "title", "poster_url", "overview", "release_date"} <= movie.keys()


def test_top_picks_rank_like_the_recommendations_list(tiny_model, planted, auth_client, user):
    _rate(user, planted.action[:6])

    top = _row(_rows(auth_client, limit=5), "top_picks")

    listed = auth_client.get("/api/user/movies/", {"limit": 5}).json()
    assert [m["id"] for m in top["movies"]] == [m["id"] for m in listed]


def test_cold_user_gets_popular_and_no_top_picks(tiny_model, planted, auth_client, user):
    _rate(user, planted.action[:1])

    rows = _rows(auth_client)

    assert _keys(rows) == ["because_you_liked", "trending", "popular"]
    popular = _row(rows, "popular")
    assert popular["title"] == "Popular on MovieConnect"
    assert popular["reason"] == {"type": "popular"}
    assert all(m["reason"] == {"type": "popular"} for m in popular["movies"])


def test_user_with_no_ratings_gets_trending_and_popular(planted, auth_client):
    assert _keys(_rows(auth_client)) == ["trending", "popular"]


def test_no_model_deployed_still_serves_rows(model_dir, planted, auth_client, user):
    _rate(user, planted.action[:8])

    rows = _rows(auth_client)

    assert _keys(rows) == ["because_you_liked", "because_you_liked", "trending", "popular"]


def test_anonymous_gets_401(api_client):
    assert api_client.get(URL).status_code == 401


# ---------------------------------------------------------------- never a rated movie


def test_no_row_holds_a_rated_movie(tiny_model, planted, auth_client, user):
    mine = planted.action[:10] + planted.romance[:2]
    _rate(user, planted.action[:10])
    _rate(user, planted.romance[:2], "2.0")
    friend = UserFactory()
    FriendshipFactory(user_low=user, user_high=friend)
    _rate(friend, planted.action[:15], "5.0")

    rows = _rows(auth_client, limit=50)

    assert "friends" in _keys(rows)
    assert not _all_ids(rows) & {m.id for m in mine}


def test_a_new_rating_leaves_every_row_at_once(
    tiny_model, planted, auth_client, user, rate_over_http
):
    _rate(user, planted.action[:6])
    before = _rows(auth_client, limit=50)
    target = _row(before, "top_picks")["movies"][0]["id"]
    movie = next(m for m in planted.action + planted.romance if m.id == target)

    rate_over_http(auth_client, movie, 5)

    after = _rows(auth_client, limit=50)
    assert target not in _all_ids(after)
    assert _row(after, "because_you_liked")["reason"]["movie"] == {
        "id": movie.id,
        "title": movie.title,
    }


def test_signed_in_with_a_token_the_rows_follow_a_new_rating_at_once(
    tiny_model, planted, user, password, rate_over_http, django_assert_num_queries
):
    # A real access token: authentication reads the cached rows in its round trip.
    tab = bearer(login(APIClient(), password)[0])
    _rate(user, planted.action[:6])
    before = _rows(tab, limit=50)
    with django_assert_num_queries(0):
        assert _rows(tab, limit=50) == before
    target = _row(before, "top_picks")["movies"][0]["id"]
    movie = next(m for m in planted.action + planted.romance if m.id == target)

    rate_over_http(tab, movie, 5)

    assert target not in _all_ids(_rows(tab, limit=50))


# ---------------------------------------------------------------- reasons


def test_because_holds_only_the_users_highly_rated_movies(tiny_model, planted, auth_client, user):
    liked = planted.action[:5]
    _rate(user, liked, "4.5")
    _rate(user, planted.action[5:8], "3.0")  # rated, but below 3.5: never a reason

    top = _row(_rows(auth_client, limit=50), "top_picks")

    liked_ids = {m.id for m in liked}
    titles = {m.id: m.title for m in liked}
    for movie in top["movies"]:
        because = movie["reason"]["because"]
        assert 1 <= len(because) <= 3
        assert {b["id"] for b in because} <= liked_ids
        assert all(b["title"] == titles[b["id"]] for b in because)
        assert len({b["id"] for b in because}) == len(because)


def test_because_is_empty_when_nothing_was_rated_highly(tiny_model, planted, auth_client, user):
    _rate(user, planted.action[:6], "3.0")

    rows = _rows(auth_client)

    assert _keys(rows)[0] == "top_picks"
    assert "because_you_liked" not in _keys(rows)  # nothing rated 4 or more
    assert all(m["reason"] == {"type": "model", "because": []} for m in rows[0]["movies"])


def test_because_you_liked_rows_follow_the_two_latest_liked_movies(
    tiny_model, planted, auth_client, user
):
    # Oldest first: action 0..5 liked, then a 3.5 (not "liked"), then the two latest liked.
    _rate(user, planted.action[:6], "4.0")
    start = timezone.now() - datetime.timedelta(minutes=30)
    _rate(user, [planted.action[6]], "3.5", start=start)
    _rate(user, [planted.romance[0]], "4.0", start=start + datetime.timedelta(minutes=1))
    _rate(user, [planted.action[7]], "5.0", start=start + datetime.timedelta(minutes=2))

    rows = [r for r in _rows(auth_client) if r["key"] == "because_you_liked"]

    seeds = [row["reason"]["movie"] for row in rows]
    assert seeds == [
        {"id": planted.action[7].id, "title": planted.action[7].title},
        {"id": planted.romance[0].id, "title": planted.romance[0].title},
    ]
    for row in rows:
        assert row["title"] == f"Because you liked {row['reason']['movie']['title']}"
        assert row["reason"]["type"] == "because_you_liked"
        assert all(m["reason"] == row["reason"] for m in row["movies"])
        assert row["reason"]["movie"]["id"] not in {m["id"] for m in row["movies"]}


def test_because_you_liked_uses_the_models_neighbours(tiny_model, planted, auth_client, user):
    _rate(user, planted.action[:6], "4.0")

    row = _row(_rows(auth_client, limit=5), "because_you_liked")

    # The planted catalogue's taste groups: an action movie's neighbours are action movies.
    assert {m["id"] for m in row["movies"]} <= {m.id for m in planted.action}


# ---------------------------------------------------------------- friends row


def test_friends_row_counts_only_friends_ratings_of_4_or_more(planted, auth_client, user):
    a, b, c = UserFactory(username="ann"), UserFactory(username="ben"), UserFactory()
    stranger = UserFactory()
    for friend in (a, b, c):
        FriendshipFactory(user_low=user, user_high=friend)
    one, two, three = planted.romance[:3]
    RatingFactory(user=a, movie=one, value=Decimal("5.0"))
    RatingFactory(user=b, movie=one, value=Decimal("4.0"))
    RatingFactory(user=c, movie=one, value=Decimal("3.5"))  # below 4: not counted
    RatingFactory(user=stranger, movie=one, value=Decimal("5.0"))  # not a friend
    RatingFactory(user=a, movie=two, value=Decimal("4.0"))
    for _ in range(5):  # strangers' love never reaches the row
        RatingFactory(user=UserFactory(), movie=three, value=Decimal("5.0"))
    RatingFactory(user=c, movie=three, value=Decimal("3.0"))

    row = _row(_rows(auth_client), "friends")

    assert row["title"] == "Popular with your friends"
    assert row["reason"] == {"type": "friends"}
    assert [m["id"] for m in row["movies"]] == [one.id, two.id]
    first, second = row["movies"]
    assert first["reason"] == {
        "type": "friends",
        "friends": [{"id": a.id, "username": "ann"}, {"id": b.id, "username": "ben"}],
        "count": 2,
    }
    assert second["reason"]["count"] == 1


def test_friends_row_orders_by_count_then_mean_and_names_up_to_three(planted, auth_client, user):
    friends = UserFactory.create_batch(5)
    for friend in friends:
        FriendshipFactory(user_low=user, user_high=friend)
    popular, loved, liked = planted.action[:3]
    for friend in friends:  # five friends, 4.0 each
        RatingFactory(user=friend, movie=popular, value=Decimal("4.0"))
    for friend in friends[:2]:  # two friends, 5.0
        RatingFactory(user=friend, movie=loved, value=Decimal("5.0"))
    for friend in friends[2:4]:  # two friends, 4.0: same count, lower mean
        RatingFactory(user=friend, movie=liked, value=Decimal("4.0"))

    row = _row(_rows(auth_client), "friends")

    assert [m["id"] for m in row["movies"]] == [popular.id, loved.id, liked.id]
    assert [m["reason"]["count"] for m in row["movies"]] == [5, 2, 2]
    named = row["movies"][0]["reason"]["friends"]
    assert len(named) == 3
    assert {f["id"] for f in named} <= {f.id for f in friends}


def test_friends_row_is_left_out_without_friends_ratings(planted, auth_client, user):
    stranger = UserFactory()
    RatingFactory(user=stranger, movie=planted.action[0], value=Decimal("5.0"))
    FriendshipFactory(user_low=user, user_high=UserFactory())  # a friend who rated nothing

    assert "friends" not in _keys(_rows(auth_client))


def test_friends_row_follows_a_friends_new_rating_and_a_new_friendship(
    planted, auth_client, user, make_auth_client, rate_over_http, django_capture_on_commit_callbacks
):
    friend = UserFactory()
    FriendshipFactory(user_low=user, user_high=friend)
    assert "friends" not in _keys(_rows(auth_client))

    rate_over_http(make_auth_client(friend), planted.action[0], 5)
    assert [m["id"] for m in _row(_rows(auth_client), "friends")["movies"]] == [
        planted.action[0].id
    ]

    newcomer = UserFactory()
    RatingFactory(user=newcomer, movie=planted.action[1], value=Decimal("5.0"))
    sent = make_auth_client(newcomer).post(f"/api/send-friend-request/{user.id}/")
    with django_capture_on_commit_callbacks(execute=True):
        accepted = auth_client.post(f"/api/friend-requests/update/{sent.json()['request_id']}/")
    assert accepted.status_code == 200
    assert planted.action[1].id in {m["id"] for m in _row(_rows(auth_client), "friends")["movies"]}


# ---------------------------------------------------------------- trending


def _move_ratings(age: datetime.timedelta) -> None:
    Rating.objects.update(timestamp=timezone.now() - age)
    cache.clear()  # the shared trending list is cached


def test_trending_uses_the_week_when_it_holds_50_ratings(planted, auth_client):
    _move_ratings(datetime.timedelta(days=1))

    row = _row(_rows(auth_client), "trending")

    assert row["title"] == "Trending this week"
    assert row["reason"] == {"type": "trending", "days": 7}
    counts = [m["reason"]["ratings"] for m in row["movies"]]
    assert counts == sorted(counts, reverse=True)
    first = row["movies"][0]
    assert first["reason"] == {
        "type": "trending",
        "ratings": Rating.objects.filter(movie_id=first["id"]).count(),
    }


def test_trending_widens_to_the_month_then_all_time(planted, auth_client):
    _move_ratings(datetime.timedelta(days=20))
    assert _row(_rows(auth_client), "trending")["reason"]["days"] == 30

    _move_ratings(datetime.timedelta(days=200))
    assert _row(_rows(auth_client), "trending")["reason"]["days"] == 365

    _move_ratings(datetime.timedelta(days=3000))  # like the demo data, which ends in 2018
    row = _row(_rows(auth_client), "trending")
    assert row["reason"] == {"type": "trending", "days": None}
    assert row["title"] == "Trending of all time"


def test_trending_counts_only_ratings_inside_the_window(planted, auth_client):
    _move_ratings(datetime.timedelta(days=3000))
    recent = planted.romance[5]
    for _ in range(50):  # 50 fresh ratings: the week window holds enough
        RatingFactory(user=UserFactory(), movie=recent, value=Decimal("3.0"))
    cache.clear()

    row = _row(_rows(auth_client), "trending")

    assert row["reason"]["days"] == 7
    assert [m["id"] for m in row["movies"]] == [recent.id]
    assert row["movies"][0]["reason"]["ratings"] == 50


# ---------------------------------------------------------------- limit


@pytest.fixture
def sixty_movies(db):
    """60 movies, each rated once by someone (so popular and trending can hold 50)."""
    rater = UserFactory()
    movies = MovieFactory.create_batch(60)
    for movie in movies:
        RatingFactory(user=rater, movie=movie, value=Decimal("4.0"))
    return movies


def test_limit_defaults_to_10_per_row(sixty_movies, auth_client):
    rows = _rows(auth_client)

    assert [len(row["movies"]) for row in rows] == [10, 10]


def test_limit_is_per_row_and_clamped_to_50(sixty_movies, auth_client):
    assert [len(r["movies"]) for r in _rows(auth_client, limit=3)] == [3, 3]
    assert [len(r["movies"]) for r in _rows(auth_client, limit=1000)] == [50, 50]
    assert _rows(auth_client, limit=0) == []


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5"])
def test_bad_limit_is_a_400_naming_it(auth_client, bad):
    response = auth_client.get(URL, {"limit": bad})

    assert response.status_code == 400
    assert "limit" in response.json()


# ---------------------------------------------------------------- queries


def _world(user, planted, *, friends: int, ratings: int):
    _rate(user, planted.action[:ratings], "4.5")
    for n in range(friends):
        friend = UserFactory()
        FriendshipFactory(user_low=user, user_high=friend)
        _rate(friend, planted.romance[n : n + 3], "4.5")


@pytest.mark.parametrize(("friends", "ratings"), [(1, 6), (5, 12)])
def test_query_count_is_fixed(
    tiny_model, planted, auth_client, user, django_assert_num_queries, friends, ratings
):
    _world(user, planted, friends=friends, ratings=ratings)
    _rows(auth_client)  # the shared trending list, computed once for everyone
    cache.delete(f"home:rows:{user.id}")

    # Ratings; friends; the friends row's counts and names; popular's exclusion is not needed
    # (personal user); movie summaries.
    with django_assert_num_queries(5):
        rows = _rows(auth_client)
    assert "friends" in _keys(rows)

    with django_assert_num_queries(0):  # the refreshed rows, from the cache
        _rows(auth_client)


@pytest.mark.parametrize("ratings", [2, 4])
def test_query_count_is_fixed_for_cold_users(
    planted, auth_client, user, django_assert_num_queries, ratings
):
    _world(user, planted, friends=2, ratings=ratings)
    _rows(auth_client)
    cache.delete(f"home:rows:{user.id}")

    # No model: ratings; per because_you_liked row (at most two) the content neighbours of its
    # movie (7 queries); friends; counts; names; popular (global mean, list); summaries.
    with django_assert_num_queries(20):
        _rows(auth_client)
