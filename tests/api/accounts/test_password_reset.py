"""Password reset by email: request, confirm, and what a stranger can learn from them."""

import datetime
import logging
import socket

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts.models import User
from tests.api.accounts.reset import request_reset, reset_link
from tests.factories import UserFactory, absent_pk

pytestmark = pytest.mark.django_db

REQUEST = "/api/user/password-reset/"
CONFIRM = "/api/user/password-reset/confirm/"
NEW_PASSWORD = "Brand-New-Passphrase-42"
ACCEPTED = {"detail": "If an account uses this email address, a reset link is on its way."}
BAD_LINK = {"token": ["This password reset link is invalid, used or expired."]}


def login(username: str, password: str) -> int:
    return (
        APIClient()
        .post("/api/token/", {"username": username, "password": password}, format="json")
        .status_code
    )


def test_known_and_unknown_addresses_get_the_same_answer(api_client, user):
    known = api_client.post(REQUEST, {"email": "ALICE@Example.com"}, format="json")
    unknown = api_client.post(REQUEST, {"email": "nobody@example.com"}, format="json")

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == ACCEPTED
    assert known.headers.keys() == unknown.headers.keys()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]  # the account's address, not the one typed
    assert message.from_email == "MovieConnect <no-reply@localhost>"
    assert reset_link(message.body).startswith("http://localhost:3000/reset-password?uid=")


def test_link_points_at_the_configured_frontend(api_client, user, settings):
    settings.FRONTEND_URL = "https://movieconnect.example/"

    api_client.post(REQUEST, {"email": "alice@example.com"}, format="json")

    assert reset_link(mail.outbox[0].body).startswith(
        "https://movieconnect.example/reset-password?uid="
    )


