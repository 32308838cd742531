"""Logout ends the session for every client, cookies or not (issue 14).

A client without cookies signs in, reads its tokens from `Set-Cookie`, and calls with
`Authorization: Bearer`. Its logout used to revoke nothing: the refresh token stayed valid for
seven days and a `refresh` in the body was ignored.
"""

import pytest
from rest_framework.test import APIClient

from accounts.models import RevokedSession, User
from tests.factories import PASSWORD, UserFactory
from tests.races import run_parallel

pytestmark = pytest.mark.django_db

LOGGED_OUT = {"detail": "Logged out."}


def login(username: str = "alice") -> tuple[str, str]:
    """Sign in as a non-browser client: the tokens from Set-Cookie, no cookie jar kept."""
    response = APIClient().post(
        "/api/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201
    return response.cookies["access_token"].value, response.cookies["refresh_token"].value


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def refresh(raw: str):
    return APIClient().post("/api/token/refresh/", {"refresh": raw}, format="json")


def logout(access: str, **body: str):
    return bearer(access).post("/api/user/logout/", body, format="json")


def test_bearer_logout_with_refresh_in_body_ends_both_tokens(user):
    access, refresh_token = login()

    response = logout(access, refresh=refresh_token)

    assert response.status_code == 200
    assert response.json() == LOGGED_OUT
    assert refresh(refresh_token).status_code == 401
    assert bearer(access).get("/api/user/profile/").status_code == 401


def test_bearer_logout_without_a_body_still_ends_the_session(user):
    """The access token names its session, so the refresh token dies with it unseen."""
    access, refresh_token = login()

    response = bearer(access).post("/api/user/logout/")

    assert response.status_code == 200
    assert bearer(access).get("/api/user/profile/").status_code == 401
    assert refresh(refresh_token).status_code == 401


def test_logout_ends_refresh_tokens_rotated_from_the_session(user):
    """A client that refreshed keeps the session id: a stolen earlier pair's successor dies too."""
    first_access, first_refresh = login()
    rotated = refresh(first_refresh)
    assert rotated.status_code == 200
    access, refresh_token = (
        rotated.cookies["access_token"].value,
        rotated.cookies["refresh_token"].value,
    )

    assert logout(first_access).status_code == 200  # the first access token is still valid

    assert bearer(access).get("/api/user/profile/").status_code == 401
    assert refresh(refresh_token).status_code == 401


def test_logout_leaves_the_users_other_sessions(user):
    phone_access, phone_refresh = login()
    laptop_access, laptop_refresh = login()

    assert logout(phone_access, refresh=phone_refresh).status_code == 200

    assert bearer(laptop_access).get("/api/user/profile/").status_code == 200
    assert refresh(laptop_refresh).status_code == 200


def test_a_second_logout_with_the_ended_session_is_401(user):
    access, refresh_token = login()
    assert logout(access, refresh=refresh_token).status_code == 200

    assert logout(access, refresh=refresh_token).status_code == 401


def test_another_users_refresh_token_in_the_body_is_not_revoked(user, other_user):
    access, _ = login("alice")
    bob_access, bob_refresh = login("bob")

    assert logout(access, refresh=bob_refresh).status_code == 200

    assert bearer(bob_access).get("/api/user/profile/").status_code == 200
    assert refresh(bob_refresh).status_code == 200


@pytest.mark.parametrize("value", ["not-a-token", ""])
def test_unusable_refresh_in_the_body_still_logs_out(user, value):
    access, refresh_token = login()

    assert logout(access, refresh=value).status_code == 200

    assert bearer(access).get("/api/user/profile/").status_code == 401
    assert refresh(refresh_token).status_code == 401


@pytest.mark.parametrize("value", [["x"], 0, None, {"token": "x"}])
def test_non_string_refresh_in_the_body_is_400_naming_it(user, value):
    access, _ = login()
    response = bearer(access).post("/api/user/logout/", {"refresh": value}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"refresh"}
    assert bearer(access).get("/api/user/profile/").status_code == 200


def test_cookie_logout_also_ends_copies_of_the_access_token(api_client, user):
    response = api_client.post(
        "/api/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    copied_access = response.cookies["access_token"].value

    assert api_client.post("/api/user/logout/").status_code == 200

    assert bearer(copied_access).get("/api/user/profile/").status_code == 401


def test_expired_revocations_are_pruned_at_the_next_logout(user):
    first_access, _ = login()
    assert logout(first_access).status_code == 200
    RevokedSession.objects.update(expires_at="2000-01-01T00:00:00Z")
    access, _ = login()

    assert logout(access).status_code == 200

    assert RevokedSession.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_logout_racing_account_deletion_is_never_a_500():
    """The revocation references the user: without the row lock, a deletion committed first
    made the logout fail with a foreign-key violation at COMMIT (Postgres). Either request may
    win: a deletion first leaves no user and no revocation; a logout first ends the session, so
    the deletion with its token is refused and the account stays."""
    for round_ in range(5):
        user = UserFactory(username=f"leaving{round_}")
        access, refresh_token = login(user.username)

        deleted, logged_out = run_parallel(
            [
                lambda a=access: bearer(a).delete("/api/user/delete/"),
                lambda a=access, r=refresh_token: logout(a, refresh=r),
            ]
        )

        assert deleted.status_code in {204, 401}
        assert logged_out.status_code in {200, 401}
        if deleted.status_code == 204:
            assert not User.objects.filter(pk=user.pk).exists()
            assert not RevokedSession.objects.filter(user_id=user.pk).exists()
        else:  # the logout committed first
            assert logged_out.status_code == 200
            assert User.objects.filter(pk=user.pk).exists()
            assert bearer(access).get("/api/user/profile/").status_code == 401
