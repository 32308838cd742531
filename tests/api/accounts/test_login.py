import pytest

pytestmark = pytest.mark.django_db

URL = "/api/token/"


def test_user_can_log_in_with_any_username_case(api_client, user, password):
    response = api_client.post(URL, {"username": "ALICE", "password": password}, format="json")

    assert response.status_code == 201
    assert response.json() == {"detail": "Logged in."}
    assert response.cookies["access_token"].value
    assert response.cookies["refresh_token"]["path"] == "/api/"
    assert api_client.get("/api/user/profile/").json()["username"] == "alice"


def test_wrong_password_and_unknown_user_get_the_same_401(api_client, user):
    wrong = api_client.post(URL, {"username": "alice", "password": "nope"}, format="json")
    unknown = api_client.post(URL, {"username": "nobody", "password": "nope"}, format="json")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"message": "Invalid username or password."}
    assert "access_token" not in wrong.cookies


def test_missing_fields_are_400(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_inactive_user_cannot_log_in(api_client, user, password):
    user.is_active = False
    user.save()
    response = api_client.post(URL, {"username": "alice", "password": password}, format="json")
    assert response.status_code == 401


def test_failed_logins_are_throttled_per_username(api_client, user, password):
    for _ in range(5):
        response = api_client.post(URL, {"username": "alice", "password": "x"}, format="json")
        assert response.status_code == 401
    blocked = api_client.post(URL, {"username": "Alice", "password": password}, format="json")

    assert blocked.status_code == 429
    assert blocked.json()["retry_after"] > 0
    # Another account from the same address is not locked by alice's failures.
    assert (
        api_client.post(URL, {"username": "bob", "password": "x"}, format="json").status_code == 401
    )


def test_failed_logins_are_throttled_per_address(api_client, settings, user, password):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_failures_address": "3/15m"}
    for name in ["a", "b", "c"]:
        api_client.post(URL, {"username": name, "password": "x"}, format="json")
    response = api_client.post(URL, {"username": "alice", "password": password}, format="json")
    assert response.status_code == 429


def test_successful_logins_do_not_count(api_client, user, password):
    for _ in range(8):
        response = api_client.post(URL, {"username": "alice", "password": password}, format="json")
        assert response.status_code == 201


def test_stale_cookie_does_not_block_login(api_client, user, password):
    api_client.cookies["access_token"] = "garbage"
    response = api_client.post(URL, {"username": "alice", "password": password}, format="json")
    assert response.status_code == 201


def test_imported_user_without_password_cannot_log_in(api_client, db):
    from tests.factories import UserFactory

    UserFactory(username="ml_user_1", email=None, password=None)
    response = api_client.post(URL, {"username": "ml_user_1", "password": ""}, format="json")
    assert response.status_code in (400, 401)
    response = api_client.post(URL, {"username": "ml_user_1", "password": "x"}, format="json")
    assert response.status_code == 401
