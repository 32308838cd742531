"""Friends' feed and notifications inbox cost, as multiples of the floor request (RESULTS.md).

    python bench/social/bench.py                 # gunicorn, one worker, SQLite
    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/social/bench.py --label pg
    ... --before DIR     # also serve DIR (a checkout of earlier code), side by side

Seeds bench/social's data (seed.py: 1,000 friends with 200 ratings and 20 comments each; viewers
with 10, 100 and 1,000 friends; an inbox of 500 notifications), starts the production HTTP
command (docker-compose.yml's `web`: gunicorn -c deploy/gunicorn.conf.py) with ONE worker and
WEB_THREADS threads (compose's default, 4; `--threads 1` is a sync worker), then per round
measures the floor (an anonymous request for an unknown path: a 404 through every middleware),
every endpoint below and the floor again, each with `wrk -t1 -c8 --latency`. With `--before`,
that checkout's server runs too, on the same database and Redis, and the two alternate request
kind by request kind. Cost = floor req/s / endpoint req/s; p50 = endpoint p50 latency / floor p50
latency (medians over the rounds, each side against its own floor). Writes
bench/out/social/<label>.json.
"""

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE.parent / "out" / "social"

FLOOR = ("unknown path (404, anonymous)", "/api/no-such-path/", None)
ENDPOINTS = [
    ("GET /api/user/profile/ (reference)", "/api/user/profile/", "v100"),
    ("GET /api/notifications/unread-count/", "/api/notifications/unread-count/", "v100"),
    ("GET /api/notifications/ (500, 50 a page)", "/api/notifications/", "v100"),
    ("GET /api/feed/ (10 friends)", "/api/feed/", "v10"),
    ("GET /api/feed/ (100 friends)", "/api/feed/", "v100"),
    ("GET /api/feed/?before= (100 friends, page 2)", "/api/feed/?before={page2}", "v100"),
    ("GET /api/feed/ (1,000 friends)", "/api/feed/", "v1000"),
]
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
# docker-compose.yml's `web` command
GUNICORN = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "mcbackend.wsgi:application"]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


SECRET_KEY = secrets.token_urlsafe(64)  # one for both sides: seed.py's tokens work on each


def bench_env(args: argparse.Namespace, root: Path, port: int, prefix: str) -> dict[str, str]:
    """Production settings for one server."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.production",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AUTH_COOKIE_SECURE": "false",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{args.db}",
        "CACHE_KEY_PREFIX": prefix,
        "ML_MODEL_DIR": str(args.db.parent / "models"),
        "THROTTLE_USER": "100000000/m",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
        "WEB_THREADS": str(args.threads),
        "DB_POOL_MIN_SIZE": "1",  # compose's `web` settings
        "DB_POOL_MAX_SIZE": "5",
        "PYTHONPATH": str(root),
    }


def run(cmd: list[str], env: dict[str, str], root: Path) -> str:
    return subprocess.run(cmd, env=env, cwd=root, check=True, capture_output=True, text=True).stdout


def wrk(url: str, token: str | None, seconds: float) -> tuple[float, float]:
    """(requests/s, p50 latency in ms); fails on any unexpected status."""
    cmd = ["wrk", "-t1", "-c8", f"-d{seconds:g}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out and "no-such-path" not in url:
        raise RuntimeError(f"{url}: non-2xx answers\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE).groups()
    return rps, float(value) * _UNITS[unit]


def get(url: str, token: str | None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def summarise(
    floors: list[tuple[float, float]], samples: dict[str, list[tuple[float, float]]]
) -> tuple[float, float, dict[str, dict[str, float]]]:
    """Medians of the floor's and each endpoint's (req/s, p50 ms) runs, and each endpoint's
    cost as a ratio to the floor (also used by bench/home)."""
    floor_rps = statistics.median(r for r, _ in floors)
    floor_p50 = statistics.median(p for _, p in floors)
    rows = {}
    for name, values in samples.items():
        rps = statistics.median(r for r, _ in values)
        p50 = statistics.median(p for _, p in values)
        rows[name] = {
            "rps": round(rps, 1),
            "p50_ms": round(p50, 2),
            "cost_x_floor": round(floor_rps / rps, 2),
            "p50_x_floor": round(p50 / floor_p50, 2),
        }
    return floor_rps, floor_p50, rows


def print_table(rows: dict[str, dict[str, float]]) -> None:
    """summarise's rows as the RESULTS.md table (also used by bench/home)."""
    print("| request | req/s | p50 ms | cost x floor | p50 x floor |\n|---|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| `{name}` | {row['rps']:.0f} | {row['p50_ms']:.2f} | "
            f"{row['cost_x_floor']:.2f} | {row['p50_x_floor']:.2f} |"
        )


