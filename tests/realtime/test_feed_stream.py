"""The `feed` stream (REALTIME.md part two): `activity.created` with one /api/feed/ item, to
the subscribed sockets of the actor's friends only, after commit, serialised once per event."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from realtime.groups import FEED_GROUP
from tests.factories import FriendshipFactory, MovieFactory, UserFactory
from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBE = {"action": "subscribe", "stream": "feed"}


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def rest(user, method, path, body=None):
    response = getattr(client_for(user), method)(path, body, format="json")
    assert response.status_code < 300, response.content
    return response


async def feed_socket(user):
    socket, _ = await open_socket(user)
    await socket.send(SUBSCRIBE)
    answer = await socket.receive()
    assert (answer["type"], answer["id"], answer["data"]) == (
        "subscribed",
        None,
        {"stream": "feed"},
    )
    return socket


def test_friends_subscribed_to_feed_get_activity_created_and_nobody_else():
    actor, friend, lazy_friend, stranger = (UserFactory() for _ in range(4))
    FriendshipFactory(user_low=actor, user_high=friend)
    FriendshipFactory(user_low=actor, user_high=lazy_friend)
    movie = MovieFactory()

    async def scenario():
        friend_tabs = [await feed_socket(friend), await feed_socket(friend)]
        lazy, _ = await open_socket(lazy_friend)  # a friend's socket not subscribed to feed
        strangers = await feed_socket(stranger)
        own = await feed_socket(actor)
        await sync_to_async(rest)(actor, "post", f"/api/movie/{movie.pk}/rate/", {"rating": 4})
        await sync_to_async(rest)(actor, "post", f"/api/movie/{movie.pk}/rate/", {"rating": 2})
        await sync_to_async(rest)(
            actor, "post", f"/api/movie/{movie.pk}/comment/", {"body": "Good"}
        )
        frames = [[await tab.receive() for _ in range(3)] for tab in friend_tabs]
        quiet = [await s.nothing_received() for s in (lazy, strangers, own)]
        feed = await sync_to_async(lambda: client_for(friend).get("/api/feed/").json())()
        for socket in (*friend_tabs, lazy, strangers, own):
            await socket.close()
        return frames, quiet, feed

    frames, quiet, feed = run(scenario())
    assert frames[0] == frames[1]
    assert [(f["id"], f["type"]) for f in frames[0]] == [(None, "activity.created")] * 3
    assert [f["data"]["data"] for f in frames[0]] == [
        {"rating": 4.0},
        {"rating": 2.0},  # a re-rating is a new item
        {"comment_id": feed[0]["data"]["comment_id"], "body": "Good"},
    ]
    # Each frame's data is exactly the item /api/feed/ lists (the re-rated one replaced).
    assert [frames[0][2]["data"], frames[0][1]["data"]] == feed
    assert quiet == [True, True, True]


def test_unsubscribe_stops_the_feed_and_the_subscription_counts_toward_50():
    actor, friend = UserFactory(), UserFactory()
    FriendshipFactory(user_low=actor, user_high=friend)
    movies = [MovieFactory() for _ in range(50)]

    async def scenario():
        socket = await feed_socket(friend)
        answers = []
        for movie in movies:
            await socket.send({"action": "subscribe", "stream": "movie", "movie_id": movie.pk})
            answers.append(await socket.receive())
        await socket.send({"action": "unsubscribe", "stream": "feed"})
        unsubscribed = await socket.receive()
        await sync_to_async(rest)(
            actor, "post", f"/api/movie/{movies[0].pk}/comment/", {"body": "x"}
        )
        stream_frame = await socket.receive()  # the movie stream still works
        quiet = await socket.nothing_received()
        await socket.close()
        return answers, unsubscribed, stream_frame, quiet

    answers, unsubscribed, stream_frame, quiet = run(scenario())
    assert [a["type"] for a in answers] == ["subscribed"] * 49 + ["error"]
    assert answers[-1]["data"]["code"] == "too_many_subscriptions"
    assert (unsubscribed["type"], unsubscribed["data"]) == ("unsubscribed", {"stream": "feed"})
    assert stream_frame["type"] == "comment.created"
    assert quiet


def test_one_layer_message_per_event_whatever_the_number_of_friends(layer_listener):
    actor = UserFactory()
    friends = [UserFactory() for _ in range(5)]
    for friend in friends:
        FriendshipFactory(user_low=actor, user_high=friend)
    layer_listener.join(FEED_GROUP)

    rest(actor, "post", f"/api/movie/{MovieFactory().pk}/rate/", {"rating": 3})

    (message,) = layer_listener.drain(FEED_GROUP)
    assert sorted(message["recipients"]) == sorted(f.pk for f in friends)
    assert '"type":"activity.created"' in message["text"]  # the frame, serialised once
