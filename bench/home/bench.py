"""Home rows and group picks cost, as multiples of the floor request (RESULTS.md).

    python bench/home/bench.py                  # gunicorn, one worker, SQLite demo data

Reuses bench/http (server commands, production environment) and bench/social's method: the
demo data in a SQLite file (imported and a model trained when missing), the bench user of
seed.py (100 ratings, 20 friends), the production HTTP command with ONE worker, then per round
the floor (an anonymous request for an unknown path: a 404 through every middleware), each
endpoint below and the floor again, each with `wrk -t1 -c8 --latency`. Cost = floor req/s /
endpoint req/s; p50 = endpoint p50 latency / floor p50 latency (medians over the rounds).
Steady state: the rows and each member's predicted stars are cached after the warm-up (as after
a refresh); the uncached first request is timed once and reported beside. Writes
bench/out/home/<label>.json.
"""

import argparse
import importlib.util
import json
import os
import re
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


http_bench = _load("http_bench", ROOT / "bench" / "http" / "bench.py")
social_bench = _load("social_bench", ROOT / "bench" / "social" / "bench.py")
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--server", choices=sorted(http_bench.SERVERS), default="gunicorn")
    parser.add_argument("--port", type=int, default=21320)
    parser.add_argument("--db", type=Path, default=Path("/tmp/mc-bench-home/demo.sqlite3"))  # noqa: S108
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.root, args.models = ROOT, args.db.parent / "models"
    args.db.parent.mkdir(parents=True, exist_ok=True)
    env = http_bench.bench_env(args)
    py = sys.executable
    if not args.db.exists() or args.db.stat().st_size < 1_000_000:
        steps = (["migrate", "-v0"], ["load_demo_data"], ["train_recommender", "--if-missing"])
    else:
        steps = (["migrate", "-v0"], ["train_recommender", "--if-missing"])
    for step in steps:
        http_bench.run([py, "manage.py", *step], env, ROOT)
    seeded = json.loads(http_bench.run([py, str(HERE / "seed.py")], env, ROOT))
    token, group = seeded["token"], seeded["group"]
    base = f"http://127.0.0.1:{args.port}"
    body = json.dumps({"user_ids": group})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(
            'wrk.method = "POST"\n'
            f"wrk.body = '{body}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Origin"] = "{base}"\n'
        )
    lists = f"{base}/api/user/movies/lists/"
    picks = f"{base}/api/recommendations/group/"
    endpoints = [
        ("GET /api/user/profile/ (reference)", f"{base}/api/user/profile/", None),
        ("GET /api/user/movies/ (reference: the one list)", f"{base}/api/user/movies/", None),
        ("GET /api/user/movies/lists/ (100 ratings, 20 friends)", lists, None),
        ("POST /api/recommendations/group/ (8 members)", picks, lua.name),
    ]

    cmd = [part.format(port=args.port) for part in http_bench.SERVERS[args.server]]
    cmd = [py, *cmd] if cmd[0] == "-m" else [str(Path(py).parent / cmd[0]), *cmd[1:]]
    server = subprocess.Popen(cmd, env=env, cwd=ROOT)
    try:
        for _ in range(300):
            try:
                if social_bench.get(f"{base}/api/health/", None)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        # A model is loaded by the reference request; then the first (uncached) computations.
        assert request(f"{base}/api/user/movies/", token, None, base)[0] == 200
        first = {
            "lists": request(lists, token, None, base)[1],
            "group": request(picks, token, body.encode(), base)[1],
        }
        for _, url, script in endpoints:
            for _ in range(3):  # warm-up: the cached steady state
                code = request(url, token, body.encode() if script else None, base)[0]
            assert code == 200, url
        assert social_bench.get(base + social_bench.FLOOR[1], None)[0] == 404
        samples: dict[str, list[tuple[float, float]]] = {n: [] for n, _, _ in endpoints}
        floors: list[tuple[float, float]] = []
        load = [http_bench.loadavg()]
        for _ in range(args.rounds):
            before = wrk(base + social_bench.FLOOR[1], None, args.seconds)
            for name, url, script in endpoints:
                samples[name].append(wrk(url, token, args.seconds, script))
            after = wrk(base + social_bench.FLOOR[1], None, args.seconds)
            floors += [before, after]
            load.append(http_bench.loadavg())
    finally:
        server.terminate()
        server.wait(timeout=30)
        os.unlink(lua.name)
    floor_rps, floor_p50, rows = social_bench.summarise(floors, samples)
    report = {
        "label": args.label,
        "server": f"{args.server}, one worker",
        "database": env["DATABASE_URL"].split(":", 1)[0],
        "cache": "redis" if env.get("REDIS_URL") else "local memory",
        "floor": {"rps": round(floor_rps, 1), "p50_ms": round(floor_p50, 2)},
        "endpoints": rows,
        "first_request_ms": {k: round(v, 1) for k, v in first.items()},
        "friend_ratings": seeded["friend_ratings"],
        "loadavg": load,
        "wrk": f"wrk -t1 -c8 -d{args.seconds:g}s --latency, {args.rounds} rounds (median)",
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.label}.json").write_text(json.dumps(report, indent=1))
    print(f"floor {floor_rps:.0f} req/s, p50 {floor_p50:.2f} ms; load average {load}")
    print(f"first (uncached) request: {report['first_request_ms']} ms")
    print("| request | req/s | p50 ms | cost x floor | p50 x floor |\n|---|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| `{name}` | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['cost_x_floor']:.2f} "
            f"| {row['p50_x_floor']:.2f} |"
        )


if __name__ == "__main__":
    main()
