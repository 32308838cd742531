"""Private Redis and PostgreSQL servers that a fault test owns: it may stop and restart them.

Each runs as a subprocess on a free port with its data in a temporary folder, and is stopped and
removed by the fixture that started it, whatever the test's outcome.
"""

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.realtime.live import _free_port


def _wait(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


class PrivateRedis:
    """`redis-server` on 127.0.0.1:<free port>, no persistence."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed (Debian package `redis-server`; CI has it)")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait(self.ping, timeout=10, what="redis-server start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def client_count(self) -> int:
        import redis

        return len(redis.Redis(port=self.port, socket_connect_timeout=0.5).client_list())


class PrivatePostgres:
    """A throwaway cluster (initdb) run as the `postgres` OS user, as .ci/run does.

    Needs root (to switch user with runuser) and Debian's /usr/lib/postgresql/<n>/bin.
    """

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            pytest.skip("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed")
        runuser = shutil.which("runuser")
        if os.geteuid() != 0 or runuser is None:
            pytest.skip("a private PostgreSQL needs root to run initdb as the postgres user")
        self.runuser = runuser
        self.bin = Path(bins[-1])
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="mc-faults-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/movieconnect"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(
            [self.runuser, "-u", "postgres", "--", *command],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=60,
        )

    def create(self) -> None:
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync")  # fmt: skip
        self.start()
        self._as_postgres(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                          "-U", "postgres", "movieconnect")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                          str(self.folder / "pg.log"), "-w", "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                          "stop")  # fmt: skip

    def destroy(self) -> None:
        subprocess.run(
            [
                self.runuser,
                "-u",
                "postgres",
                "--",
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)
