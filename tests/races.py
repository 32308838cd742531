"""Run calls at the same moment, each in its own thread and database connection.

On Postgres the calls really overlap, so the row locks are what is tested. SQLite (a file test
database, BEGIN IMMEDIATE and a busy timeout: see settings) serialises the writers, so there the
same calls overlap less but the same invariants must hold.
"""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from rest_framework.test import APIClient


def run_parallel(calls: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Start every call at one barrier; returns their results (exceptions are re-raised)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = call()
        except BaseException as exc:  # reported below, in the test's thread
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout * 2)
    assert not any(t.is_alive() for t in threads), "a call is still running (deadlock?)"
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]
    return results


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def login(username: str, password: str) -> tuple[str, str]:
    """Sign in over HTTP; returns the (access, refresh) tokens."""
    response = APIClient().post(
        "/api/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.cookies["access_token"].value, response.cookies["refresh_token"].value