def start(env: dict[str, str], root: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", *GUNICORN], env=env, cwd=root)
    for _ in range(300):
        try:
            if get(f"http://127.0.0.1:{port}/api/health/", None)[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"{root}: the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--port", type=int, default=21220)
    parser.add_argument("--db", type=Path, default=Path("/tmp/mc-bench-social/social.sqlite3"))  # noqa: S108
    parser.add_argument("--before", type=Path, help="a checkout of earlier code, served too")
    parser.add_argument("--threads", type=int, default=4, help="WEB_THREADS (compose: 4)")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    sides = {"after": (ROOT, args.port)}
    if args.before:
        sides = {"before": (args.before.resolve(), args.port + 1), **sides}
    envs = {
        side: bench_env(args, root, port, f"bsoc-{side}") for side, (root, port) in sides.items()
    }
    py = sys.executable
    started = time.time()
    run([py, "manage.py", "migrate", "-v0"], envs["after"], ROOT)
    tokens = json.loads(run([py, str(HERE / "seed.py")], envs["after"], ROOT))
    seeded_s = time.time() - started

    servers: dict[str, subprocess.Popen] = {}
    try:
        for side, (root, port) in sides.items():
            servers[side] = start(envs[side], root, port)
        bases = {side: f"http://127.0.0.1:{port}" for side, (_, port) in sides.items()}
        endpoints: dict[str, list[tuple[str, str, str | None]]] = {}
        for side, base in bases.items():
            status, body = get(f"{base}/api/feed/", tokens["v100"])
            assert status == 200, status
            page2 = json.loads(body)[-1]["id"]  # item ids are signed with the server's key
            endpoints[side] = [(n, p.format(page2=page2), w) for n, p, w in ENDPOINTS]
            for name, path, who in [FLOOR, *endpoints[side]]:
                for _ in range(3):  # warm-up
                    code, _ = get(base + path, tokens.get(who) if who else None)
                assert code == (404 if path == FLOOR[1] else 200), (side, name, code)
        samples = {side: {n: [] for n, _, _ in ENDPOINTS} for side in sides}
        floors: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
        load = [loadavg()]
        for _ in range(args.rounds):
            for side, base in bases.items():
                floors[side].append(wrk(base + FLOOR[1], None, args.seconds))
            for index in range(len(ENDPOINTS)):
                for side, base in bases.items():
                    name, path, who = endpoints[side][index]
                    samples[side][name].append(wrk(base + path, tokens.get(who), args.seconds))
            for side, base in bases.items():
                floors[side].append(wrk(base + FLOOR[1], None, args.seconds))
            load.append(loadavg())
    finally:
        for server in servers.values():
            server.terminate()
        for server in servers.values():
            server.wait(timeout=30)
    report: dict[str, object] = {
        "label": args.label,
        "server": f"gunicorn, one worker, WEB_THREADS={args.threads}",
        "database": envs["after"]["DATABASE_URL"].split(":", 1)[0],
        "loadavg": load,
        "seed_and_migrate_s": round(seeded_s, 1),
        "wrk": f"wrk -t1 -c8 -d{args.seconds:g}s --latency, {args.rounds} rounds (median)",
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(f"{args.label}: {report['server']}, {report['database']}; load average {load}")
    for side in sides:
        floor_rps, floor_p50, rows = summarise(floors[side], samples[side])
        report[side] = {
            "root": str(sides[side][0]),
            "floor": {"name": FLOOR[0], "rps": round(floor_rps, 1), "p50_ms": round(floor_p50, 2)},
            "endpoints": rows,
        }
        print(f"\n{side} ({sides[side][0]}): floor {floor_rps:.0f} req/s, p50 {floor_p50:.2f} ms")
        print_table(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.label}.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
