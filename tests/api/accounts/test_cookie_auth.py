"""Cookie and Bearer authentication, and the Origin check for cookie-authenticated writes."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def cookie_client(user, password) -> APIClient:
    client = APIClient()
    assert (
        client.post("/api/token/", {"username": "alice", "password": password}).status_code == 201
    )
    return client


def test_cookie_authenticates(cookie_client):
    assert cookie_client.get("/api/user/profile/").status_code == 200


def test_bearer_header_authenticates(cookie_client):
    access = cookie_client.cookies["access_token"].value
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/user/profile/").status_code == 200


def test_garbage_bearer_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    assert api_client.get("/api/user/profile/").status_code == 401


def test_cookie_post_from_foreign_origin_is_403(cookie_client, user):
    response = cookie_client.patch(
        "/api/user/update/", {"bio": "pwned"}, format="json", HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.bio == ""


def test_cookie_post_with_null_origin_is_403(cookie_client):
    response = cookie_client.post("/api/user/logout/", HTTP_ORIGIN="null")
    assert response.status_code == 403


@pytest.mark.parametrize("origin", [None, "http://testserver", "http://localhost:3000"])
def test_cookie_post_from_own_trusted_or_no_origin_works(cookie_client, origin):
    extra = {"HTTP_ORIGIN": origin} if origin else {}
    response = cookie_client.patch("/api/user/update/", {"bio": "ok"}, format="json", **extra)
    assert response.status_code == 200


def test_bearer_post_from_foreign_origin_works(cookie_client):
    access = cookie_client.cookies["access_token"].value
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = client.patch(
        "/api/user/update/", {"bio": "ok"}, format="json", HTTP_ORIGIN="https://evil.example"
    )
    assert response.status_code == 200


def test_cookie_get_from_foreign_origin_reads_but_cors_does_not_expose(cookie_client):
    response = cookie_client.get("/api/user/profile/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_cors_allows_credentials_for_trusted_origin_and_exposes_total(api_client):
    response = api_client.options(
        "/api/user/profile/",
        HTTP_ORIGIN="http://localhost:3000",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response["Access-Control-Allow-Credentials"] == "true"
    get = api_client.get("/api/health/", HTTP_ORIGIN="http://localhost:3000")
    assert "X-Total-Count" in get["Access-Control-Expose-Headers"]


def test_secure_cookies_over_https(api_client, user, password):
    response = api_client.post(
        "/api/token/", {"username": "alice", "password": password}, secure=True
    )
    assert response.cookies["access_token"]["secure"]
    assert response.cookies["refresh_token"]["secure"]
