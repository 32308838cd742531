"""/admin/login/ spends the same failed-login budget as /api/token/ (5 per username per 15 min)."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def admin_login(client: Client, username: str, password: str):
    return client.post("/admin/login/", {"username": username, "password": password})


def api_login(username: str, password: str):
    return APIClient().post(
        "/api/token/", {"username": username, "password": password}, format="json"
    )


@pytest.fixture
def staff():
    return UserFactory(username="moderator", is_staff=True, is_superuser=True)


def test_admin_logs_in_with_the_right_password(client, staff):
    response = admin_login(client, "moderator", PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_wrong_admin_passwords_are_throttled_after_five(client, staff):
    statuses = [admin_login(client, "moderator", f"wrong-{i}").status_code for i in range(6)]

    assert statuses == [200] * 5 + [429]
    refused = admin_login(client, "moderator", PASSWORD)
    assert refused.status_code == 429  # the right password too, until the window ends
    assert int(refused["Retry-After"]) > 0


def test_api_failures_count_for_the_admin_login(client, staff):
    for i in range(5):
        assert api_login("moderator", f"wrong-{i}").status_code == 401

    assert admin_login(client, "moderator", PASSWORD).status_code == 429


def test_admin_failures_count_for_the_api_login(client, staff):
    for i in range(5):
        assert admin_login(client, "MODERATOR", f"wrong-{i}").status_code == 200

    assert api_login("moderator", PASSWORD).status_code == 429
