"""Concurrent requests on one account: none may undo a password change, a deletion or another
save (issue 14). Each test repeats its race a few rounds, since one round may not overlap."""

import pytest

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.races import bearer, login, run_parallel

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5
BIO_SAVES = 4


def _bio_saves(access: str, n: int = BIO_SAVES) -> list[int]:
    client = bearer(access)
    return [
        client.patch("/api/user/update/", {"bio": f"save {i}"}, format="json").status_code
        for i in range(n)
    ]


def test_password_change_racing_bio_saves_with_the_old_token_ends_the_old_session():
    user = UserFactory(username="alice")
    password = PASSWORD
    for round_ in range(ROUNDS):
        old_access, old_refresh = login("alice", password)
        new_password = f"N3w-Secret-{round_}-Battery"

        def change(access: str = old_access, new: str = new_password):
            return bearer(access).patch("/api/user/update/", {"password": new}, format="json")

        changed, *saves = run_parallel(
            [change, *[lambda a=old_access: _bio_saves(a) for _ in range(3)]]
        )

        assert changed.status_code == 200
        for statuses in saves:  # each save ran before the change (200) or was refused (401)
            assert set(statuses) <= {200, 401}
        new_access = changed.cookies["access_token"].value
        assert bearer(old_access).get("/api/user/profile/").status_code == 401
        assert bearer(new_access).get("/api/user/profile/").status_code == 200
        assert (
            bearer(old_access).post("/api/token/refresh/", {"refresh": old_refresh}).status_code
            == 401
        )
        user.refresh_from_db()
        assert user.check_password(new_password)
        assert not user.check_password(password)
        password = new_password


def test_deletion_racing_bio_saves_stays_deleted():
    for round_ in range(ROUNDS):
        user = UserFactory(username=f"doomed{round_}")
        access, _ = login(user.username, PASSWORD)

        def delete(a: str = access):
            return bearer(a).delete("/api/user/delete/")

        deleted, *saves = run_parallel(
            [delete, *[lambda a=access: _bio_saves(a) for _ in range(3)]]
        )

        assert deleted.status_code == 204
        for statuses in saves:
            assert set(statuses) <= {200, 401}
        assert not User.objects.filter(pk=user.pk).exists()
        assert not User.objects.filter(username=user.username).exists()
        assert bearer(access).get("/api/user/profile/").status_code == 401


def test_two_patches_at_once_both_survive():
    for round_ in range(ROUNDS * 2):
        user = UserFactory(username=f"twin{round_}", bio="", is_private=False)
        access, _ = login(user.username, PASSWORD)

        def patch(body: dict, a: str = access):
            return bearer(a).patch("/api/user/update/", body, format="json")

        bio, private = run_parallel(
            [lambda: patch({"bio": "new bio"}), lambda: patch({"is_private": True})]
        )

        assert (bio.status_code, private.status_code) == (200, 200)
        user.refresh_from_db()
        assert (user.bio, user.is_private) == ("new bio", True)
