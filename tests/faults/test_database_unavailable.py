"""An unreachable database is a 503 with a JSON message and Retry-After, never a 500.

The database really is unreachable here: the connection is pointed at a place where no database
can be opened (a port nobody listens on for PostgreSQL, a missing folder for SQLite), so the
driver raises its own OperationalError on connect. The settings are restored afterwards.
"""

from collections.abc import Iterator

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from tests.realtime.conftest import Socket, access_token_for, handshake_headers, run
from tests.realtime.live import _free_port

pytestmark = pytest.mark.django_db(transaction=True)

UNAVAILABLE = {"message": "Service temporarily unavailable"}


class Outage:
    def __init__(self) -> None:
        self.saved = dict(connection.settings_dict)

    def begin(self) -> None:
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent-folder/movieconnect.sqlite3"
        else:
            connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_free_port()))

    def end(self) -> None:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(self.saved)


@pytest.fixture
def database_down() -> Iterator[Outage]:
    outage = Outage()
    outage.begin()
    try:
        yield outage
    finally:
        outage.end()


@pytest.fixture
def token() -> str:
    return access_token_for(UserFactory(username="alice", email="alice@example.com"))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/user/profile/", None),
        ("get", "/api/movie/1/", None),
        ("get", "/api/movies/popular/", None),
        ("post", "/api/movie/1/rate/", {"rating": 4}),
        ("post", "/api/movie/1/comment/", {"body": "Hello"}),
    ],
)
def test_authenticated_requests_get_503(token, database_down, method, path, body):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = getattr(client, method)(path, body, format="json")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "5"


def test_login_and_signup_get_503(database_down):
    client = APIClient()

    login = client.post("/api/token/", {"username": "alice", "password": PASSWORD})
    signup = client.post(
        "/api/user/signup/",
        {
            "username": "bob",
            "email": "bob@example.com",
            "password": PASSWORD,
            "birth_date": "1990-01-01",
        },
    )

    assert (login.status_code, login.json()) == (503, UNAVAILABLE)
    assert (signup.status_code, signup.json()) == (503, UNAVAILABLE)


def test_health_says_unavailable(database_down):
    response = APIClient().get("/api/health/")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_requests_succeed_again_once_the_database_is_back(token, database_down):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    down = client.get("/api/user/profile/")

    database_down.end()
    back = client.get("/api/user/profile/")

    assert down.status_code == 503
    assert back.status_code == 200
    assert back.json()["username"] == "alice"


def test_websocket_handshake_is_told_to_come_back_later(token, database_down):
    async def scenario() -> int | None:
        socket = Socket(handshake_headers(cookie=token))
        assert await socket.connect()
        return await socket.receive_close()

    assert run(scenario()) == 4503  # not 4401: the session is not over
