"""Movie streams: subscribe, fan-out of stream events, unsubscribe, limits."""

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from realtime.events import broadcast_movie_on_commit
from realtime.fanout import movie_relay
from tests.factories import MovieFactory
from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)


def make_movie_ids(n: int) -> list[int]:
    return [MovieFactory().pk for _ in range(n)]


def broadcast(movie_id: int, type: str, data: dict) -> None:
    with transaction.atomic():
        broadcast_movie_on_commit(movie_id=movie_id, type=type, data=data)


def subscribe(movie_id: int) -> dict:
    return {"action": "subscribe", "stream": "movie", "movie_id": movie_id}


def test_subscribers_get_the_movies_stream_events(live_user, live_other_user):
    heat, alien = make_movie_ids(2)
    event = {"movie_id": heat, "average_rating": 4.5, "ratings_count": 2}

    async def scenario():
        alice, _ = await open_socket(live_user)
        bob, _ = await open_socket(live_other_user)
        alice_elsewhere, _ = await open_socket(live_user)
        answers = []
        for socket, movie in ((alice, heat), (bob, heat), (alice_elsewhere, alien)):
            await socket.send(subscribe(movie))
            answers.append(await socket.receive())
        await sync_to_async(broadcast)(heat, "movie.rating_changed", event)
        frames = [await alice.receive(), await bob.receive()]
        quiet = await alice_elsewhere.nothing_received()
        for socket in (alice, bob, alice_elsewhere):
            await socket.close()
        return answers, frames, quiet

    answers, frames, quiet = run(scenario())
    assert [(a["type"], a["id"], a["data"]) for a in answers] == [
        ("subscribed", None, {"stream": "movie", "movie_id": heat}),
        ("subscribed", None, {"stream": "movie", "movie_id": heat}),
        ("subscribed", None, {"stream": "movie", "movie_id": alien}),
    ]
    for frame in frames:
        assert (frame["id"], frame["type"], frame["data"]) == (None, "movie.rating_changed", event)
        assert frame["ts"].endswith("Z")
    assert quiet


def test_unsubscribe_stops_the_stream(live_user):
    (heat,) = make_movie_ids(1)

    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send(subscribe(heat))
        await socket.receive()
        await socket.send({"action": "unsubscribe", "stream": "movie", "movie_id": heat})
        answer = await socket.receive()
        await sync_to_async(broadcast)(heat, "comment.deleted", {"movie_id": heat, "comment_id": 1})
        quiet = await socket.nothing_received()
        await socket.close()
        return answer, quiet

    answer, quiet = run(scenario())
    assert (answer["type"], answer["data"]) == (
        "unsubscribed",
        {"stream": "movie", "movie_id": heat},
    )
    assert quiet


def test_a_rolled_back_comment_is_not_broadcast(live_user):
    (heat,) = make_movie_ids(1)

    def failing_service():
        with transaction.atomic():
            broadcast_movie_on_commit(movie_id=heat, type="comment.deleted", data={})
            raise RuntimeError("rolled back")

    def rolled_back():
        with pytest.raises(RuntimeError):
            failing_service()

    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send(subscribe(heat))
        await socket.receive()
        await sync_to_async(rolled_back)()
        quiet = await socket.nothing_received(timeout=0.5)
        await socket.close()
        return quiet

    assert run(scenario())


def test_51st_subscription_is_refused_and_the_socket_stays_open(live_user):
    ids = make_movie_ids(51)

    async def scenario():
        socket, _ = await open_socket(live_user)
        for movie_id in ids[:50]:
            await socket.send(subscribe(movie_id))
            assert (await socket.receive())["type"] == "subscribed"
        await socket.send(subscribe(ids[0]))  # already held: not counted twice
        again = await socket.receive()
        await socket.send(subscribe(ids[50]))
        refused = await socket.receive()
        await socket.send({"action": "unsubscribe", "stream": "movie", "movie_id": ids[0]})
        await socket.receive()
        await socket.send(subscribe(ids[50]))
        accepted = await socket.receive()
        await socket.close()
        return again, refused, accepted

    again, refused, accepted = run(scenario())
    assert again["type"] == "subscribed"
    assert (refused["type"], refused["data"]["code"]) == ("error", "too_many_subscriptions")
    assert accepted["type"] == "subscribed"


def test_unknown_movie_is_not_found(live_user):
    """Needs movies.Movie: fails until the catalogue branch is merged."""

    async def scenario():
        socket, _ = await open_socket(live_user)
        await socket.send(subscribe(987654321))
        answer = await socket.receive()
        await socket.send({"action": "ping"})
        pong = await socket.receive()
        await socket.close()
        return answer, pong

    answer, pong = run(scenario())
    assert answer["type"] == "error"
    assert answer["data"] == {"code": "not_found", "message": "Movie not found"}
    assert pong["type"] == "pong"


def test_closed_sockets_leave_the_process_relay(live_user, live_other_user):
    heat, alien = make_movie_ids(2)

    async def scenario():
        alice, _ = await open_socket(live_user)
        bob, _ = await open_socket(live_other_user)
        for socket in (alice, bob):
            for movie in (heat, alien):
                await socket.send(subscribe(movie))
                await socket.receive()
        relay = movie_relay()
        during = {movie: len(members) for movie, members in relay.members.items()}
        await alice.close()  # closed without unsubscribing
        await sync_to_async(broadcast)(heat, "comment.deleted", {"movie_id": heat, "comment_id": 2})
        bob_frame = await bob.receive()
        await bob.close()
        return during, bob_frame, dict(relay.members)

    during, bob_frame, after = run(scenario())
    assert during == {heat: 2, alien: 2}
    assert bob_frame["type"] == "comment.deleted"
    assert after == {}
