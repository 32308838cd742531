"""Querysets built and compiled once per process, then run with other ids.

Building a queryset costs more than running a small one (about 10x for the friends rule,
bench/social/RESULTS.md). A `PreparedQuery` builds its queryset once with placeholder ids, keeps
the compiled SQL, and runs that SQL with the real ids in the placeholders' parameter positions:
the same query, whatever the builder says. social's friends rule (also embedded in the feed's
statement) and group picks' member names use it.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Placeholder ids: negative (never a row's id) and inside a 32-bit integer's range (Django
# compiles an out-of-range integer lookup to an always-false condition, without its parameter).
_PLACEHOLDER = -1_987_654_321


class PreparedQuery:
    """`build(*ids)` compiled once per database vendor and number of ids; `rows(*ids)` runs it.

    `build` must use each id only as a query parameter (filter values, not slicing or raw SQL),
    and its rows must need no conversion (ids, strings): `rows` returns the cursor's tuples."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        # (vendor, number of ids) -> (sql, per parameter: the index of its id, or its constant)
        self._compiled: dict[tuple[str, int], tuple[str, list[tuple[int | None, Any]]]] = {}
        self._lock = threading.Lock()

    def _prepare(self, arity: int) -> tuple[str, list[tuple[int | None, Any]]]:
        placeholders = [_PLACEHOLDER - i for i in range(arity)]
        queryset = self.build(*placeholders)
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        slots = [(placeholders.index(p) if p in placeholders else None, p) for p in params]
        used = {slot for slot, _ in slots if slot is not None}
        if used != set(range(arity)) or any(str(p) in sql for p in placeholders):
            raise ValueError(f"{self.build!r}: the ids are not all query parameters")
        if not all(isinstance(p, int | str) for slot, p in slots if slot is None):
            raise ValueError(f"{self.build!r}: only int and str constants can be kept")
        return sql, slots

    def sql(self, *ids: int, using: str = DEFAULT_DB_ALIAS) -> tuple[str, list[Any]]:
        """The compiled SQL and its parameters for these ids (to run, or to embed in a larger
        statement)."""
        key = (connections[using].vendor, len(ids))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled[key] = self._prepare(len(ids))
        sql, slots = compiled
        return sql, [constant if slot is None else ids[slot] for slot, constant in slots]

    def rows(self, *ids: int, using: str = DEFAULT_DB_ALIAS) -> list[tuple[Any, ...]]:
        sql, params = self.sql(*ids, using=using)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


# Raw PostgreSQL connections -> the names of the statements prepared on them. Prepared statements
# belong to the session (a rollback keeps them); a new connection (reconnect, a pool's new one)
# is a new key, so its statements are prepared again.
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_prepared_lock = threading.Lock()
_PLACEHOLDER_RE = re.compile(r"%(s|%)")


def rows_prepared(
    name: str, sql: str, params: list[Any], *, using: str = DEFAULT_DB_ALIAS
) -> list[tuple[Any, ...]]:
    """Run `sql` (Django's `%s` placeholders, as `PreparedQuery.sql` gives) and fetch its rows.
    On PostgreSQL as a server-side prepared statement, prepared once per connection under
    `name` (one name per SQL text): a statement with the friends rule took longer to plan than
    to run (bench/home/RESULTS.md). The PREPARE runs on the driver's connection, outside
    Django's query log: a request counts the EXECUTE only, whether or not it prepared."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.fetchall()
        raw = connection.connection
        with _prepared_lock:
            names = _prepared_on.setdefault(raw, set())
            ready = name in names
        if not ready:
            numbers = iter(range(1, len(params) + 1))
            numbered = _PLACEHOLDER_RE.sub(
                lambda m: f"${next(numbers)}" if m.group(1) == "s" else "%", sql
            )
            raw.execute(f"PREPARE {name} AS {numbered}")
            with _prepared_lock:
                names.add(name)
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
        return cursor.fetchall()
