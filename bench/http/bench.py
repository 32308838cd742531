"""Per-endpoint cost through the production HTTP command, one worker process (README.md).

    python bench/http/bench.py --label after                 # this checkout, gunicorn
    python bench/http/bench.py --label before --root DIR --server daphne

Seeds the demo data into a SQLite database (skipped when present), creates the bench users
(seed.py), starts the server with ONE worker, then for each round measures the floor (an
anonymous request for an unknown path: a 404 through every middleware) and every endpoint of
endpoints.py with `wrk -t1 -c8 -d<seconds>s`, and the floor again.
Writes bench/out/http/<label>.json.
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
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from endpoints import ENDPOINTS, FLOOR  # noqa: E402

OUT = HERE.parent / "out" / "http"
SERVERS = {
    # compose's `web` command, with one worker process
    "gunicorn": ["gunicorn", "-c", "deploy/gunicorn.conf.py", "mcbackend.wsgi:application"],
    # compose's `web` command before this change (daphne served HTTP too)
    "daphne": ["-m", "realtime.server", "-b", "127.0.0.1", "-p", "{port}", "-v0",
               "mcbackend.asgi:application"],
}  # fmt: skip


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_ORIGINS": f"http://127.0.0.1:{args.port}",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AUTH_COOKIE_SECURE": "false",
        "DATABASE_URL": f"sqlite:///{args.db}",
        "ML_MODEL_DIR": str(args.models),
        "THROTTLE_USER": "100000000/m",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "WEB_WORKERS": "1",
        "PYTHONPATH": str(args.root),
    }


def run(cmd: list[str], env: dict[str, str], root: Path) -> str:
    return subprocess.run(cmd, env=env, cwd=root, check=True, capture_output=True, text=True).stdout


def wrk(url: str, token: str | None, seconds: float) -> float:
    cmd = ["wrk", "-t1", "-c8", f"-d{seconds:g}s", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps if non2xx is None or url.endswith("no-such-path/") else -rps


def status(url: str, token: str | None) -> int:
    request = urllib.request.Request(url)  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", required=True)
    parser.add_argument("--root", type=Path, default=HERE.parents[1], help="checkout to serve")
    parser.add_argument("--server", choices=sorted(SERVERS), default="gunicorn")
    parser.add_argument("--port", type=int, default=21710)
    parser.add_argument("--db", type=Path, default=Path("/tmp/mc-bench-http/demo.sqlite3"))  # noqa: S108
    parser.add_argument("--models", type=Path, default=Path("/tmp/mc-bench-http/models"))  # noqa: S108
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated substrings of endpoint names")
    args = parser.parse_args()
    args.root = args.root.resolve()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    env = bench_env(args)
    py = sys.executable

    if not args.db.exists() or args.db.stat().st_size < 1_000_000:
        for step in (["migrate", "-v0"], ["load_demo_data"], ["train_recommender", "--if-missing"]):
            run([py, "manage.py", *step], env, args.root)
    else:
        run([py, "manage.py", "migrate", "-v0"], env, args.root)
    tokens = json.loads(run([py, str(HERE / "seed.py")], env, args.root))

    cmd = [part.format(port=args.port) for part in SERVERS[args.server]]
    cmd = [py, *cmd] if cmd[0] == "-m" else [str(Path(py).parent / cmd[0]), *cmd[1:]]
    server = subprocess.Popen(cmd, env=env, cwd=args.root)
    base = f"http://127.0.0.1:{args.port}"
    only = [part for part in args.only.split(",") if part]
    endpoints = [e for e in ENDPOINTS if not only or any(o in e[0] for o in only)]
    try:
        for _ in range(300):
            try:
                if status(f"{base}/api/health/", None) == 200:
                    break
            except OSError:
                time.sleep(0.2)
        for name, path, who in [FLOOR, *endpoints]:
            for _ in range(3):  # warm: first-request work (model load, materialised lists)
                code = status(base + path, tokens.get(who))
            expected = 404 if (name, path, who) == FLOOR else 200
            assert code == expected, f"{name}: {code}"
        results: dict[str, list[float]] = {name: [] for name, _, _ in [FLOOR, *endpoints]}
        floors: list[float] = []
        load = [loadavg()]
        for _ in range(args.rounds):
            round_floor = [wrk(base + FLOOR[1], None, args.seconds)]
            for name, path, who in endpoints:
                results[name].append(wrk(base + path, tokens.get(who), args.seconds))
            round_floor.append(wrk(base + FLOOR[1], None, args.seconds))
            floors.append(statistics.mean(round_floor))
            load.append(loadavg())
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor = statistics.median(floors)
    rows = {
        name: {"rps": statistics.median(values), "ratio": statistics.median(values) / floor}
        for name, values in results.items()
        if values
    }
    report = {
        "label": args.label,
        "server": args.server,
        "root": str(args.root),
        "floor_rps": floor,
        "floor_name": FLOOR[0],
        "endpoints": rows,
        "loadavg": load,
        "wrk": f"wrk -t1 -c8 -d{args.seconds:g}s, {args.rounds} rounds (median)",
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.label}.json").write_text(json.dumps(report, indent=1))
    print(f"floor {floor:.0f} req/s; load average {load}")
    for name, row in rows.items():
        print(f"{name:50s} {row['rps']:8.0f} req/s  {row['ratio']:.2f} x floor")


if __name__ == "__main__":
    main()
