import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_sees_their_profile(auth_client, user):
    response = auth_client.get("/api/user/profile/")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "username": "alice",
        "email": "alice@example.com",
        "birth_date": "1990-05-17",
        "is_private": False,
        "bio": "",
    }


def test_profile_without_trailing_slash(auth_client):
    assert auth_client.get("/api/user/profile").status_code == 200


def test_anonymous_gets_401(api_client):
    response = api_client.get("/api/user/profile/")
    assert response.status_code == 401
    assert "message" in response.json()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_user_can_update_profile_fields(auth_client, user, method):
    body = {"username": "alice2", "email": "a2@example.com", "bio": "Film nerd", "is_private": True}
    response = getattr(auth_client, method)("/api/user/update/", body, format="json")

    assert response.status_code == 200
    assert response.json() == {"message": "Profile updated."}
    user.refresh_from_db()
    assert (user.username, user.email, user.bio, user.is_private) == (
        "alice2",
        "a2@example.com",
        "Film nerd",
        True,
    )


def test_partial_update_leaves_other_fields(auth_client, user):
    auth_client.put("/api/user/update/", {"bio": "Hi"}, format="json")
    user.refresh_from_db()
    assert (user.username, user.bio, user.is_private) == ("alice", "Hi", False)


def test_keeping_own_username_in_other_case_is_allowed(auth_client, user):
    response = auth_client.patch("/api/user/update/", {"username": "Alice"}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "BOB"),
        ("email", "BOB@example.com"),
        ("password", "password"),
        ("password", "short"),
        ("is_private", "maybe"),
        ("is_private", 1),
        ("is_private", None),
        ("username", ""),
        ("bio", "x" * 1001),
    ],
)
def test_bad_update_is_400_naming_the_field(auth_client, user, other_user, field, value):
    response = auth_client.patch("/api/user/update/", {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert user.username == "alice"


def test_server_owned_fields_are_ignored(auth_client, user):
    body = {"id": 999, "is_staff": True, "is_superuser": True, "auth_generation": 7, "bio": "x"}
    auth_client.patch("/api/user/update/", body, format="json")
    user.refresh_from_db()
    assert (user.id, user.is_staff, user.is_superuser, user.auth_generation) != (999, True, True, 7)
    assert not user.is_staff
    assert not user.is_superuser


def test_update_needs_authentication(api_client):
    assert api_client.patch("/api/user/update/", {"bio": "x"}, format="json").status_code == 401


def test_form_posted_boolean_string_is_accepted(auth_client, user):
    response = auth_client.patch("/api/user/update/", {"is_private": "true"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_private is True


def test_null_bytes_are_refused(auth_client):
    response = auth_client.patch("/api/user/update/", {"bio": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert "bio" in response.json()


def test_two_users_cannot_both_take_a_username(db):
    UserFactory(username="dave")
    client = APIClient()
    body = {
        "username": "Dave",
        "email": "d@example.com",
        "password": "Sturdy-Pass-77",
        "birth_date": "1990-01-01",
    }
    assert client.post("/api/user/signup/", body, format="json").status_code == 400
