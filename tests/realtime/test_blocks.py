"""Blocks on the socket (REALTIME.md part two): a socket never receives comment frames by a user
its user blocked or is blocked by, including blocks made while it is open; a block never closes
a socket and the blocker's tabs get no event for it. The frame is still serialised once."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from tests.factories import BlockFactory, MovieFactory, UserFactory
from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)


def rest(user, method, path, body=None):
    client = APIClient()
    client.force_authenticate(user)
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code < 300, response.content
    return response.json() if response.content else None


def subscribe(movie_id: int) -> dict:
    return {"action": "subscribe", "stream": "movie", "movie_id": movie_id}


async def subscribed(user, movie_id):
    socket, _ = await open_socket(user)
    await socket.send(subscribe(movie_id))
    assert (await socket.receive())["type"] == "subscribed"
    return socket


def test_comment_frames_of_a_blocked_pair_are_left_out_both_ways():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    BlockFactory(blocker=alice, blocked=bob)
    movie = MovieFactory()

    async def scenario():
        sockets = {u: await subscribed(u, movie.pk) for u in (alice, bob, carol)}
        by_bob = await sync_to_async(rest)(
            bob, "post", f"/api/movie/{movie.pk}/comment/", {"body": "from bob"}
        )
        await sync_to_async(rest)(
            alice, "post", f"/api/movie/{movie.pk}/comment/", {"body": "from alice"}
        )
        await sync_to_async(rest)(
            bob, "delete", f"/api/movie/{movie.pk}/comment/?comment_id={by_bob['data']['id']}"
        )
        carol_got = [await sockets[carol].receive() for _ in range(3)]
        alice_got = await sockets[alice].receive()
        bob_got = [await sockets[bob].receive() for _ in range(2)]
        quiet = [await sockets[u].nothing_received() for u in (alice, bob)]
        for socket in sockets.values():
            await socket.close()
        return carol_got, alice_got, bob_got, quiet

    carol_got, alice_got, bob_got, quiet = run(scenario())
    assert [f["type"] for f in carol_got] == ["comment.created"] * 2 + ["comment.deleted"]
    # Each of the pair sees only their own comment; nothing of the other's, deletion included.
    assert (alice_got["type"], alice_got["data"]["comment"]["body"]) == (
        "comment.created",
        "from alice",
    )
    assert [f["type"] for f in bob_got] == ["comment.created", "comment.deleted"]
    assert bob_got[0]["data"]["comment"]["body"] == "from bob"
    assert quiet == [True, True]


def test_a_block_made_while_the_sockets_are_open_applies_at_once_and_closes_nothing():
    alice, bob = UserFactory(), UserFactory()
    movie = MovieFactory()

    async def scenario():
        alice_socket = await subscribed(alice, movie.pk)
        bob_socket = await subscribed(bob, movie.pk)
        await sync_to_async(rest)(alice, "post", f"/api/user/{bob.pk}/block/")
        quiet_after_block = await alice_socket.nothing_received(0.5)
        await sync_to_async(rest)(
            bob, "post", f"/api/movie/{movie.pk}/comment/", {"body": "after the block"}
        )
        bob_own = await bob_socket.receive()
        alice_quiet = await alice_socket.nothing_received()
        # Unblocking shows the next comment again.
        await sync_to_async(rest)(alice, "delete", f"/api/user/{bob.pk}/block/")
        await alice_socket.send({"action": "ping"})  # the reload has run once the pong comes
        assert (await alice_socket.receive())["type"] == "pong"
        await sync_to_async(rest)(
            bob, "post", f"/api/movie/{movie.pk}/comment/", {"body": "after the unblock"}
        )
        alice_sees = await alice_socket.receive()
        await alice_socket.send({"action": "ping"})
        still_open = (await alice_socket.receive())["type"] == "pong"
        for socket in (alice_socket, bob_socket):
            await socket.close()
        return quiet_after_block, bob_own, alice_quiet, alice_sees, still_open

    quiet_after_block, bob_own, alice_quiet, alice_sees, still_open = run(scenario())
    assert quiet_after_block  # the blocker's own tab gets no event for the block
    assert bob_own["data"]["comment"]["body"] == "after the block"
    assert alice_quiet
    assert alice_sees["data"]["comment"]["body"] == "after the unblock"
    assert still_open
