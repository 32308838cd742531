"""N WebSockets through the deployed nginx config, with REST requests while they are open.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python bench/http/sockets.py --sockets 2000

Starts the production shape of bench.py (nginx with deploy/nginx-main.conf + deploy/nginx.conf,
gunicorn, one daphne `ws` process), opens --sockets sockets through nginx (bench_personal's
Bearer token, --parallel handshakes at a time), waits for every hello, then while all are open
sends --posts `POST /api/movie/<id>/rate/` and a GET, and reports failures, the time to all
hellos, daphne's RSS and the load average. Needs `ulimit -n` above twice --sockets.
"""

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench  # noqa: E402


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rest(url: str, token: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


async def scenario(args: argparse.Namespace, ws_url: str, url: str, token: str) -> dict:
    gate = asyncio.Semaphore(args.parallel)
    failures: list[str] = []

    async def one() -> object | None:
        async with gate:
            try:
                ws = await connect(
                    ws_url, additional_headers={"Authorization": f"Bearer {token}"},
                    open_timeout=30, ping_interval=None,
                )  # fmt: skip
                hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert hello["type"] == "hello", hello
                return ws
            except Exception as error:  # counted and reported
                failures.append(type(error).__name__)
                return None

    started = time.perf_counter()
    sockets = [s for s in await asyncio.gather(*(one() for _ in range(args.sockets))) if s]
    connected_s = time.perf_counter() - started
    loop = asyncio.get_running_loop()
    codes = []
    for i in range(args.posts):
        body = {"rating": 4.0 if i % 2 else 3.5}
        rate, profile = f"{url}/api/movie/1/rate/", f"{url}/api/user/profile/"
        codes.append(await loop.run_in_executor(None, rest, rate, token, body))
        codes.append(await loop.run_in_executor(None, rest, profile, token))
    still_open = sum(1 for s in sockets if s.state.name == "OPEN")
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return {
        "connected": len(sockets),
        "failures": len(failures),
        "failure_kinds": sorted(set(failures)),
        "all_hellos_s": round(connected_s, 2),
        "rest_codes": sorted(set(codes)),
        "rest_failed": sum(1 for c in codes if c not in (200, 201)),
        "still_open_after_rest": still_open,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--parallel", type=int, default=200)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "mc-bench-http")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    assert hard > 2 * args.sockets + 100, f"ulimit -n {hard} is too low for {args.sockets}"
    args.work.mkdir(parents=True, exist_ok=True)
    env = bench.bench_env(
        os.environ["DATABASE_URL"], args.work / "models-after", bench.ROOT, "bench-after"
    )
    env["WS_MAX_SOCKETS_PER_USER"] = str(args.sockets + 10)  # one user's token for every socket
    token = bench.prepare(env, bench.ROOT)["personal"]
    stack = bench.start_stack(Path(tempfile.mkdtemp(prefix="sockets-", dir=args.work)), env)
    try:
        ws_pid = stack.processes[1].pid
        rss_before = rss_mib(ws_pid)
        load = [bench.loadavg()]
        result = asyncio.run(scenario(args, stack.ws_url, stack.url, token))
        load.append(bench.loadavg())
        result |= {
            "sockets_asked": args.sockets,
            "daphne_rss_mib": [round(rss_before, 1), round(rss_mib(ws_pid), 1)],
            "nginx_errors": stack.log("error.log").count("[error]")
            + stack.log("error.log").count("[alert]"),
            "loadavg": load,
            "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    finally:
        stack.stop()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
