"""Double clicks and crossing requests, from threads with their own database connections.

On Postgres the calls really overlap, so the row locks and constraints are what is tested. The
SQLite test database is in-memory with a shared cache, where concurrent writers fail at once with
"table is locked" (no busy timeout applies), so there the calls take turns: the same assertions
still hold for a double click arriving just after the first.
"""

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from social.models import FriendRequest, Friendship
from tests.factories import FriendRequestFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same moment, each in its own thread and DB connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            with turns:
                results[i] = call()
        except Exception as exc:  # reported by the assertion below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert not [r for r in results if isinstance(r, Exception)]
    return results


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_many_identical_sends_make_one_request():
    alice, bob = UserFactory(), UserFactory()

    responses = run_parallel(
        [lambda: client_for(alice).post(f"/api/send-friend-request/{bob.id}/")] * 8
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: 7}
    fr = FriendRequest.objects.get()
    assert (fr.from_user_id, fr.to_user_id) == (alice.id, bob.id)
    created = next(r for r in responses if r.status_code == 201)
    assert created.json()["request_id"] == fr.id
    for r in responses:
        if r.status_code == 409:
            assert r.json() == {"message": "Friend request already sent."}


def test_crossing_sends_make_one_request_and_point_the_loser_at_it():
    alice, bob = UserFactory(), UserFactory()

    for _ in range(3):  # a few rounds to catch either ordering
        responses = run_parallel(
            [
                lambda: client_for(alice).post(f"/api/send-friend-request/{bob.id}/"),
                lambda: client_for(bob).post(f"/api/send-friend-request/{alice.id}/"),
            ]
        )

        assert sorted(r.status_code for r in responses) == [201, 409]
        fr = FriendRequest.objects.get()
        winner = next(r for r in responses if r.status_code == 201)
        loser = next(r for r in responses if r.status_code == 409)
        assert winner.json()["request_id"] == fr.id
        assert loser.json() == {
            "message": "This user has already sent you a friend request.",
            "incoming_request_id": fr.id,
        }
        fr.delete()


def test_parallel_accepts_make_one_friendship():
    alice, bob = UserFactory(), UserFactory()
    fr = FriendRequestFactory(from_user=bob, to_user=alice)

    responses = run_parallel(
        [lambda: client_for(alice).post(f"/api/friend-requests/update/{fr.id}/")] * 6
    )

    assert Counter(r.status_code for r in responses) == {200: 1, 404: 5}
    assert Friendship.objects.count() == 1
    fr.refresh_from_db()
    assert fr.accepted is True


def test_accept_racing_cancel_leaves_a_consistent_pair():
    alice, bob = UserFactory(), UserFactory()
    fr = FriendRequestFactory(from_user=bob, to_user=alice)

    accept, cancel = run_parallel(
        [
            lambda: client_for(alice).post(f"/api/friend-requests/update/{fr.id}/"),
            lambda: client_for(bob).delete(f"/api/friend-requests/cancel/{fr.id}/"),
        ]
    )

    if accept.status_code == 200:
        assert cancel.status_code == 404
        assert Friendship.objects.count() == 1
        assert FriendRequest.objects.get().accepted is True
    else:
        assert (accept.status_code, cancel.status_code) == (404, 204)
        assert not Friendship.objects.exists()
        assert not FriendRequest.objects.exists()


def test_parallel_removals_remove_once():
    alice, bob = UserFactory(), UserFactory()
    fr = FriendRequestFactory(from_user=bob, to_user=alice)
    client_for(alice).post(f"/api/friend-requests/update/{fr.id}/")

    responses = run_parallel(
        [
            lambda: client_for(alice).delete(f"/api/user/remove-friend/{bob.id}/"),
            lambda: client_for(bob).delete(f"/api/user/remove-friend/{alice.id}/"),
        ]
    )

    assert sorted(r.status_code for r in responses) == [204, 404]
    assert not Friendship.objects.exists()
    assert not FriendRequest.objects.exists()
