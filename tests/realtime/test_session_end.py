"""Logout, password change, password reset and account deletion close every socket of the user
with 4401."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from tests.api.accounts.reset import request_reset
from tests.realtime.conftest import open_socket, run

pytestmark = pytest.mark.django_db(transaction=True)

CLOSE_WITHIN = 1.0  # seconds: REALTIME.md "within a second"


def logged_in_client(username: str, password: str) -> APIClient:
    client = APIClient()
    response = client.post("/api/token/", {"username": username, "password": password})
    assert response.status_code == 201
    return client


def _close_codes_after(user, other_user, password, action):
    client = logged_in_client("alice", password)

    async def scenario():
        tab1, _ = await open_socket(user)
        tab2, _ = await open_socket(user)
        bobs, _ = await open_socket(other_user)
        response = await sync_to_async(action)(client)
        codes = [
            await tab1.receive_close(timeout=CLOSE_WITHIN),
            await tab2.receive_close(timeout=CLOSE_WITHIN),
        ]
        await bobs.send({"action": "ping"})
        bob_still_open = (await bobs.receive())["type"] == "pong"
        await bobs.close()
        return response, codes, bob_still_open

    return run(scenario())


def test_logout_closes_the_users_sockets(live_user, live_other_user, password):
    response, codes, bob_still_open = _close_codes_after(
        live_user, live_other_user, password, lambda c: c.post("/api/user/logout/")
    )
    assert response.status_code == 200
    assert codes == [4401, 4401]
    assert bob_still_open


def test_password_reset_closes_the_users_sockets(live_user, live_other_user, password):
    def reset(client: APIClient):
        anonymous = APIClient()
        params = request_reset(anonymous, "alice@example.com")
        return anonymous.post(
            "/api/user/password-reset/confirm/",
            {**params, "password": "Reset-By-Mail-Passphrase-3"},
            format="json",
        )

    response, codes, bob_still_open = _close_codes_after(
        live_user, live_other_user, password, reset
    )
    assert response.status_code == 200
    assert codes == [4401, 4401]
    assert bob_still_open


def test_password_change_closes_the_users_sockets(live_user, live_other_user, password):
    response, codes, bob_still_open = _close_codes_after(
        live_user,
        live_other_user,
        password,
        lambda c: c.patch("/api/user/update/", {"password": "An0ther-Long-Passphrase"}),
    )
    assert response.status_code == 200
    assert codes == [4401, 4401]
    assert bob_still_open


def test_profile_change_without_password_keeps_sockets_open(live_user, password):
    client = logged_in_client("alice", password)

    async def scenario():
        socket, _ = await open_socket(live_user)
        response = await sync_to_async(client.patch)("/api/user/update/", {"bio": "Hi"})
        quiet = await socket.nothing_received(timeout=0.5)
        await socket.close()
        return response, quiet

    response, quiet = run(scenario())
    assert response.status_code == 200
    assert quiet


def test_account_deletion_closes_the_users_sockets(live_user, live_other_user, password):
    response, codes, bob_still_open = _close_codes_after(
        live_user, live_other_user, password, lambda c: c.delete("/api/user/delete/")
    )
    assert response.status_code == 204
    assert codes == [4401, 4401]
    assert bob_still_open
