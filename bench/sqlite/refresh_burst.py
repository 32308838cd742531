"""Overlapping writes on the embedded default: N users' token refreshes fired at one instant.

Starts `manage.py runserver` (the dev server of scripts/dev) on a fresh SQLite file, signs in N
users, then fires their N refreshes at once, ROUNDS times, and counts the answers. Before BEGIN
IMMEDIATE (mcbackend/settings/base.py) some answered 503 ("database is locked").

    python bench/sqlite/refresh_burst.py [--users 10] [--rounds 20] [--port 21401]
"""

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Corr3ct-Horse-Battery"  # noqa: S105 (throwaway local accounts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--port", type=int, default=21401)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="refresh-burst-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.local",
        "THROTTLE_LOGIN_ADDRESS": "1000/15m",
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    create = (
        "from accounts.models import User\n"
        f"for i in range({args.users}):\n"
        f"    User.objects.create_user(f'burst{{i}}', f'burst{{i}}@example.com', '{PASSWORD}')\n"
    )
    subprocess.run([*manage, "shell", "-c", create], env=env, check=True)
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{args.port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/api/health/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        sessions = []
        for i in range(args.users):
            s = requests.Session()
            r = s.post(f"{base}/api/token/", json={"username": f"burst{i}", "password": PASSWORD})
            assert r.status_code == 201, r.text
            sessions.append(s)
        statuses: collections.Counter[int] = collections.Counter()
        rounds_with_failure = 0
        for _ in range(args.rounds):
            barrier = threading.Barrier(len(sessions))
            answers: list[int] = []

            def refresh(
                s: requests.Session, b: threading.Barrier = barrier, answers: list[int] = answers
            ) -> None:
                b.wait()
                answers.append(s.post(f"{base}/api/token/refresh/", timeout=30).status_code)

            threads = [threading.Thread(target=refresh, args=(s,)) for s in sessions]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            statuses.update(answers)
            rounds_with_failure += any(a != 200 for a in answers)
        print(f"loadavg {Path('/proc/loadavg').read_text().strip()}")
        print(
            f"{args.rounds} rounds x {args.users} concurrent refreshes: {dict(statuses)}; "
            f"rounds with a failure: {rounds_with_failure}"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
