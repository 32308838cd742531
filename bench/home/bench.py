"""Home rows and group picks cost, as multiples of the floor request (RESULTS.md).

    python bench/home/bench.py                          # this checkout
    python bench/home/bench.py --before DIR             # and DIR (e.g. `git archive` of main)

The demo data in a SQLite file (imported and a model trained when missing), the bench user of
seed.py (100 ratings, 20 friends), the production HTTP command (compose's `web`: gunicorn with
deploy/gunicorn.conf.py) with ONE worker (WEB_THREADS=1 unless --threads), production settings
and a local-memory cache (--database-url and --redis-url: Postgres and Redis instead). Per
round, for each checkout served (this one, and --before's, each on its own port, alternating
which goes first): the floor (an anonymous request for an unknown
path: a 404 through every middleware), each endpoint below and the floor again, each with
`wrk -t1 -c8 --latency` (bench/social's method). Cost = floor req/s / endpoint req/s; p50 =
endpoint p50 latency / floor p50 latency, both to the floor of the same server (medians over the
rounds). Steady state: the rows and each member's predicted stars are cached after the warm-up
(as after a refresh); the uncached first request is timed once and reported beside. Writes
bench/out/home/<label>.json.
"""

import argparse
import importlib.util
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE.parent / "out" / "home"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


social_bench = _load("social_bench", ROOT / "bench" / "social" / "bench.py")
# compose's `web` command; WEB_WORKERS=1 in bench_env
SERVER = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "mcbackend.wsgi:application"]
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, token: str | None, seconds: float, script: str | None = None):
    """(requests/s, p50 ms); bench/social's wrk, plus a Lua script for the POST."""
    if script is None:
        return social_bench.wrk(url, token, seconds)
    cmd = ["wrk", "-t1", "-c8", f"-d{seconds:g}s", "--latency", "-s", script, url]
    cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{url}: non-2xx answers\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE).groups()
    return rps, float(value) * _UNITS[unit]


def request(url: str, token: str, body: bytes | None, origin: str) -> tuple[int, float]:
    req = urllib.request.Request(url, data=body, method="POST" if body else "GET")  # noqa: S310
    req.add_header("Authorization", f"Bearer {token}")
    if body:
        req.add_header("Content-Type", "application/json")
        req.add_header("Origin", origin)
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as response:  # noqa: S310
        response.read()
        return response.status, 1000 * (time.perf_counter() - started)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench_env(args: argparse.Namespace, root: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.production",
        "DJANGO_SECRET_KEY": args.secret,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AUTH_COOKIE_SECURE": "false",
        "DATABASE_URL": args.database_url or f"sqlite:///{args.db}",
        # Production's Postgres pool hands each request an open connection; the SQLite file
        # stands in with a persistent one (0 would open one per request: +1.5-3 ms on any
        # request with a query, an artefact of SQLite, not of the endpoint).
        "DB_CONN_MAX_AGE": str(args.conn_max_age),
        "ML_MODEL_DIR": str(args.models),
        "THROTTLE_USER": "100000000/m",
        "NUM_PROXIES": "0",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "",
        "WEB_WORKERS": "1",
        "WEB_THREADS": str(args.threads),
        "PYTHONPATH": str(root),
        # Redis: each server its own key prefix (the checkouts' entries may differ in shape).
        **({"REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": f"b{port}"} if args.redis_url else {}),
    }


