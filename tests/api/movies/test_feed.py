"""Friends' activity (API.md part two): a view of friends' current ratings and comments, newest
first, paged by a cursor that stays stable while items are added."""

import datetime

import pytest
from django.utils import timezone

from movies.serializers import MovieSummaryOutputSerializer
from realtime.protocol import format_ts
from tests.factories import (
    CommentFactory,
    FriendshipFactory,
    MovieFactory,
    RatingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

T0 = timezone.now() - datetime.timedelta(days=1)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.fixture
def friend(user):
    friend = UserFactory(username="fred")
    FriendshipFactory(user_low=user, user_high=friend)
    return friend


def test_feed_shows_friends_ratings_and_comments_newest_first(user, friend, auth_client):
    movie = MovieFactory(title="Heat")
    rating = RatingFactory(user=friend, movie=movie, value="4.5", timestamp=at(1))
    comment = CommentFactory(author=friend, movie=movie, body="Great", created=at(2))
    stranger = UserFactory()
    RatingFactory(user=stranger, timestamp=at(3))
    RatingFactory(user=user, timestamp=at(4))  # one's own activity is not in one's feed

    response = auth_client.get("/api/feed/")

    assert response.status_code == 200
    assert "X-Total-Count" not in response
    body = response.json()
    summary = MovieSummaryOutputSerializer(movie).data
    assert [{k: v for k, v in item.items() if k != "id"} for item in body] == [
        {
            "type": "comment",
            "ts": format_ts(comment.created),
            "actor": {"id": friend.id, "username": "fred"},
            "movie": summary,
            "data": {"comment_id": comment.id, "body": "Great"},
        },
        {
            "type": "rating",
            "ts": format_ts(rating.timestamp),
            "actor": {"id": friend.id, "username": "fred"},
            "movie": summary,
            "data": {"rating": 4.5},
        },
    ]
    assert all(isinstance(item["id"], str) for item in body)
    assert auth_client.get("/api/feed").json() == body  # ids stable while items are unchanged


def test_befriending_and_unfriending_show_at_once(user, auth_client, make_auth_client):
    other = UserFactory()
    RatingFactory(user=other, timestamp=at(1))
    assert auth_client.get("/api/feed/").json() == []

    friendship = FriendshipFactory(user_low=user, user_high=other)
    assert len(auth_client.get("/api/feed/").json()) == 1  # earlier activity appears at once

    make_auth_client(other).delete(f"/api/user/remove-friend/{user.id}/")
    assert friendship.__class__.objects.count() == 0
    assert auth_client.get("/api/feed/").json() == []

    FriendshipFactory(user_low=user, user_high=other)
    assert len(auth_client.get("/api/feed/").json()) == 1  # and comes back


def test_a_rerating_replaces_the_earlier_item(user, friend, auth_client, make_auth_client):
    movie = MovieFactory()
    RatingFactory(user=friend, movie=movie, value="2.0", timestamp=at(1))
    CommentFactory(author=friend, created=at(2))
    before = auth_client.get("/api/feed/").json()

    response = make_auth_client(friend).post(f"/api/movie/{movie.id}/rate/", {"rating": 5})
    assert response.status_code == 200

    after = auth_client.get("/api/feed/").json()
    assert [i["type"] for i in after] == ["rating", "comment"]
    assert after[0]["data"] == {"rating": 5.0}
    assert after[0]["id"] not in {i["id"] for i in before}
    assert after[1] == before[0]


def test_a_deleted_comment_leaves_the_feed(user, friend, auth_client, make_auth_client):
    movie = MovieFactory()
    comment = CommentFactory(author=friend, movie=movie, created=at(1))
    assert len(auth_client.get("/api/feed/").json()) == 1
    make_auth_client(friend).delete(f"/api/movie/{movie.id}/comment/?comment_id={comment.id}")
    assert auth_client.get("/api/feed/").json() == []


def test_blocked_users_never_appear(user, friend, auth_client, make_auth_client):
    RatingFactory(user=friend, timestamp=at(1))
    make_auth_client(friend).post(f"/api/user/{user.id}/block/")
    assert auth_client.get("/api/feed/").json() == []


def test_the_cursor_pages_without_duplicates_or_gaps_under_concurrent_inserts(
    user, friend, auth_client, make_auth_client
):
    second = UserFactory()
    FriendshipFactory(user_low=user, user_high=second)
    for minute in range(1, 8):
        actor = friend if minute % 2 else second
        if minute % 3:
            RatingFactory(user=actor, timestamp=at(minute))
        else:
            CommentFactory(author=actor, created=at(minute))
    # Two items at the very same moment: the cursor still orders them.
    RatingFactory(user=friend, timestamp=at(4))
    CommentFactory(author=second, created=at(4))
    everything = [i["id"] for i in auth_client.get("/api/feed/").json()]
    assert len(everything) == 9

    seen, before = [], None
    for page_number in range(10):
        query = "?limit=2" + (f"&before={before}" if before else "")
        page = auth_client.get(f"/api/feed/{query}").json()
        if not page:
            break
        seen += [i["id"] for i in page]
        before = page[-1]["id"]
        # Friends keep rating and commenting while the user pages.
        make_auth_client(friend).post(f"/api/movie/{MovieFactory().id}/rate/", {"rating": 3})
        make_auth_client(second).post(
            f"/api/movie/{MovieFactory().id}/comment/", {"body": f"new {page_number}"}
        )
    assert seen == everything


@pytest.mark.parametrize("limit", [1, 3, 20])
def test_pages_over_many_friends_follow_the_full_order(user, auth_client, limit):
    """A page reads only the friends whose newest items can reach it: paged through, the feed
    is still every friend's whole history in (time, kind, id) order, with busy and quiet
    friends, items at the same moment and friends with one kind only."""
    friends = [UserFactory() for _ in range(6)]
    for other in friends:
        FriendshipFactory(user_low=user, user_high=other)
    expected = []
    for index, other in enumerate(friends):
        for n in range(12 if index == 0 else 3):  # the first friend is much busier
            minute = (n * 7 + index * 5) % 40 if index else n
            if index != 5:  # the last friend only comments
                rating = RatingFactory(user=other, timestamp=at(minute))
                expected.append((minute, 1, rating.id, "rating"))
            if index in (1, 5) or n % 4 == 0:
                comment = CommentFactory(author=other, created=at(minute))
                expected.append((minute, 0, comment.id, "comment"))
    expected.sort(reverse=True)

    seen, sizes, before = [], [], None
    while True:
        query = f"?limit={limit}" + (f"&before={before}" if before else "")
        page = auth_client.get(f"/api/feed/{query}").json()
        if not page:
            break
        seen += page
        sizes.append(len(page))
        before = page[-1]["id"]

    got = [
        (item["type"], item["data"]["comment_id"] if item["type"] == "comment" else None)
        for item in seen
    ]
    assert len(seen) == len(expected)
    assert all(size == limit for size in sizes[:-1])  # every page but the last is full
    assert [kind for kind, _ in got] == [kind for *_, kind in expected]
    assert [pk for kind, pk in got if kind == "comment"] == [
        pk for _, _, pk, kind in expected if kind == "comment"
    ]
    assert [item["ts"] for item in seen] == [format_ts(at(minute)) for minute, *_ in expected]


def test_the_cursor_survives_its_own_item_leaving(user, friend, auth_client, make_auth_client):
    movie = MovieFactory()
    CommentFactory(author=friend, created=at(1))
    comment = CommentFactory(author=friend, movie=movie, created=at(2))
    RatingFactory(user=friend, timestamp=at(3))
    first = auth_client.get("/api/feed/?limit=2").json()
    assert first[1]["data"]["comment_id"] == comment.id
    make_auth_client(friend).delete(f"/api/movie/{movie.id}/comment/?comment_id={comment.id}")

    rest = auth_client.get(f"/api/feed/?before={first[1]['id']}").json()

    assert [i["type"] for i in rest] == ["comment"]


@pytest.mark.parametrize(
    "before", ["nope", "r1.123", "r1.123.000000000000", "x1.1.abc", "", "r" + "9" * 70]
)
def test_a_before_that_is_not_an_item_id_is_400(user, friend, auth_client, before):
    RatingFactory(user=friend, timestamp=at(1))
    response = auth_client.get(f"/api/feed/?before={before}")
    assert response.status_code == 400
    assert list(response.json()) == ["before"]


def test_a_tampered_item_id_is_400(user, friend, auth_client):
    RatingFactory(user=friend, timestamp=at(1))
    (item,) = auth_client.get("/api/feed/").json()
    head, micros, tag = item["id"].split(".")
    forged = f"{head}.{int(micros) + 1}.{tag}"
    assert auth_client.get(f"/api/feed/?before={forged}").status_code == 400


def test_limit_defaults_to_20_and_is_clamped_to_100(user, friend, auth_client):
    for minute in range(105):
        RatingFactory(user=friend, timestamp=at(minute))
    assert len(auth_client.get("/api/feed/").json()) == 20
    assert len(auth_client.get("/api/feed/?limit=1000").json()) == 100
    assert auth_client.get("/api/feed/?limit=-1").status_code == 400
    assert auth_client.get("/api/feed/?limit=abc").status_code == 400


@pytest.mark.parametrize("rows", [1, 5])
def test_feed_query_count_does_not_grow(user, friend, auth_client, django_assert_num_queries, rows):
    for minute in range(rows):
        RatingFactory(user=friend, timestamp=at(minute))
        CommentFactory(author=friend, created=at(minute))
    # one statement for the page (friends less blocks, each friend's newest, the items), then
    # the movie summaries
    with django_assert_num_queries(2):
        assert len(auth_client.get("/api/feed/").json()) == 2 * rows


def test_feed_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/feed/").status_code == 401
