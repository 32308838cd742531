"""Friends' feed and notifications inbox cost, as multiples of the floor request (RESULTS.md).

    python bench/social/bench.py                 # gunicorn, one worker, SQLite
    DATABASE_URL=postgres://... python bench/social/bench.py --label postgres

Seeds bench/social's data (seed.py: 1,000 friends with 200 ratings and 20 comments each; viewers
with 10, 100 and 1,000 friends; an inbox of 500 notifications), starts the production HTTP
command with ONE worker (bench/http's), then per round measures the floor (an anonymous request
for an unknown path: a 404 through every middleware), every endpoint below and the floor again,
each with `wrk -t1 -c8 --latency`. Cost = floor req/s / endpoint req/s; p50 = endpoint p50 latency
/ floor p50 latency (both medians over the rounds). Writes bench/out/social/<label>.json.
"""

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE.parent / "out" / "social"

_spec = importlib.util.spec_from_file_location("http_bench", ROOT / "bench" / "http" / "bench.py")
http_bench = importlib.util.module_from_spec(_spec)  # its server commands and environment
_spec.loader.exec_module(http_bench)

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="sqlite")
    parser.add_argument("--server", choices=sorted(http_bench.SERVERS), default="gunicorn")
    parser.add_argument("--port", type=int, default=21220)
    parser.add_argument("--db", type=Path, default=Path("/tmp/mc-bench-social/social.sqlite3"))  # noqa: S108
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    args.root, args.models = ROOT, args.db.parent / "models"
    args.db.parent.mkdir(parents=True, exist_ok=True)
    env = http_bench.bench_env(args)
    if os.environ.get("DATABASE_URL"):  # e.g. a Postgres database instead of the SQLite file
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    py = sys.executable
    started = time.time()
    http_bench.run([py, "manage.py", "migrate", "-v0"], env, ROOT)
    tokens = json.loads(http_bench.run([py, str(HERE / "seed.py")], env, ROOT))
    seeded_s = time.time() - started

    cmd = [part.format(port=args.port) for part in http_bench.SERVERS[args.server]]
    cmd = [py, *cmd] if cmd[0] == "-m" else [str(Path(py).parent / cmd[0]), *cmd[1:]]
    server = subprocess.Popen(cmd, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(300):
            try:
                if get(f"{base}/api/health/", None)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, body = get(f"{base}/api/feed/", tokens["v100"])
        assert status == 200, status
        page2 = json.loads(body)[-1]["id"]
        endpoints = [(n, p.format(page2=page2), w) for n, p, w in ENDPOINTS]
        for name, path, who in [FLOOR, *endpoints]:
            for _ in range(3):  # warm-up
                code, _ = get(base + path, tokens.get(who))
            assert code == (404 if path == FLOOR[1] else 200), (name, code)
        samples: dict[str, list[tuple[float, float]]] = {n: [] for n, _, _ in endpoints}
        floors: list[tuple[float, float]] = []
        load = [http_bench.loadavg()]
        for _ in range(args.rounds):
            before = wrk(base + FLOOR[1], None, args.seconds)
            for name, path, who in endpoints:
                samples[name].append(wrk(base + path, tokens.get(who), args.seconds))
            after = wrk(base + FLOOR[1], None, args.seconds)
            floors += [before, after]
            load.append(http_bench.loadavg())
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor_rps, floor_p50, rows = summarise(floors, samples)
    report = {
        "label": args.label,
        "server": f"{args.server}, one worker",
        "database": env["DATABASE_URL"].split(":", 1)[0],
        "floor": {"name": FLOOR[0], "rps": round(floor_rps, 1), "p50_ms": round(floor_p50, 2)},
        "endpoints": rows,
        "loadavg": load,
        "seed_and_migrate_s": round(seeded_s, 1),
        "wrk": f"wrk -t1 -c8 -d{args.seconds:g}s --latency, {args.rounds} rounds (median)",
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.label}.json").write_text(json.dumps(report, indent=1))
    print(f"floor {floor_rps:.0f} req/s, p50 {floor_p50:.2f} ms; load average {load}")
    print("| request | req/s | p50 ms | cost x floor | p50 x floor |\n|---|---|---|---|---|")
    for name, row in rows.items():
        print(
            f"| `{name}` | {row['rps']:.0f} | {row['p50_ms']:.2f} | {row['cost_x_floor']:.2f} "
            f"| {row['p50_x_floor']:.2f} |"
        )


if __name__ == "__main__":
    main()
