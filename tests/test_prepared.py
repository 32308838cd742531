"""mcbackend.prepared.rows_prepared: the same rows as the plain statement, on a connection that
prepared it before, after a rollback and on a new connection (PostgreSQL keeps prepared
statements per session; the helper prepares again on a new one)."""

import pytest
from django.db import connection, transaction

from accounts.models import User
from mcbackend.prepared import PreparedQuery, rows_prepared
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

_names = PreparedQuery(lambda *ids: User.objects.filter(pk__in=ids).values_list("id", "username"))


def _rows(*ids):
    sql, params = _names.sql(*ids)
    return sorted(rows_prepared(f"test_names_{len(ids)}", sql, params))


def test_rows_match_the_queryset_across_rollbacks_and_reconnects():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    expected = [(alice.pk, "alice"), (bob.pk, "bob")]

    assert _rows(alice.pk, bob.pk) == expected
    with transaction.atomic():
        assert _rows(alice.pk, bob.pk) == expected
        transaction.set_rollback(True)  # rolled back: the statement stays prepared
    assert _rows(alice.pk, bob.pk) == expected
    connection.close()  # a new connection prepares it again
    assert _rows(alice.pk, bob.pk) == expected
    assert _rows(alice.pk, -1) == [(alice.pk, "alice")]
