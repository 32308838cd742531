"""Friends' feed pages kept per process (movies.feed_cache): a repeat read runs no query, and
every write that changes a feed shows in its next read (API.md part two: deletions, re-ratings
and unfriending show at once).

A write never touches the reading process's copies, only the shared feed stamps, so each test
below is also what another worker sees: the copy here goes stale exactly as one there would.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as accounts_services
from movies import catalogue
from movies.services import comments_moderate_delete
from tests.api.accounts.test_sessions import bearer, login
from tests.factories import (
    CommentFactory,
    FriendshipFactory,
    MovieFactory,
    RatingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs, as in production

T0 = timezone.now() - datetime.timedelta(days=1)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


def feed(client: APIClient, query: str = "") -> list[tuple[str, str, object]]:
    response = client.get(f"/api/feed/{query}")
    assert response.status_code == 200
    return [(i["type"], i["actor"]["username"], i["data"]) for i in response.json()]


def signed_in(user, password) -> APIClient:
    """A real access token, so the stamps are read in authentication's round trip."""
    return bearer(login(APIClient(), password, username=user.username)[0])


@pytest.fixture
def friend(user):
    friend = UserFactory(username="fred")
    FriendshipFactory(user_low=user, user_high=friend)
    return friend


@pytest.fixture
def alice(user, password) -> APIClient:
    return signed_in(user, password)


@pytest.fixture
def fred(friend, password) -> APIClient:
    return signed_in(friend, password)


@pytest.fixture
def movie():
    return MovieFactory(title="Heat")


def test_a_repeat_read_runs_no_query(user, friend, alice, movie):
    RatingFactory(user=friend, movie=movie, value="4.0", timestamp=at(1))
    first = alice.get("/api/feed/").json()
    page2 = alice.get(f"/api/feed/?before={first[0]['id']}").json()

    with CaptureQueriesContext(connection) as queries:
        assert alice.get("/api/feed/").json() == first
        assert alice.get(f"/api/feed/?before={first[0]['id']}").json() == page2

    assert queries.captured_queries == []


def test_a_friends_rating_and_re_rating_show_at_once(friend, alice, fred, movie):
    assert feed(alice) == []

    assert (
        fred.post(f"/api/movie/{movie.id}/rate/", {"rating": 3}, format="json").status_code == 201
    )
    assert feed(alice) == [("rating", "fred", {"rating": 3.0})]

    assert (
        fred.post(f"/api/movie/{movie.id}/rate/", {"rating": 5}, format="json").status_code == 200
    )
    assert feed(alice) == [("rating", "fred", {"rating": 5.0})]


def test_a_friends_comment_and_its_deletion_show_at_once(friend, alice, fred, movie):
    assert feed(alice) == []
    created = fred.post(f"/api/movie/{movie.id}/comment/", {"body": "Great"}, format="json")
    comment_id = created.json()["data"]["id"]
    assert feed(alice) == [("comment", "fred", {"comment_id": comment_id, "body": "Great"})]

    deleted = fred.delete(f"/api/movie/{movie.id}/comment/?comment_id={comment_id}")
    assert deleted.status_code == 204

    assert feed(alice) == []


def test_a_moderators_deletion_shows_at_once(friend, alice, movie):
    comment = CommentFactory(author=friend, movie=movie, body="Spam", created=at(1))
    assert len(feed(alice)) == 1

    comments_moderate_delete(comment_ids=[comment.pk])

    assert feed(alice) == []


def test_unfriending_shows_at_once_for_both(user, friend, alice, fred, movie):
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    RatingFactory(user=user, movie=movie, timestamp=at(2))
    assert len(feed(alice)) == 1
    assert len(feed(fred)) == 1

    assert fred.delete(f"/api/user/remove-friend/{user.id}/").status_code == 204

    assert feed(alice) == []
    assert feed(fred) == []


