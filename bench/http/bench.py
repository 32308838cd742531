"""Per-endpoint cost in the production shape, one HTTP worker process, before vs after (README.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/mc_i17 REDIS_URL=redis://127.0.0.1:6380/17 \
        python bench/http/bench.py --before DIR      # DIR: a checkout of the code before issue 17

After (this checkout): nginx (deploy/nginx-main.conf + deploy/nginx.conf) in front of compose's
`web` command (gunicorn, WEB_WORKERS=1) and `ws` command (daphne), started by
tests/production/stack.py. Before (--before): the same nginx config in front of that checkout's
`web` command of the time: compose's gunicorn and daphne when that checkout has
deploy/gunicorn.conf.py, else one daphne process serving HTTP and sockets (before issue 17).
Both run on Postgres (after: DATABASE_URL; before: BEFORE_DATABASE_URL, default
DATABASE_URL + "_before") and the same Redis, with demo data loaded when a database has no
movies and the bench users of seed.py.

Each round measures, with `wrk -t1 -c8 -d<seconds>s` and the two stacks alternating request by
request kind (before, after, before, after ...): the floor (an anonymous request for an unknown
path: a 404 through every middleware), every endpoint of endpoints.py, the floor again. Ratios
are to the floor of the same stack and round. Writes bench/out/http/<label>.json and prints the
RESULTS.md table.
"""

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE), str(ROOT)]

from endpoints import ENDPOINTS, FLOOR  # noqa: E402

from tests.production.stack import (  # noqa: E402
    Stack,
    free_port,
    start_nginx,
    start_stack,
    wait_for,
)

OUT = HERE.parent / "out" / "http"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def bench_env(database_url: str, models: Path, root: Path, prefix: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mcbackend.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_ORIGINS": "http://127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "AUTH_COOKIE_SECURE": "false",
        "DATABASE_URL": database_url,
        "CACHE_KEY_PREFIX": prefix,
        "ML_MODEL_DIR": str(models),
        "THROTTLE_USER": "100000000/m",
        "NUM_PROXIES": "1",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",
        "PYTHONPATH": str(root),
    }


def prepare(env: dict[str, str], root: Path) -> dict[str, str]:
    """Create the database if needed, migrate, load the demo data once, train, seed; tokens."""
    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    created = subprocess.run(
        ["psql", server, "-c", f'CREATE DATABASE "{name}"'], capture_output=True, text=True
    )
    assert created.returncode == 0 or "already exists" in created.stderr, created.stderr

    def manage(*args: str) -> str:
        return subprocess.run(
            [sys.executable, *args], env=env, cwd=root, check=True, capture_output=True, text=True
        ).stdout

    for step in (["migrate", "-v0"], ["load_demo_data"], ["train_recommender", "--if-missing"]):
        manage("manage.py", *step)
    return json.loads(manage(str(HERE / "seed.py")))


def start_before(tmp: Path, env: dict[str, str], root: Path) -> Stack:
    """The earlier `web` command (daphne for HTTP and sockets) behind deploy/'s nginx."""
    port, app = free_port(), free_port()
    stack = Stack(
        url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/ws/",
        web_url=f"http://127.0.0.1:{app}",
        ws_direct_url=f"http://127.0.0.1:{app}",
        tmp=tmp,
    )
    command = [sys.executable, "-m", "realtime.server", "-b", "127.0.0.1", "-p", str(app),
               "--proxy-headers", "-v0", "mcbackend.asgi:application"]  # fmt: skip
    with (tmp / "web.log").open("wb") as out:
        stack.processes.append(subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=out))
    try:
        wait_for(f"{stack.web_url}/api/health/", process=stack.processes[0])
        start_nginx(stack, port=port, web=app, ws=app)
    except BaseException:
        stack.stop()
        raise
    return stack


