"""The sockets of a user whose password changed are closed only once the new auth generation is
committed: a tab that reconnects the moment its socket closes must already be refused."""

from typing import Any

import pytest
from django.db import connections

from accounts.models import User
from realtime import events
from realtime.groups import user_group
from tests.factories import PASSWORD, UserFactory
from tests.races import bearer, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_sockets_close_only_after_the_new_generation_is_committed(monkeypatch):
    user = UserFactory(username="alice")
    access, _ = login("alice", PASSWORD)
    seen: list[dict[str, Any]] = []
    send = events._group_send

    def observed_send(group: str, message: dict[str, Any]) -> None:
        if message["type"] == "session.ended" and group == user_group(user.pk):
            # What a reconnecting tab's handshake would read at this instant (own connection).
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        "SELECT auth_generation FROM accounts_user WHERE id = %s", [user.pk]
                    )
                    seen.append({"generation": cursor.fetchone()[0]})
            finally:
                other.close()
        send(group, message)

    monkeypatch.setattr(events, "_group_send", observed_send)

    response = bearer(access).patch(
        "/api/user/update/", {"password": "N3w-Secret-Battery"}, format="json"
    )

    assert response.status_code == 200
    assert seen == [{"generation": User.objects.get(pk=user.pk).auth_generation}]
    assert seen[0]["generation"] == 1
