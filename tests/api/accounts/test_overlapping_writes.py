"""Unrelated users writing at the same instant all succeed, on SQLite too (the embedded default):
a deferred SQLite transaction that reads and then writes could not wait for another writer and
answered 503 (issue 14). Measured against a dev server by bench/sqlite/refresh_burst.py."""

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from tests.races import bearer, login, run_parallel

pytestmark = pytest.mark.django_db(transaction=True)

USERS = 10


def test_ten_users_refreshing_at_once_all_succeed():
    users = [UserFactory(username=f"tab{i}") for i in range(USERS)]
    refreshes = [login(u.username, PASSWORD)[1] for u in users]

    for _ in range(3):
        responses = run_parallel(
            [
                lambda r=r: APIClient().post("/api/token/refresh/", {"refresh": r}, format="json")
                for r in refreshes
            ]
        )

        assert [r.status_code for r in responses] == [200] * USERS
        refreshes = [r.cookies["refresh_token"].value for r in responses]


def test_friend_requests_and_a_deletion_beside_other_writes_all_succeed():
    users = [UserFactory(username=f"peer{i}") for i in range(USERS)]
    tokens = [login(u.username, PASSWORD)[0] for u in users]
    doomed = UserFactory(username="doomed")
    doomed_token = login("doomed", PASSWORD)[0]

    calls = [
        lambda i=i: bearer(tokens[i]).post(f"/api/send-friend-request/{users[i + 1].pk}/")
        for i in range(0, USERS, 2)
    ]
    calls += [
        lambda i=i: bearer(tokens[i]).patch("/api/user/update/", {"bio": "hi"}, format="json")
        for i in range(1, USERS, 2)
    ]
    calls.append(lambda: bearer(doomed_token).delete("/api/user/delete/"))
    responses = run_parallel(calls)

    assert [r.status_code for r in responses] == [201] * (USERS // 2) + [200] * (USERS // 2) + [204]
    assert not type(doomed).objects.filter(pk=doomed.pk).exists()
