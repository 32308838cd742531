"""OWASP API1 on the socket: who may subscribe to what.

Movie streams carry public data (comments, averages): any signed-in user may subscribe, and
nobody without a valid token gets past the handshake. Personal streams are not subscribable:
each socket gets its own user's notifications and can name no other user's.
"""

import pytest

from tests.factories import FriendshipFactory, MovieFactory, UserFactory
from tests.realtime.conftest import Socket, handshake_headers, open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)


def subscribe(movie_id: int) -> dict:
    return {"action": "subscribe", "stream": "movie", "movie_id": movie_id}


@pytest.mark.parametrize("actor", ["owner", "friend", "other"])
def test_any_signed_in_user_may_follow_a_movie_stream(actor):
    alice = UserFactory(username="alice", is_private=True)
    friend = UserFactory(username="fred")
    FriendshipFactory(user_low=alice, user_high=friend)
    users = {"owner": alice, "friend": friend, "other": UserFactory(username="olga")}
    movie = MovieFactory()

    async def scenario():
        socket, hello = await open_socket(users[actor])
        await socket.send(subscribe(movie.pk))
        answer = await socket.receive()
        await socket.close()
        return hello, answer

    hello, answer = run(scenario())
    assert hello["data"]["user"]["id"] == users[actor].pk
    assert (answer["type"], answer["data"]) == (
        "subscribed",
        {"stream": "movie", "movie_id": movie.pk},
    )


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_anonymous_sockets_are_closed_before_any_subscription(token):
    movie = MovieFactory()

    async def scenario():
        socket = Socket(handshake_headers(cookie=token))
        await socket.connect()
        await socket.send(subscribe(movie.pk))
        return await socket.receive_close()

    assert run(scenario()) == 4401


@pytest.mark.parametrize(
    "frame",
    [
        {"action": "subscribe", "stream": "user", "user_id": "{bob}"},
        {"action": "subscribe", "stream": "notifications", "user_id": "{bob}"},
        {"action": "subscribe", "stream": "movie", "movie_id": 10**30},
    ],
)
def test_no_frame_subscribes_to_another_users_stream_or_an_absurd_movie(frame):
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    frame = {k: bob.pk if v == "{bob}" else v for k, v in frame.items()}

    async def scenario():
        socket, _ = await open_socket(alice)
        await socket.send(frame)
        answer = await socket.receive()
        await socket.close()
        return answer

    answer = run(scenario())
    assert answer["type"] == "error"
    assert answer["data"]["code"] == "invalid_frame"
