"""Login abuse: no user enumeration through answers or timing, and a guessing budget that
concurrent requests cannot overrun (the rates themselves: tests/api/accounts/test_login.py)."""

import statistics
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher, PBKDF2PasswordHasher
from rest_framework.test import APIClient

import accounts.services

pytestmark = pytest.mark.django_db

URL = "/api/token/"
CALLS: list[str] = []


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting each time a password is hashed (encode runs in verify too)."""

    def encode(self, password, salt):
        CALLS.append(password)
        return super().encode(password, salt)


class SlowHasher(PBKDF2PasswordHasher):
    """Real key stretching, cut to a few milliseconds: long enough to dwarf a query."""

    iterations = 30_000


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_login_abuse.CountingHasher"]
    CALLS.clear()
    return CALLS


def login(client, username, password):
    return client.post(URL, {"username": username, "password": password}, format="json")


def test_unknown_user_and_wrong_password_answer_identically(api_client, user):
    wrong = login(api_client, "alice", "not-her-password")
    unknown = login(api_client, "nobody", "not-her-password")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    ignore = {"Date", "Vary"}
    assert {k: v for k, v in wrong.items() if k not in ignore} == {
        k: v for k, v in unknown.items() if k not in ignore
    }
    assert not wrong.cookies
    assert not unknown.cookies


def test_unknown_user_runs_the_password_hasher_as_often_as_a_wrong_password(
    api_client, user, counting_hasher
):
    user.set_password("Corr3ct-Horse-Battery")  # stored with the counting hasher
    user.save()
    counting_hasher.clear()
    login(api_client, "alice", "wrong-password")
    wrong_password_hashes = len(counting_hasher)
    counting_hasher.clear()
    login(api_client, "nobody", "wrong-password")
    unknown_user_hashes = len(counting_hasher)

    assert wrong_password_hashes == unknown_user_hashes == 1


def test_unknown_user_and_wrong_password_take_similar_time(api_client, user, settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_login_abuse.SlowHasher"]
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "login_failures_username": "1000/m",
        "login_failures_address": "1000/m",
    }
    user.set_password("Corr3ct-Horse-Battery")
    user.save()

    def median_seconds(username):
        durations = []
        for _ in range(10):
            start = time.perf_counter()
            assert login(api_client, username, "wrong-password").status_code == 401
            durations.append(time.perf_counter() - start)
        return statistics.median(durations)

    login(api_client, "nobody", "warm-up")
    wrong, unknown = median_seconds("alice"), median_seconds("nobody")
    # Both run one 30k-iteration PBKDF2: an unknown user answering much faster would show.
    assert wrong / 3 < unknown < wrong * 3


def test_concurrent_guesses_cannot_overrun_the_budget(settings, user, monkeypatch):
    """With one failure allowed, a second guess that arrives while the first is still being
    checked is refused: the first attempt counted before its password was checked."""
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_failures_username": "1/15m"}
    real_authenticate = accounts.services.authenticate
    overlapping: list[int] = []

    def authenticate_while_another_arrives(request, **credentials):
        if not overlapping:
            overlapping.append(login(APIClient(), "alice", "second-guess").status_code)
        return real_authenticate(request, **credentials)

    monkeypatch.setattr(accounts.services, "authenticate", authenticate_while_another_arrives)
    first = login(APIClient(), "alice", "first-guess")

    assert first.status_code == 401
    assert overlapping == [429]


def test_successful_and_throttled_attempts_do_not_use_the_budget(settings, user, password):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_failures_username": "2/15m"}
    client = APIClient()
    for _ in range(3):
        assert login(client, "alice", password).status_code == 201
    assert login(client, "alice", "x").status_code == 401
    assert login(client, "alice", "y").status_code == 401
    for _ in range(3):
        assert login(client, "alice", "z").status_code == 429
    assert login(client, "alice", password).status_code == 429  # locked until the window ends