def run(cmd: list[str], env: dict[str, str], root: Path) -> str:
    return subprocess.run(cmd, env=env, cwd=root, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--before", type=Path, help="another checkout to serve side by side")
    parser.add_argument("--port", type=int, default=21320)
    parser.add_argument("--db", type=Path, default=Path("/tmp/mc-bench-home/demo.sqlite3"))  # noqa: S108
    parser.add_argument("--database-url", help="e.g. postgres://...; default: the SQLite file --db")
    parser.add_argument("--redis-url", help="the shared cache (each server its own key prefix)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--conn-max-age", type=int, default=600, help="DB_CONN_MAX_AGE")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.models = args.db.parent / "models"
    args.secret = secrets.token_urlsafe(64)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    roots = {"after": ROOT}
    if args.before:
        roots = {"before": args.before.resolve(), "after": ROOT}
    ports = {name: args.port + i for i, name in enumerate(roots)}
    env = bench_env(args, ROOT, ports["after"])
    py = sys.executable
    run([py, "manage.py", "migrate", "-v0"], env, ROOT)
    count = "from movies.models import Movie; print(Movie.objects.count())"
    if int(run([py, "manage.py", "shell", "-c", count], env, ROOT).split()[-1]) == 0:
        run([py, "manage.py", "load_demo_data"], env, ROOT)
    run([py, "manage.py", "train_recommender", "--if-missing"], env, ROOT)
    seeded = json.loads(run([py, str(HERE / "seed.py")], env, ROOT))
    token, group = seeded["token"], seeded["group"]
    body = json.dumps({"user_ids": group})
    scripts = {}
    for name, port in ports.items():
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(
                'wrk.method = "POST"\n'
                f"wrk.body = '{body}'\n"
                'wrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.headers["Origin"] = "http://127.0.0.1:{port}"\n'
            )
        scripts[name] = lua.name
    endpoints = [
        ("GET /api/user/profile/ (reference)", "/api/user/profile/", False),
        ("GET /api/user/movies/ (reference: the one list)", "/api/user/movies/", False),
        ("GET /api/user/movies/lists/ (100 ratings, 20 friends)", "/api/user/movies/lists/", False),
        ("POST /api/recommendations/group/ (8 members)", "/api/recommendations/group/", True),
    ]
    servers = {}
    try:
        for name, root in roots.items():
            server_env = bench_env(args, root, ports[name])
            cmd = [str(Path(py).parent / SERVER[0]), *SERVER[1:]]
            servers[name] = subprocess.Popen(cmd, env=server_env, cwd=root)
        first: dict[str, dict[str, float]] = {}
        for name, port in ports.items():
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if social_bench.get(f"{base}/api/health/", None)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            # A model is loaded by the reference request; then the first (uncached) computations.
            assert request(f"{base}/api/user/movies/", token, None, base)[0] == 200
            lists, picks = f"{base}/api/user/movies/lists/", f"{base}/api/recommendations/group/"
            first[name] = {
                "lists": request(lists, token, None, base)[1],
                "group": request(picks, token, body.encode(), base)[1],
            }
            for _, path, post in endpoints:
                for _ in range(3):  # warm-up: the cached steady state
                    code = request(base + path, token, body.encode() if post else None, base)[0]
                assert code == 200, (name, path)
            assert social_bench.get(base + social_bench.FLOOR[1], None)[0] == 404
        samples = {name: {n: [] for n, _, _ in endpoints} for name in roots}
        floors: dict[str, list[tuple[float, float]]] = {name: [] for name in roots}
        load = [loadavg()]
        for round_ in range(args.rounds):
            order = list(roots) if round_ % 2 == 0 else list(reversed(roots))
            for name in order:
                base = f"http://127.0.0.1:{ports[name]}"
                floors[name].append(wrk(base + social_bench.FLOOR[1], None, args.seconds))
                for label, path, post in endpoints:
                    script = scripts[name] if post else None
                    samples[name][label].append(wrk(base + path, token, args.seconds, script))
                floors[name].append(wrk(base + social_bench.FLOOR[1], None, args.seconds))
            load.append(loadavg())
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
        for script in scripts.values():
            os.unlink(script)
    report: dict[str, object] = {
        "label": args.label,
        "server": f"gunicorn, one worker, WEB_THREADS={args.threads}",
        "db_conn_max_age": args.conn_max_age,
        "database": (args.database_url or "sqlite").split(":")[0],
        "cache": "redis" if args.redis_url else "local memory",
        "friend_ratings": seeded["friend_ratings"],
        "loadavg": load,
        "wrk": f"wrk -t1 -c8 -d{args.seconds:g}s --latency, {args.rounds} rounds (median)",
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(f"load average {load}")
    for name in roots:
        floor_rps, floor_p50, rows = social_bench.summarise(floors[name], samples[name])
        report[name] = {
            "root": str(roots[name]),
            "floor": {"rps": round(floor_rps, 1), "p50_ms": round(floor_p50, 2)},
            "endpoints": rows,
            "first_request_ms": {k: round(v, 1) for k, v in first[name].items()},
        }
        print(f"\n{name} ({roots[name]}): floor {floor_rps:.0f} req/s, p50 {floor_p50:.2f} ms")
        print(f"first (uncached) request: {report[name]['first_request_ms']} ms")  # type: ignore[index]
        social_bench.print_table(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.label}.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
