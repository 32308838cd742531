"""Editing a user in the admin writes only what the moderator changed, and an admin password
change ends the user's sessions (issue 14).

The admin's default saves the whole row from the copy it read, so a change the user made
meanwhile (a new bio, a new password, a deletion) was undone by any admin edit. The race tests
make the other write happen *during* the admin's save, from another connection: on Postgres
the row lock makes it wait; without the lock it commits first and the admin's copy overwrites
it. (SQLite serialises every writer behind BEGIN IMMEDIATE, so there they pass either way.)
"""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connections
from django.db.models.signals import pre_save
from django.test import Client

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.races import bearer, login


class _FormInputs(HTMLParser):
    """The fields of the admin's change form, as a browser would post them unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == "user_form":
            self._in_form = True
        if not self._in_form or ("name" not in a and tag != "option"):
            return
        if tag == "input":
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            if a.get("type") == "submit":
                return
            default = "on" if a.get("type") == "checkbox" else ""
            self.data.setdefault(a["name"], []).append(a.get("value", default))
        elif tag == "select":
            self._select = a["name"]
            self.data.setdefault(a["name"], [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.data[a["name"]] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] = [self.data[self._textarea][0] + data.lstrip("\n")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def change_url(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def open_change_form(client: Client, user: User) -> dict[str, list[str]]:
    response = client.get(change_url(user))
    assert response.status_code == 200
    parser = _FormInputs()
    parser.feed(response.content.decode())
    assert "username" in parser.data
    return parser.data


def save_change_form(client: Client, user: User, data: dict[str, list[str]], **edits: str):
    """Post the form as opened, with the moderator's edits."""
    body = {**data, **{name: [value] for name, value in edits.items()}, "_save": ["Save"]}
    return client.post(change_url(user), body)


@contextmanager
def during_user_save(write: Callable[[], Any]) -> Iterator[list[Any]]:
    """Run `write` in another thread (and connection) at the moment the admin saves the user.

    It gets a second to finish; a write that waits for the admin's row lock finishes after the
    admin's transaction commits. Yields the list that receives its result.
    """
    results: list[Any] = []
    thread: threading.Thread | None = None

    def run() -> None:
        try:
            results.append(write())
        except BaseException as exc:
            results.append(exc)
        finally:
            connections.close_all()

    def receiver(sender: type, instance: User, **kwargs: Any) -> None:
        nonlocal thread
        if thread is None:
            thread = threading.Thread(target=run)
            thread.start()
            thread.join(timeout=1)

    pre_save.connect(receiver, sender=User, weak=False)
    try:
        yield results
    finally:
        pre_save.disconnect(receiver, sender=User)
        if thread is not None:
            thread.join(timeout=30)
            assert not thread.is_alive(), "the concurrent write never finished"


@pytest.fixture
def moderator(client: Client) -> Client:
    client.force_login(UserFactory(username="moderator", is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_admin_edit_keeps_a_bio_the_user_saved_after_the_form_was_opened(moderator):
    user = UserFactory(username="alice", bio="old bio", first_name="")
    form = open_change_form(moderator, user)
    access, _ = login("alice", PASSWORD)
    assert (
        bearer(access).patch("/api/user/update/", {"bio": "new bio"}, format="json").status_code
        == 200
    )

    response = save_change_form(moderator, user, form, first_name="Alice")

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.bio) == ("Alice", "new bio")


@pytest.mark.django_db
def test_admin_edit_keeps_a_privacy_change_made_after_the_form_was_opened(moderator):
    user = UserFactory(username="alice", is_private=False)
    form = open_change_form(moderator, user)
    access, _ = login("alice", PASSWORD)
    assert (
        bearer(access).patch("/api/user/update/", {"is_private": True}, format="json").status_code
        == 200
    )

    response = save_change_form(moderator, user, form, last_name="Liddell")

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.last_name, user.is_private) == ("Liddell", True)


@pytest.mark.django_db(transaction=True)
def test_password_change_during_an_admin_save_stands(moderator):
    user = UserFactory(username="alice")
    form = open_change_form(moderator, user)
    old_access, old_refresh = login("alice", PASSWORD)

    def change_password() -> int:
        response = bearer(old_access).patch(
            "/api/user/update/", {"password": "N3w-Secret-Battery-9"}, format="json"
        )
        return response.status_code

    with during_user_save(change_password) as results:
        response = save_change_form(moderator, user, form, first_name="Alice")

    assert response.status_code == 302
    assert results == [200]
    user.refresh_from_db()
    assert user.first_name == "Alice"
    assert user.check_password("N3w-Secret-Battery-9")
    assert bearer(old_access).get("/api/user/profile/").status_code == 401
    assert bearer("").post("/api/token/refresh/", {"refresh": old_refresh}).status_code == 401
    refused = Client().post("/api/token/", {"username": "alice", "password": PASSWORD})
    assert refused.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_deletion_during_an_admin_save_stays_deleted(moderator):
    user = UserFactory(username="doomed")
    form = open_change_form(moderator, user)
    access, _ = login("doomed", PASSWORD)

    def delete() -> int:
        return bearer(access).delete("/api/user/delete/").status_code

    with during_user_save(delete) as results:
        save_change_form(moderator, user, form, first_name="Doomed")

    assert results == [204]
    assert not User.objects.filter(pk=user.pk).exists()
    assert not User.objects.filter(username="doomed").exists()
    assert bearer(access).get("/api/user/profile/").status_code == 401


def change_password_in_admin(client: Client, user: User, **body: str):
    return client.post(f"/admin/accounts/user/{user.pk}/password/", body)


@pytest.mark.django_db
def test_admin_password_change_ends_the_users_sessions(moderator):
    user = UserFactory(username="alice")
    old_access, old_refresh = login("alice", PASSWORD)

    response = change_password_in_admin(
        moderator,
        user,
        usable_password="true",
        password1="Admin-Chosen-Pass-31",
        password2="Admin-Chosen-Pass-31",
    )

    assert response.status_code == 302
    assert bearer(old_access).get("/api/user/profile/").status_code == 401
    assert bearer("").post("/api/token/refresh/", {"refresh": old_refresh}).status_code == 401
    new_access, _ = login("alice", "Admin-Chosen-Pass-31")
    assert bearer(new_access).get("/api/user/profile/").status_code == 200


@pytest.mark.django_db
def test_admin_disabling_password_login_ends_the_users_sessions(moderator):
    user = UserFactory(username="alice")
    old_access, _ = login("alice", PASSWORD)

    response = change_password_in_admin(
        moderator, user, **{"usable_password": "false", "unset-password": "1"}
    )

    assert response.status_code == 302
    assert bearer(old_access).get("/api/user/profile/").status_code == 401
    user.refresh_from_db()
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_moderator_changing_their_own_password_stays_signed_in_to_the_admin(client):
    admin = UserFactory(username="moderator", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = change_password_in_admin(
        client,
        admin,
        usable_password="true",
        password1="Admin-Chosen-Pass-31",
        password2="Admin-Chosen-Pass-31",
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_change_form_does_not_put_the_password_hash_in_the_page(moderator):
    user = UserFactory(username="alice")
    page = moderator.get(change_url(user)).content.decode()
    assert user.password not in page
