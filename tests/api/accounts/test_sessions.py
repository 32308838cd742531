"""Refresh, logout and deletion: which tokens keep working afterwards."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User

pytestmark = pytest.mark.django_db


def login(client: APIClient, password: str, username: str = "alice"):
    response = client.post(
        "/api/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 201
    return response.cookies["access_token"].value, response.cookies["refresh_token"].value


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_refresh_rotates_and_refuses_the_old_token(api_client, user, password):
    _, old_refresh = login(api_client, password)

    response = api_client.post("/api/token/refresh/")

    assert response.status_code == 200
    assert response.json() == {"detail": "Token refreshed."}
    new_refresh = response.cookies["refresh_token"].value
    assert new_refresh != old_refresh
    assert response.cookies["refresh_token"]["path"] == "/api/"
    assert (
        bearer(response.cookies["access_token"].value).get("/api/user/profile/").status_code == 200
    )
    replay = APIClient().post("/api/token/refresh/", {"refresh": old_refresh}, format="json")
    assert replay.status_code == 401
    assert (
        APIClient().post("/api/token/refresh", {"refresh": new_refresh}, format="json").status_code
        == 200
    )


@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": "not-a-token"}])
def test_refresh_without_a_valid_token_is_401(api_client, body):
    assert api_client.post("/api/token/refresh/", body, format="json").status_code == 401


def test_access_token_is_not_a_refresh_token(api_client, user, password):
    access, _ = login(api_client, password)
    response = APIClient().post("/api/token/refresh/", {"refresh": access}, format="json")
    assert response.status_code == 401


def test_logout_clears_cookies_and_ends_the_refresh_token(api_client, user, password):
    _, refresh = login(api_client, password)

    response = api_client.post("/api/user/logout/")

    assert response.status_code == 200
    assert response.json() == {"detail": "Logged out."}
    assert response.cookies["access_token"].value == ""
    assert response.cookies["access_token"]["max-age"] == 0
    assert response.cookies["refresh_token"].value == ""
    assert response.cookies["refresh_token"]["path"] == "/api/"
    assert api_client.get("/api/user/profile/").status_code == 401
    replay = APIClient().post("/api/token/refresh/", {"refresh": refresh}, format="json")
    assert replay.status_code == 401


def test_logout_needs_authentication(api_client):
    assert api_client.post("/api/user/logout/").status_code == 401


def test_user_can_delete_their_account(api_client, user, other_user, password):
    access, refresh = login(api_client, password)

    response = api_client.delete("/api/user/delete/")

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert User.objects.filter(pk=other_user.pk).exists()
    assert response.cookies["access_token"].value == ""
    assert response.cookies["refresh_token"]["path"] == "/api/"
    assert bearer(access).get("/api/user/profile/").status_code == 401
    replay = APIClient().post("/api/token/refresh/", {"refresh": refresh}, format="json")
    assert replay.status_code == 401


def test_delete_needs_authentication(api_client, user):
    assert api_client.delete("/api/user/delete/").status_code == 401
    assert User.objects.filter(pk=user.pk).exists()


def test_password_change_ends_every_other_session(api_client, user, password):
    other_device = APIClient()
    old_access, old_refresh = login(other_device, password)
    login(api_client, password)

    response = api_client.patch(
        "/api/user/update/", {"password": "Brand-New-Secret-99"}, format="json"
    )

    assert response.status_code == 200
    assert bearer(old_access).get("/api/user/profile/").status_code == 401
    assert other_device.get("/api/user/profile/").status_code == 401
    replay = APIClient().post("/api/token/refresh/", {"refresh": old_refresh}, format="json")
    assert replay.status_code == 401
    # The session that changed the password carries on with fresh cookies.
    assert api_client.get("/api/user/profile/").status_code == 200
    assert login(APIClient(), "Brand-New-Secret-99")


def test_refresh_errors_say_what_is_wrong(api_client, user, password):
    _, refresh = login(api_client, password)
    first = APIClient().post("/api/token/refresh/", {"refresh": refresh}, format="json")
    assert first.status_code == 200

    for token, message in [
        ("not-a-token", "Refresh token is invalid or expired."),
        (refresh, "Refresh token is invalid or expired."),  # blacklisted by the rotation
    ]:
        response = APIClient().post("/api/token/refresh/", {"refresh": token}, format="json")
        assert response.status_code == 401
        assert response.json() == {"message": message}
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.django_db(transaction=True)
def test_logout_ends_sockets_only_once_the_refresh_token_is_dead(api_client, user, password):
    """A tab whose socket closes reconnects at once: by then its refresh token must be refused."""
    from django.db import transaction
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    from accounts.hooks import sessions_ended

    login(api_client, password)
    seen: list[bool] = []

    def on_sessions_ended(*, user_id: int) -> None:  # where realtime closes the sockets
        transaction.on_commit(lambda: seen.append(BlacklistedToken.objects.exists()))

    sessions_ended.register(on_sessions_ended)
    try:
        assert api_client.post("/api/user/logout/").status_code == 200
    finally:
        sessions_ended.unregister(on_sessions_ended)
    assert seen == [True]