def test_user_can_reset_their_password_once(api_client, user, password):
    params = request_reset(api_client, "alice@example.com")

    response = api_client.post(CONFIRM, {**params, "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"detail": "Password changed. Sign in with the new password."}
    assert "access_token" not in response.cookies  # confirming does not sign in
    assert login("alice", NEW_PASSWORD) == 201
    assert login("alice", password) == 401
    again = api_client.post(CONFIRM, {**params, "password": "Yet-Another-Pass-99"}, format="json")
    assert again.status_code == 400
    assert again.json() == BAD_LINK
    assert login("alice", NEW_PASSWORD) == 201


def test_confirming_ends_every_session(api_client, user, password):
    signed_in = APIClient()
    response = signed_in.post(
        "/api/token/", {"username": "alice", "password": password}, format="json"
    )
    access = response.cookies["access_token"].value
    refresh = response.cookies["refresh_token"].value
    params = request_reset(api_client, "alice@example.com")

    assert api_client.post(CONFIRM, {**params, "password": NEW_PASSWORD}).status_code == 200

    assert signed_in.get("/api/user/profile/").status_code == 401
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert bearer.get("/api/user/profile/").status_code == 401
    replay = APIClient().post("/api/token/refresh/", {"refresh": refresh}, format="json")
    assert replay.status_code == 401


def test_weak_password_is_refused_without_using_up_the_link(api_client, user, password):
    params = request_reset(api_client, "alice@example.com")

    weak = api_client.post(CONFIRM, {**params, "password": "alice"}, format="json")

    assert weak.status_code == 400
    assert list(weak.json()) == ["password"]
    user.refresh_from_db()
    assert user.check_password(password)  # nothing changed...
    strong = api_client.post(CONFIRM, {**params, "password": NEW_PASSWORD}, format="json")
    assert strong.status_code == 200  # ...and the link still works
    assert login("alice", NEW_PASSWORD) == 201


def test_a_new_request_does_not_void_earlier_links(api_client, user):
    first = request_reset(api_client, "alice@example.com")
    request_reset(api_client, "alice@example.com")

    response = api_client.post(CONFIRM, {**first, "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 200


def test_link_expires_after_the_reset_timeout(api_client, user, password, monkeypatch, settings):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    params = request_reset(api_client, "alice@example.com")
    issued = datetime.datetime.now()  # noqa: DTZ005 (Django's token clock is naive local time)
    later = {"now": issued + datetime.timedelta(seconds=3590)}
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later["now"])
    weak = api_client.post(CONFIRM, {**params, "password": "alice"}, format="json")
    assert list(weak.json()) == ["password"]  # still valid just before the hour

    later["now"] = issued + datetime.timedelta(seconds=3602)
    response = api_client.post(CONFIRM, {**params, "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json() == BAD_LINK
    user.refresh_from_db()
    assert user.check_password(password)


def test_signing_in_voids_an_earlier_link(api_client, user, password):
    params = request_reset(api_client, "alice@example.com")
    assert login("alice", password) == 201  # remembered it after all

    response = api_client.post(CONFIRM, {**params, "password": NEW_PASSWORD}, format="json")

    assert response.status_code == 400
    assert response.json() == BAD_LINK


def test_link_of_one_user_does_not_reset_another(api_client, user, other_user, password):
    params = request_reset(api_client, "alice@example.com")
    bobs_uid = urlsafe_base64_encode(str(other_user.pk).encode())

    response = api_client.post(
        CONFIRM, {"uid": bobs_uid, "token": params["token"], "password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert response.json() == BAD_LINK
    assert login("bob", password) == 201


@pytest.mark.parametrize(
    "uid",
    [
        "!!!",
        "bm90LWEtbnVtYmVy",  # "not-a-number"
        "LTE",  # "-1"
        "OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk",  # beyond any id column
        "absent",
        "//8",  # not UTF-8 once decoded
    ],
)
def test_malformed_or_unknown_uid_is_the_same_400(api_client, user, uid):
    token = request_reset(api_client, "alice@example.com")["token"]
    if uid == "absent":
        uid = urlsafe_base64_encode(str(absent_pk(User)).encode())

    response = api_client.post(CONFIRM, {"uid": uid, "token": token, "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json() == BAD_LINK


@pytest.mark.parametrize("token", ["garbage", "c0ffee-" + "0" * 32, "x" * 128])
def test_wrong_token_is_400(api_client, user, token):
    uid = request_reset(api_client, "alice@example.com")["uid"]

    response = api_client.post(CONFIRM, {"uid": uid, "token": token, "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json() == BAD_LINK


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"uid", "token", "password"}),
        ({"uid": "MQ", "token": "t"}, {"password"}),
        ({"uid": ["MQ"], "token": "t", "password": NEW_PASSWORD}, {"uid"}),
        ({"uid": "MQ", "token": None, "password": NEW_PASSWORD}, {"token"}),
        ({"uid": "MQ", "token": "t" * 129, "password": NEW_PASSWORD}, {"token"}),
    ],
)
def test_confirm_with_bad_fields_names_them(api_client, body, fields):
    response = api_client.post(CONFIRM, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == fields


def test_inactive_account_gets_no_mail_and_the_same_answer(api_client):
    UserFactory(username="carol", email="carol@example.com", is_active=False)

    response = api_client.post(REQUEST, {"email": "carol@example.com"}, format="json")

    assert response.status_code == 202
    assert response.json() == ACCEPTED
    assert mail.outbox == []


@pytest.mark.parametrize(
    "body", [{}, {"email": "not-an-email"}, {"email": ""}, {"email": 42}, {"email": ["a@b.c"]}]
)
def test_malformed_email_is_400(api_client, body):
    response = api_client.post(REQUEST, body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert mail.outbox == []


def test_requests_are_throttled_per_client_address(api_client, user, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset_address": "3/h"}
    for email in ["alice@example.com", "x@example.com", "y@example.com"]:
        assert api_client.post(REQUEST, {"email": email}, format="json").status_code == 202

    response = api_client.post(REQUEST, {"email": "alice@example.com"}, format="json")

    assert response.status_code == 429
    assert response.json()["retry_after"] > 0
    assert len(mail.outbox) == 1


def test_requests_past_the_per_email_limit_send_nothing_silently(api_client, user, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "password_reset_email": "2/h"}
    answers = [
        api_client.post(REQUEST, {"email": email}, format="json")
        for email in ["alice@example.com", "Alice@example.com", "ALICE@EXAMPLE.COM"]
    ]

    assert [a.status_code for a in answers] == [202, 202, 202]
    assert all(a.json() == ACCEPTED for a in answers)
    assert len(mail.outbox) == 2
    # another address is not limited by alice's
    api_client.post(REQUEST, {"email": "bob@example.com"}, format="json")
    assert len(mail.outbox) == 2  # no account: still nothing
    UserFactory(username="bob", email="bob@example.com")
    api_client.post(REQUEST, {"email": "bob@example.com"}, format="json")
    assert len(mail.outbox) == 3


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_failing_mail_server_is_logged_and_the_answer_is_unchanged(
    api_client, user, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2

    with caplog.at_level(logging.ERROR, logger="accounts.mail"):
        response = api_client.post(REQUEST, {"email": "alice@example.com"}, format="json")

    assert response.status_code == 202
    assert response.json() == ACCEPTED
    records = [r for r in caplog.records if r.name == "accounts.mail"]
    assert [r.getMessage() for r in records] == [
        f"Could not send email (password reset for user {user.pk})"
    ]
    assert "alice@example.com" not in caplog.text
