"""A live daphne server in a subprocess, on the tests' database and channel layer.

Started the way production runs it (`python -m realtime.server`, daphne with the protocol's
ping and frame-size settings), serving
tests/realtime/live_asgi.py. With the SQLite default the test database is a file
(mcbackend/settings/test.py); with REDIS_URL the server shares the tests' layer prefix.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}/ws/"
        self.origin = self.url

    def publish(self, kind: str, **body: object) -> None:
        response = requests.post(f"{self.url}/__test__/{kind}", json=body, timeout=10)
        assert response.status_code == 204


def start_live_server(
    *, extra_env: dict[str, str] | None = None, drop_env: tuple[str, ...] = (), timeout: float = 30
) -> tuple[subprocess.Popen, LiveServer]:
    """Start daphne on a free port and wait for /api/health/ to answer 200.

    By default it serves the tests' database and channel layer; `extra_env` overrides (e.g.
    TRUSTED_ORIGINS, REDIS_URL, DATABASE_URL) and `drop_env` removes variables. The caller stops it
    with `stop_live_server`.
    """
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.test",
        "TEST_LIVE_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "PYTHONPATH": str(ROOT),
    }
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix")
    if prefix:
        env["TEST_CHANNEL_LAYER_PREFIX"] = prefix
    env.update(extra_env or {})
    for name in drop_env:
        env.pop(name, None)
    command = [sys.executable, "-m", "realtime.server", "-b", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(
        [*command, "tests.realtime.live_asgi:application"], cwd=ROOT, env=env
    )
    server = LiveServer(port)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{server.url}/api/health/", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its first answer is slow on a busy machine
            assert process.poll() is None, "daphne exited"
            assert time.monotonic() < deadline, "daphne did not start"
            time.sleep(0.2)
    except BaseException:
        stop_live_server(process)
        raise
    return process, server


def stop_live_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def live_server_ws(django_db_setup, django_db_blocker) -> Iterator[LiveServer]:
    process, server = start_live_server()
    try:
        yield server
    finally:
        stop_live_server(process)
