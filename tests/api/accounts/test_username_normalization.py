# ruff: noqa: RUF001, RUF002  (full-width and other lookalike letters are what this file tests)
"""Usernames are NFKC-normalised and compared case-insensitively, as emails are compared.

Without it a full-width twin of any name (`ａｌｉｃｅ`) could be registered next to `alice`, and
the two would look alike in every list. With it the twin is that name: taken at sign-up, taken
in a profile update, and at login it is the same account with the same failed-login budget.
"""

import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from rest_framework.test import APIClient

from accounts import migrations
from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TAKEN = {"username": ["A user with that username already exists."]}


def signup(client: APIClient, username: str, email: str = "twin@example.com"):
    body = {
        "username": username,
        "email": email,
        "password": "Sturdy-Passphrase-42",
        "birth_date": "1994-02-03",
    }
    return client.post("/api/user/signup/", body, format="json")


@pytest.mark.parametrize(
    "twin",
    [
        "ａｌｉｃｅ",  # full-width
        "ＡＬＩＣＥ",  # full-width capitals
        "ａlice",  # one full-width letter
        "Ａｌｉｃｅ",
    ],
)
def test_compatibility_twin_of_a_name_cannot_sign_up(api_client, user, twin):
    response = signup(api_client, twin)

    assert response.status_code == 400
    assert response.json() == TAKEN
    assert User.objects.count() == 1


def test_ligature_twin_cannot_sign_up(api_client):
    UserFactory(username="fiona")
    response = signup(api_client, "ﬁona")  # U+FB01 LATIN SMALL LIGATURE FI
    assert response.status_code == 400
    assert response.json() == TAKEN


def test_compatibility_form_of_a_free_name_is_stored_normalised(api_client):
    response = signup(api_client, "ｃａｒｏｌ²")

    assert response.status_code == 201
    assert api_client.get("/api/user/profile/").json()["username"] == "carol2"
    assert User.objects.filter(username="carol2").exists()


def test_profile_update_cannot_take_a_twin_of_another_name(auth_client, user, other_user):
    response = auth_client.patch("/api/user/update/", {"username": "ｂｏｂ"}, format="json")

    assert response.status_code == 400
    assert response.json() == TAKEN
    user.refresh_from_db()
    assert user.username == "alice"


def test_profile_update_stores_the_normalised_name(auth_client, user):
    response = auth_client.patch("/api/user/update/", {"username": "ａｌｉｓｏｎ"}, format="json")

    assert response.status_code == 200
    assert auth_client.get("/api/user/profile/").json()["username"] == "alison"


def test_name_longer_than_150_once_normalised_is_400_naming_it(auth_client, user):
    # U+FDFA is one character that NFKC spells with 18 (and spaces, which no name may hold).
    response = auth_client.patch("/api/user/update/", {"username": "\ufdfa" * 100}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"username"}
    user.refresh_from_db()
    assert user.username == "alice"


def test_twin_spelling_logs_in_to_that_same_account(api_client, user):
    response = api_client.post(
        "/api/token/", {"username": "ＡＬＩＣＥ", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 201
    assert api_client.get("/api/user/profile/").json()["id"] == user.id


def test_twin_spellings_spend_the_same_failed_login_budget(api_client, user):
    for spelling in ["ａｌｉｃｅ", "ＡＬＩＣＥ", "ａlice", "Ａｌｉｃｅ", "alicｅ"]:
        response = api_client.post(
            "/api/token/", {"username": spelling, "password": "wrong"}, format="json"
        )
        assert response.status_code == 401
    blocked = api_client.post(
        "/api/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert blocked.status_code == 429


def test_search_in_full_width_finds_the_name(auth_client, other_user):
    response = auth_client.get("/api/user/search/", {"username": "ＢＯＢ"})
    assert response.status_code == 200
    assert [u["username"] for u in response.json()] == ["bob"]


def test_migration_normalises_stored_names_and_leaves_taken_twins_alone(capsys):
    """accounts' data migration (found by name: the lead may renumber it)."""
    path = next(Path(migrations.__file__).parent.glob("*_usernames_nfkc_normalized.py"))
    module = importlib.import_module(f"accounts.migrations.{path.stem}")
    # Rows as they could be stored before the rule (written directly, not through sign-up).
    dave = UserFactory(username="ｄａｖｅ")
    alice = UserFactory(username="alice")
    twin = UserFactory(username="ＡＬＩＣＥ")

    module.normalize_usernames(django_apps, None)

    assert User.objects.get(pk=dave.pk).username == "dave"
    assert User.objects.get(pk=alice.pk).username == "alice"
    assert User.objects.get(pk=twin.pk).username == "ＡＬＩＣＥ"
    assert f"(id {twin.pk}) not normalised" in capsys.readouterr().out
