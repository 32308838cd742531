"""PostgreSQL restarts while the site is under load (a private cluster the test owns).

Requests never hang and never answer 500: while the database is down they get 503 with a JSON
message and Retry-After, and a few seconds after it is back every request succeeds again.
"""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from tests.factories import PASSWORD
from tests.faults.services import PrivatePostgres
from tests.realtime.live import ROOT, LiveServer, start_live_server, stop_live_server

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 10  # a request taking longer than this counts as hung
WORKERS = 6
RECOVERY = 5  # seconds after the restart by which every request must succeed

SEED = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from accounts.models import User
from movies.models import Movie
User.objects.create_user(username="alice", email="alice@example.com", password={PASSWORD!r})
print(Movie.objects.create(title="Heat", title_normalized="heat").id)
"""


@dataclass
class Outcome:
    started: float
    finished: float
    label: str
    status: int | None  # None: no answer (timeout, connection refused, reset)
    body: str


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.create()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def site(postgres) -> Iterator[tuple[LiveServer, int]]:
    env = {
        "DATABASE_URL": postgres.url,
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.test",
        "THROTTLE_USER": "100000/m",  # the load is one user, far faster than any person
    }
    seeded = subprocess.run(
        [sys.executable, "-c", SEED],
        cwd=ROOT,
        env={**_base_env(), **env},
        capture_output=True,
        text=True,
        timeout=45,
        check=True,
    )
    movie_id = int(seeded.stdout.split()[-1])
    process, server = start_live_server(
        extra_env=env,
        drop_env=("TEST_LIVE_DATABASE_NAME", "TEST_CHANNEL_LAYER_PREFIX", "REDIS_URL"),
    )
    try:
        yield server, movie_id
    finally:
        stop_live_server(process)


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize("mode", ["fast", "immediate"])  # a clean restart, and a crash
def test_requests_fail_cleanly_and_recover_when_postgres_restarts(site, postgres, mode):
    server, movie_id = site
    login = requests.post(
        f"{server.url}/api/token/", json={"username": "alice", "password": PASSWORD}, timeout=10
    )
    assert login.status_code == 201
    auth = {"Authorization": f"Bearer {login.cookies['access_token']}"}
    calls = [
        ("profile", "GET", "/api/user/profile/", None),
        ("movie", "GET", f"/api/movie/{movie_id}/", None),
        ("rate", "POST", f"/api/movie/{movie_id}/rate/", {"rating": 4}),
        ("comment", "POST", f"/api/movie/{movie_id}/comment/", {"body": "Again"}),
        ("login", "POST", "/api/token/", {"username": "alice", "password": PASSWORD}),
    ]
    outcomes: list[Outcome] = []
    stop = threading.Event()

    def worker(offset: int) -> None:
        session = requests.Session()
        n = offset
        while not stop.is_set():
            label, method, path, body = calls[n % len(calls)]
            n += 1
            started = time.monotonic()
            try:
                response = session.request(
                    method, server.url + path, json=body, headers=auth, timeout=TIMEOUT
                )
                outcome = Outcome(
                    started, time.monotonic(), label, response.status_code, response.text
                )
                if response.status_code == 503:
                    outcome.body += f" Retry-After={response.headers.get('Retry-After')}"
            except requests.RequestException as exc:
                outcome = Outcome(started, time.monotonic(), label, None, repr(exc))
            outcomes.append(outcome)
            time.sleep(0.02)

    with ThreadPoolExecutor(WORKERS) as pool:
        for i in range(WORKERS):
            pool.submit(worker, i)
        time.sleep(1.5)
        down_at = time.monotonic()
        postgres.stop(mode)
        time.sleep(2)
        postgres.start()
        up_at = time.monotonic()
        time.sleep(RECOVERY + 2)
        stop.set()

    before = [o for o in outcomes if o.finished < down_at]
    during = [o for o in outcomes if down_at <= o.started < up_at]
    settled = [o for o in outcomes if o.started >= up_at + RECOVERY]
    unexpected = [o for o in outcomes if o.status not in (200, 201, 503)]

    assert unexpected == [], unexpected[:5]
    assert before
    assert [o for o in before if o.status not in (200, 201)] == []
    assert any(o.status == 503 for o in during), "the outage was not observed"
    for outcome in outcomes:
        if outcome.status == 503:
            assert outcome.body == (
                '{"message":"Service temporarily unavailable"} Retry-After=5'
            ), outcome
    assert settled
    assert [o for o in settled if o.status not in (200, 201)] == []
    health = requests.get(f"{server.url}/api/health/", timeout=TIMEOUT)
    assert health.json()["database"] == "ok"
