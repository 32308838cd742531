"""The per-process copy of authenticating rows (accounts.session_cache): requests of a known
session skip the user query, and every change to the user's row or sessions shows at once."""

import datetime
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import User
from accounts.tokens import GENERATION_CLAIM
from tests.api.accounts.test_sessions import bearer, login

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit runs, as in production


def user_row_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if 'FROM "accounts_user"' in q["sql"]]


def test_a_known_session_reads_no_user_row(user, password):
    access, _ = login(APIClient(), password)
    client = bearer(access)
    assert client.get("/api/movies/popular/").status_code == 200  # loads and keeps the row

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/movies/popular/").status_code == 200

    assert user_row_queries(queries.captured_queries) == []


def test_a_password_change_ends_a_cached_session(user, password):
    old, _ = login(APIClient(), password)
    assert bearer(old).get("/api/user/profile/").status_code == 200  # cached

    other, _ = login(APIClient(), password)
    changed = bearer(other).patch(
        "/api/user/update/", {"password": "An0ther-long-passw0rd"}, format="json"
    )
    assert changed.status_code == 200

    assert bearer(old).get("/api/user/profile/").status_code == 401


def test_logout_ends_a_cached_session(user, password):
    access, _ = login(APIClient(), password)
    assert bearer(access).get("/api/user/profile/").status_code == 200

    assert bearer(access).post("/api/user/logout/").status_code == 200

    assert bearer(access).get("/api/user/profile/").status_code == 401


def test_deactivating_or_deleting_ends_a_cached_session(user, other_user, password):
    alice, _ = login(APIClient(), password)
    bob, _ = login(APIClient(), password, username="bob")
    assert bearer(alice).get("/api/user/profile/").status_code == 200
    assert bearer(bob).get("/api/user/profile/").status_code == 200

    user.is_active = False
    services.user_admin_update(user=user, fields=["is_active"])  # the admin's path
    User.objects.get(pk=other_user.pk).delete()  # any save or delete, not only the services'

    assert bearer(alice).get("/api/user/profile/").status_code == 401
    assert bearer(bob).get("/api/user/profile/").status_code == 401


def test_a_profile_change_shows_in_the_next_request(user, password):
    access, _ = login(APIClient(), password)
    client = bearer(access)
    assert client.get("/api/user/profile/").json()["bio"] == ""

    assert client.patch("/api/user/update/", {"bio": "Noir fan"}, format="json").status_code == 200

    assert client.get("/api/user/profile/").json()["bio"] == "Noir fan"


def test_signed_in_requests_are_rate_limited_per_user(user, other_user, password, settings):
    """Authentication counts the default per-user limit in the round trip that checks the
    session; the limit still holds, per user, with Retry-After."""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "user": "3/m"}
    alice = bearer(login(APIClient(), password)[0])
    bob = bearer(login(APIClient(), password, username="bob")[0])

    codes = [alice.get("/api/movies/popular/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    refused = alice.get("/api/user/profile/")
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert bob.get("/api/user/profile/").status_code == 200


def test_an_access_token_verified_before_is_refused_once_it_expires(user):
    """Verified tokens are remembered per process, but their expiry is checked on every use."""
    token = AccessToken.for_user(user)
    token[GENERATION_CLAIM] = user.auth_generation
    token.set_exp(lifetime=datetime.timedelta(seconds=1))
    client = bearer(str(token))
    assert client.get("/api/user/profile/").status_code == 200

    time.sleep(1.2)

    response = client.get("/api/user/profile/")
    assert response.status_code == 401
