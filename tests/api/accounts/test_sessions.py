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