def test_befriending_shows_earlier_activity_at_once(user, alice, password, movie):
    other = UserFactory(username="olga")
    RatingFactory(user=other, movie=movie, timestamp=at(1))
    assert feed(alice) == []

    request = signed_in(other, password).post(f"/api/send-friend-request/{user.id}/")
    assert request.status_code == 201
    accepted = alice.post(f"/api/friend-requests/update/{request.json()['request_id']}/")
    assert accepted.status_code == 200

    assert [actor for _, actor, _ in feed(alice)] == ["olga"]


def test_blocking_shows_at_once_for_both(user, friend, alice, fred, movie):
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    RatingFactory(user=user, movie=movie, timestamp=at(2))
    assert len(feed(alice)) == 1
    assert len(feed(fred)) == 1

    assert alice.post(f"/api/user/{friend.id}/block/").status_code == 201

    assert feed(alice) == []
    assert feed(fred) == []


def test_a_friends_account_deletion_shows_at_once(friend, alice, fred, movie):
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    CommentFactory(author=friend, movie=movie, created=at(2))
    assert len(feed(alice)) == 2

    assert fred.delete("/api/user/delete/").status_code == 204

    assert feed(alice) == []


def test_a_friends_new_username_shows_at_once(friend, alice, fred, movie):
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    assert [actor for _, actor, _ in feed(alice)] == ["fred"]

    assert (
        fred.patch("/api/user/update/", {"username": "frederic"}, format="json").status_code == 200
    )

    assert [actor for _, actor, _ in feed(alice)] == ["frederic"]


def test_an_admin_rename_shows_at_once(friend, alice, movie):
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    assert [actor for _, actor, _ in feed(alice)] == ["fred"]

    friend.username = "moderated"
    accounts_services.user_admin_update(user=friend, fields=["username"])

    assert [actor for _, actor, _ in feed(alice)] == ["moderated"]


def test_a_later_page_follows_writes_too(friend, alice, movie):
    for minute in range(3):
        RatingFactory(user=friend, timestamp=at(minute))
    first = alice.get("/api/feed/?limit=1").json()
    cursor = first[0]["id"]
    assert len(alice.get(f"/api/feed/?before={cursor}").json()) == 2

    RatingFactory(user=friend, movie=movie, timestamp=at(-5))  # older: lands on page 2

    assert len(alice.get(f"/api/feed/?before={cursor}").json()) == 3


def test_writes_outside_the_services_show_at_once(user, friend, alice, movie):
    """The admin, scripts and cascades write through the ORM: caught too."""
    assert feed(alice) == []
    rating = RatingFactory(user=friend, movie=movie, value="2.0", timestamp=at(1))
    assert feed(alice) == [("rating", "fred", {"rating": 2.0})]

    rating.delete()

    assert feed(alice) == []


def test_an_import_drops_every_kept_page(friend, alice, movie):
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    assert len(feed(alice)) == 1
    from movies.models import Rating

    Rating.objects.bulk_create(
        [Rating(user=friend, movie=MovieFactory(), value=1, timestamp=at(2))]
    )
    catalogue.movies_changed()  # what imports call after their bulk writes

    assert len(feed(alice)) == 2


def test_a_strangers_activity_keeps_the_page(user, friend, alice, password, movie):
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    assert len(feed(alice)) == 1
    stranger = UserFactory(username="sam")
    signed_in(stranger, password).post(f"/api/movie/{movie.id}/rate/", {"rating": 1}, format="json")

    with CaptureQueriesContext(connection) as queries:
        assert len(feed(alice)) == 1

    assert queries.captured_queries == []


def test_the_kept_items_are_bounded(user, friend, alice, password, movie, monkeypatch):
    from movies import feed_cache

    monkeypatch.setattr(feed_cache._pages, "max_size", 1)
    other = UserFactory(username="olga")
    FriendshipFactory(user_low=other, user_high=friend)
    RatingFactory(user=friend, movie=movie, timestamp=at(1))
    olga = signed_in(other, password)
    assert len(feed(alice)) == 1
    assert len(feed(olga)) == 1  # alice's page makes room for olga's

    with CaptureQueriesContext(connection) as queries:
        assert len(feed(alice)) == 1

    assert queries.captured_queries != []
