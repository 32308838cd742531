import datetime

import pytest
from django.utils import timezone

from accounts.models import User

pytestmark = pytest.mark.django_db

URL = "/api/user/signup/"


def signup_body(**overrides):
    body = {
        "username": "carol",
        "email": "carol@example.com",
        "password": "Sturdy-Passphrase-42",
        "birth_date": "1994-02-03",
    }
    body.update(overrides)
    return body


def test_visitor_can_sign_up_and_is_signed_in(api_client):
    response = api_client.post(URL, signup_body(), format="json")

    assert response.status_code == 201
    assert response.json() == {"detail": "Account created."}
    user = User.objects.get(username="carol")
    assert user.email == "carol@example.com"
    assert user.birth_date == datetime.date(1994, 2, 3)
    assert user.check_password("Sturdy-Passphrase-42")
    access, refresh = response.cookies["access_token"], response.cookies["refresh_token"]
    assert access["httponly"]
    assert refresh["httponly"]
    assert access["samesite"] == "Lax"
    assert refresh["samesite"] == "Lax"
    assert access["path"] == "/"
    assert refresh["path"] == "/api/"
    assert int(access["max-age"]) == 3600
    assert not access["secure"]  # plain HTTP in tests; Secure over HTTPS (see test_cookies)
    assert "access" not in response.content.decode()
    profile = api_client.get("/api/user/profile/")
    assert profile.status_code == 200
    assert profile.json()["username"] == "carol"


def test_signup_without_trailing_slash_works_without_redirect(api_client):
    response = api_client.post(URL.rstrip("/"), signup_body(), format="json")
    assert response.status_code == 201


def test_form_encoded_signup_works(api_client):
    response = api_client.post(URL, signup_body())
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", "ALICE"), ("email", "Alice@Example.COM")],
)
def test_duplicate_username_or_email_in_any_case_is_400(api_client, user, field, value):
    response = api_client.post(URL, signup_body(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "carol2024"])
def test_weak_password_is_400(api_client, password):
    response = api_client.post(URL, signup_body(password=password), format="json")

    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "birth_date",
    [
        (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
        timezone.localdate().isoformat(),
        "1994-13-01",
        "03/02/1994",
        "yesterday",
        "",
        None,
        12,
        "1850-01-01",
    ],
)
def test_bad_birth_date_is_400(api_client, birth_date):
    response = api_client.post(URL, signup_body(birth_date=birth_date), format="json")

    assert response.status_code == 400
    assert "birth_date" in response.json()


@pytest.mark.parametrize("field", ["username", "email", "password", "birth_date"])
def test_missing_field_is_400_naming_it(api_client, field):
    body = signup_body()
    del body[field]
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    ("field", "value"),
    [("username", "has space"), ("username", "x" * 151), ("email", "not-an-email")],
)
def test_malformed_username_or_email_is_400(api_client, field, value):
    response = api_client.post(URL, signup_body(**{field: value}), format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_malformed_json_is_400_with_message(api_client):
    response = api_client.post(URL, '{"username": "carol",', content_type="application/json")

    assert response.status_code == 400
    assert "message" in response.json()


def test_wrong_content_type_is_400_with_message(api_client):
    response = api_client.post(URL, "username=carol", content_type="text/plain")

    assert response.status_code == 400
    assert "message" in response.json()


def test_json_array_body_is_400(api_client):
    response = api_client.post(URL, [1, 2], format="json")

    assert response.status_code == 400
    assert "message" in response.json()


def test_signup_is_throttled_per_address(api_client, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "signup_address": "2/h"}
    for i in range(2):
        body = signup_body(username=f"u{i}", email=f"u{i}@example.com")
        assert api_client.post(URL, body, format="json").status_code == 201
    response = api_client.post(URL, signup_body(), format="json")

    assert response.status_code == 429
    assert "message" in response.json()
    assert int(response["Retry-After"]) > 0
