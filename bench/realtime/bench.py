"""Live-updates benchmarks against a running server (see run.sh and RESULTS.md).

    python bench/realtime/bench.py --url ws://127.0.0.1:8765/ws/ --daphne-pid PID

Measures, with real WebSocket clients (`websockets`) in this process:
1. movie fan-out: 100 and 1,000 subscribers of one movie; per event, the time from the commit of
   the publishing transaction (broadcast_movie_on_commit, called here as a service would) to
   each subscriber's frame, and to the last subscriber's frame;
2. 1,000 connects spread over 5 s: failures, and Redis clients held afterwards;
3. personal notification latency, commit -> frame, with 200 sockets connected;
4. server memory per idle socket (daphne RSS before/after 1,000 connects);
5. 1,000 connects at once (failures).
Publishing runs in this process with the server's settings (same database and Redis).
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.local")

import django

django.setup()

from django.db import transaction  # noqa: E402
from lightclient import LightClient, ms  # noqa: E402  (this folder; also used by rest_fanout.py)
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.tokens import session_tokens_for_user  # noqa: E402
from realtime.events import broadcast_movie_on_commit, notify_user_on_commit  # noqa: E402

MOVIE_ID = 4242
USERS = 200


def bench_users() -> list[tuple[int, str]]:
    users = []
    for i in range(USERS):
        user, _ = User.objects.get_or_create(
            username=f"bench{i}",
            defaults={"email": f"bench{i}@example.com", "birth_date": "1990-01-01"},
        )
        users.append((user.id, session_tokens_for_user(user)[0]))
    return users


class Client:
    """One socket; records when each frame arrived, keyed by what it carries."""

    def __init__(self, ws: ClientConnection, user_id: int) -> None:
        self.ws = ws
        self.user_id = user_id
        self.arrivals: dict[Any, float] = {}
        self.waiters: dict[Any, asyncio.Event] = {}
        self.task = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for text in self.ws:
            now = time.perf_counter()
            frame = json.loads(text)
            key = (frame["type"], frame["data"].get("k"))
            self.arrivals[key] = now
            if key in self.waiters:
                self.waiters[key].set()

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    async def wait_for(self, key: Any, timeout: float = 10) -> float:
        if key not in self.arrivals:
            event = self.waiters.setdefault(key, asyncio.Event())
            await asyncio.wait_for(event.wait(), timeout)
        return self.arrivals[key]


async def open_light_clients(url: str, users: list, n: int) -> list[LightClient]:
    netloc = url.split("//", 1)[1].split("/", 1)[0]
    host, port = netloc.rsplit(":", 1)
    loop = asyncio.get_running_loop()
    clients = []
    for i in range(n):
        _user_id, token = users[i % len(users)]
        _, client = await loop.create_connection(
            lambda token=token: LightClient(netloc, token), host, int(port)
        )
        clients.append(client)
    for client in clients:
        await client.wait_for(("hello", None), timeout=30)
    return clients


async def open_client(url: str, user_id: int, token: str) -> Client:
    ws = await connect(
        url,
        additional_headers={"Authorization": f"Bearer {token}"},
        open_timeout=20,
        max_queue=None,
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 20))
    assert hello["type"] == "hello", hello
    return Client(ws, user_id)


async def open_many(url: str, users: list, n: int, spread_s: float) -> tuple[list[Client], int]:
    async def one(i: int) -> Client | None:
        await asyncio.sleep(spread_s * i / n)
        user_id, token = users[i % len(users)]
        try:
            return await open_client(url, user_id, token)
        except Exception as exc:
            print(f"  connect {i} failed: {exc!r}")
            return None

    results = await asyncio.gather(*(one(i) for i in range(n)))
    clients = [c for c in results if c is not None]
    return clients, n - len(clients)


def publish_with_commit_time(publish: Any) -> float:
    """Run `publish` in a transaction; returns the moment the transaction committed."""
    marks: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: marks.append(time.perf_counter()))  # runs first
        publish()
    return marks[0]


async def fanout(clients: list[Any], rounds: int) -> dict[str, list[float]]:
    for c in clients:
        await c.send(json.dumps({"action": "subscribe", "stream": "movie", "movie_id": MOVIE_ID}))
    for c in clients:
        await c.wait_for(("subscribed", None))
    per_frame: list[float] = []
    last_frame: list[float] = []
    for k in range(rounds):
        data = {"movie_id": MOVIE_ID, "average_rating": 4.0, "ratings_count": k, "k": k}

        def publish(data: dict = data) -> None:
            broadcast_movie_on_commit(movie_id=MOVIE_ID, type="movie.rating_changed", data=data)

        committed = await asyncio.to_thread(publish_with_commit_time, publish)
        arrivals = [await c.wait_for(("movie.rating_changed", k)) for c in clients]
        per_frame += [a - committed for a in arrivals]
        last_frame.append(max(arrivals) - committed)
        await asyncio.sleep(0.1)
    for c in clients:
        await c.send(json.dumps({"action": "unsubscribe", "stream": "movie", "movie_id": MOVIE_ID}))
        await c.wait_for(("unsubscribed", None))
    return {"per_frame": per_frame, "last_frame": last_frame}


async def notifications(clients: list[Client], rounds: int) -> list[float]:
    by_user = {c.user_id: c for c in clients}
    latencies = []
    for k in range(rounds):
        user_id = list(by_user)[k % len(by_user)]

        def publish(user_id: int = user_id, k: int = k) -> None:
            notify_user_on_commit(user_id=user_id, type="friend.removed", data={"k": k})

        committed = await asyncio.to_thread(publish_with_commit_time, publish)
        arrived = await by_user[user_id].wait_for(("friend.removed", k))
        latencies.append(arrived - committed)
        await asyncio.sleep(0.01)
    return latencies


def rss_kib(pid: int) -> int:
    return int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0])


def redis_clients(redis_url: str) -> str:
    out = subprocess.run(
        ["redis-cli", "-u", redis_url, "info", "clients"], capture_output=True, text=True
    ).stdout
    return next(line for line in out.splitlines() if line.startswith("connected_clients"))


async def close_all(clients: list[Client]) -> None:
    await asyncio.gather(*(c.ws.close() for c in clients), return_exceptions=True)
    for c in clients:
        c.task.cancel()


async def main(args: argparse.Namespace) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    users = await asyncio.to_thread(bench_users)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    print(f"redis before: {redis_clients(args.redis_url)}")

    print("\n## 1,000 connects spread over 5 s")
    rss_before = rss_kib(args.daphne_pid)
    started = time.perf_counter()
    clients, failures = await open_many(args.url, users, 1000, spread_s=5.0)
    took = time.perf_counter() - started
    await asyncio.sleep(1)
    rss_after = rss_kib(args.daphne_pid)
    print(f"connected {len(clients)}, failures {failures}, all hellos after {took:.2f} s")
    print(f"redis while 1,000 sockets are open: {redis_clients(args.redis_url)}")
    print(
        f"daphne RSS {rss_before / 1024:.1f} MiB -> {rss_after / 1024:.1f} MiB: "
        f"{(rss_after - rss_before) / max(1, len(clients)):.1f} KiB per idle socket"
    )

    for size in (100, 1000):
        print(
            f"\n## movie fan-out to {size} subscribers, `websockets` clients ({args.rounds} events)"
        )
        result = await fanout(clients[:size], args.rounds)
        print(f"commit -> last subscriber's frame: {ms(result['last_frame'])}")
        print(f"commit -> each frame:              {ms(result['per_frame'])}")

    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"\n## personal notifications, {USERS} sockets connected (one per user)")
    await close_all(clients[USERS:])
    latencies = await notifications(clients[:USERS], args.notifications)
    print(f"commit -> frame: {ms(latencies)}")
    await close_all(clients[:USERS])

    for size in (100, 1000):
        print(f"\n## movie fan-out to {size} subscribers, light clients ({args.rounds} events)")
        light = await open_light_clients(args.url, users, size)
        result = await fanout(light, args.rounds)
        print(f"commit -> last subscriber's frame: {ms(result['last_frame'])}")
        print(f"commit -> each frame:              {ms(result['per_frame'])}")
        for c in light:
            await c.close()
    print(f"load average: {os.getloadavg()[0]:.2f}")

    print("\n## 1,000 connects at once")
    await asyncio.sleep(1)
    started = time.perf_counter()
    clients, failures = await open_many(args.url, users, 1000, spread_s=0.0)
    took = time.perf_counter() - started
    print(f"connected {len(clients)}, failures {failures}, all hellos after {took:.2f} s")
    print(f"redis: {redis_clients(args.redis_url)}")
    await close_all(clients)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="ws://127.0.0.1:8765/ws/")
    parser.add_argument("--daphne-pid", type=int, required=True)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--notifications", type=int, default=400)
    asyncio.run(main(parser.parse_args()))
