"""The home rows and `recommendations.updated` (API.md part two "Home page"): after a rating,
the event arrives on the user's socket, the rows are already refreshed when it does (the
endpoint answers from what the refresh stored, without a query), and the `top_picks` row holds
exactly the movies the event announces, in its order. Once on the ASGI application in this
process, and once end to end: a daphne server refreshing off the request path as production
does, a real WebSocket client, REST over HTTP."""

import asyncio
from decimal import Decimal

import pytest
import requests
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import RatingFactory
from tests.realtime.conftest import access_token_for, open_socket, run
from tests.realtime.live import start_live_server, stop_live_server
from tests.realtime.test_live_server import open_ws, recv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

ROWS = "/api/user/movies/lists/"


def _without_reason(movies):
    return [{k: v for k, v in movie.items() if k != "reason"} for movie in movies]


def _assert_rows_match_the_event(rows, data, rated, model_version):
    assert data["model_version"] == model_version
    keys = [row["key"] for row in rows]
    assert keys[0] == "top_picks"
    top = rows[0]
    assert top["reason"] == {"type": "model", "model_version": model_version}
    # The event's list is the REST list's first 20: the row shows the same movies, in order.
    assert _without_reason(top["movies"]) == data["movies"]
    # The movie just rated seeds the first "because you liked" row and is in no row.
    assert rows[1]["key"] == "because_you_liked"
    assert rows[1]["reason"]["movie"] == {"id": rated.id, "title": rated.title}
    assert rated.id not in {m["id"] for row in rows for m in row["movies"]}


def test_after_a_rating_the_event_arrives_with_the_rows_ready(tiny_model, planted, user):
    for movie in planted.action[:5]:
        RatingFactory(user=user, movie=movie, value=Decimal("4.5"))
    client = APIClient()
    client.force_authenticate(user)
    before = client.get(ROWS, {"limit": 20}).json()  # cached before the rating
    rated = planted.action[5]

    def rate():
        response = client.post(f"/api/movie/{rated.id}/rate/", {"rating": 5}, format="json")
        assert response.status_code == 201

    def rows_now():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(ROWS, {"limit": 20})
        assert response.status_code == 200
        return response.json(), len(queries)

    async def scenario():
        socket, _ = await open_socket(user)
        await sync_to_async(rate)()
        frame = await socket.receive()
        rows, queries = await sync_to_async(rows_now)()  # as a client does on the event
        await socket.close()
        return frame, rows, queries

    frame, rows, queries = run(scenario())
    assert frame["type"] == "recommendations.updated"
    assert queries == 0, "the refresh stored the rows before it published the event"
    assert rows != before
    _assert_rows_match_the_event(rows, frame["data"], rated, tiny_model)


def test_end_to_end_on_a_live_server(tiny_model, planted, user, model_dir):
    for movie in planted.action[:5]:
        RatingFactory(user=user, movie=movie, value=Decimal("4.5"))
    rated = planted.action[5]
    token = access_token_for(user)
    bearer = {"Authorization": f"Bearer {token}"}
    process, server = start_live_server(extra_env={"TEST_ML_MODEL_DIR": str(model_dir)})
    try:
        warm = requests.get(f"{server.url}{ROWS}?limit=20", headers=bearer, timeout=60)
        assert warm.status_code == 200  # the server loads the model and caches the rows

        async def scenario():
            ws = await open_ws(server, cookie=token)
            assert (await recv(ws))["type"] == "hello"
            rated_response = await asyncio.to_thread(
                requests.post,
                f"{server.url}/api/movie/{rated.id}/rate/",
                json={"rating": 5},
                headers={**bearer, "Origin": server.origin},
                timeout=30,
            )
            assert rated_response.status_code == 201, rated_response.content
            frame = await asyncio.wait_for(recv(ws), 30)
            rows = await asyncio.to_thread(
                requests.get, f"{server.url}{ROWS}?limit=20", headers=bearer, timeout=30
            )
            await ws.close()
            return frame, rows

        frame, rows = run(scenario())
    finally:
        stop_live_server(process)
    assert frame["type"] == "recommendations.updated"
    assert rows.status_code == 200
    _assert_rows_match_the_event(rows.json(), frame["data"], rated, tiny_model)