def wrk(url: str, token: str | None, seconds: float) -> float:
    """req/s; negative when any answer was not 2xx/3xx (except for the floor's 404)."""
    cmd = ["wrk", "-t1", "-c8", f"-d{seconds:g}s", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    rps = float(match.group(1))
    return rps if non2xx is None or url.endswith(FLOOR[1]) else -rps


def status(url: str, token: str | None) -> int:
    request = urllib.request.Request(url)  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="production")
    parser.add_argument("--before", type=Path, help="checkout of the earlier code (optional)")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated substrings of endpoint names")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mc-bench-http")
    args = parser.parse_args()
    database_url = os.environ["DATABASE_URL"]
    assert database_url.startswith("postgres"), "the production shape runs on PostgreSQL"
    assert os.environ.get("REDIS_URL"), "the production shape runs on Redis"
    args.work.mkdir(parents=True, exist_ok=True)

    after = bench_env(database_url, args.work / "models-after", ROOT, "bench-after")
    sides: dict[str, tuple[dict[str, str], Path]] = {"after": (after, ROOT)}
    if args.before:
        before = args.before.resolve()
        url = os.environ.get("BEFORE_DATABASE_URL", database_url + "_before")
        sides = {"before": (bench_env(url, args.work / "models-before", before, "mc"), before),
                 **sides}  # fmt: skip
    tokens = {side: prepare(env, root) for side, (env, root) in sides.items()}

    only = [part for part in args.only.split(",") if part]
    endpoints = [e for e in ENDPOINTS if not only or any(o in e[0] for o in only)]
    stacks: dict[str, Stack] = {}
    try:
        for side, (env, root) in sides.items():
            tmp = Path(tempfile.mkdtemp(prefix=f"{side}-", dir=args.work))
            stacks[side] = (
                start_stack(tmp, env, web_workers=1, root=root)
                if side == "after" or (root / "deploy" / "gunicorn.conf.py").exists()
                else start_before(tmp, env, root)
            )
        for side, stack in stacks.items():
            for name, path, who in [FLOOR, *endpoints]:
                for _ in range(3):  # warm: first-request work (model load, materialised lists)
                    code = status(stack.url + path, tokens[side].get(who) if who else None)
                expected = 404 if (name, path, who) == FLOOR else 200
                assert code == expected, f"{side} {name}: {code}"
        rps: dict[str, dict[str, list[float]]] = {s: {} for s in stacks}
        ratios: dict[str, dict[str, list[float]]] = {s: {} for s in stacks}
        load = [loadavg()]
        for _ in range(args.rounds):
            measured: dict[str, dict[str, float]] = {s: {} for s in stacks}
            for name, path, who in [FLOOR, *endpoints, ("floor again", FLOOR[1], None)]:
                for side, stack in stacks.items():
                    token = tokens[side].get(who) if who else None
                    measured[side][name] = wrk(stack.url + path, token, args.seconds)
            for side, values in measured.items():
                floor = (values.pop(FLOOR[0]) + values.pop("floor again")) / 2
                rps[side].setdefault(FLOOR[0], []).append(floor)
                for name, value in values.items():
                    rps[side].setdefault(name, []).append(value)
                    ratios[side].setdefault(name, []).append(value / floor)
            load.append(loadavg())
    finally:
        for stack in stacks.values():
            stack.stop()

    report = {
        "label": args.label,
        "sides": {side: str(root) for side, (_, root) in sides.items()},
        "rps": {s: {n: statistics.median(v) for n, v in rows.items()} for s, rows in rps.items()},
        "ratio": {
            s: {n: statistics.median(v) for n, v in rows.items()} for s, rows in ratios.items()
        },
        "loadavg": load,
        "wrk": f"wrk -t1 -c8 -d{args.seconds:g}s, {args.rounds} rounds (median)",
        "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.label}.json").write_text(json.dumps(report, indent=1))
    print(f"{report['at']}; {report['wrk']}; load average {' -> '.join(load)}")
    names = [FLOOR[0], *(e[0] for e in endpoints)]
    heads = [f"{s} req/s | {s} x floor" for s in stacks]
    extra = " | after / before" if "before" in stacks else ""
    print(f"| endpoint | {' | '.join(heads)}{extra} |")
    print("|---" * (1 + 2 * len(stacks) + bool(extra)) + "|")
    for name in names:
        cells = []
        for side in stacks:
            ratio = report["ratio"][side].get(name, 1.0)
            cells.append(f"{report['rps'][side][name]:.0f} | {ratio:.2f}")
        if extra:
            cells.append(f"{report['rps']['after'][name] / report['rps']['before'][name]:.2f}x")
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
