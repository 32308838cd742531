"""Movie fan-out timed from the REST comment POST to the last subscriber's frame.

    python bench/realtime/rest_fanout.py --host http://127.0.0.1:8180 \\
        --tokens bench/out/load/tokens.json --movie 318

Run by bench/load/run.sh against the production-shaped stack (nginx in front of two daphne
workers, Postgres, Redis pub/sub layer), after the load steps. Standard library + this
folder's LightClient only (runs in the bench venv, no Django).

For 100 and 1,000 sockets subscribed to one movie (through nginx, so spread over both workers;
the seeded users' Bearer tokens round-robin, 5 sockets per user at 1,000), `--rounds` times:
POST /api/movie/<id>/comment/ with a unique body as one of the users, clock started just before
the request is sent; stop when each socket has read the `comment.created` frame carrying that
body. Reports per round the last socket's frame (p50/p99) and every frame, and the POST's own
response time. The clients run on the same two cores as the stack.
"""

import argparse
import asyncio
import json
import os
import resource
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from lightclient import LightClient, ms


class CommentClient(LightClient):
    @staticmethod
    def key(frame: dict) -> Any:
        if frame["type"] == "comment.created":
            return ("comment.created", frame["data"]["comment"]["body"])
        return (frame["type"], None)


def post_comment(host: str, movie: int, token: str, body: str) -> tuple[float, float]:
    """Returns (moment the request started, its response time)."""
    request = urllib.request.Request(  # noqa: S310  (http URL given on the command line)
        f"{host}/api/movie/{movie}/comment/",
        data=json.dumps({"body": body}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        assert response.status == 201, response.status
        response.read()
    return started, time.perf_counter() - started


async def run_size(args: argparse.Namespace, tokens: list[dict], size: int) -> None:
    netloc = args.host.split("//", 1)[1]
    host, port = netloc.rsplit(":", 1)
    loop = asyncio.get_running_loop()
    clients: list[CommentClient] = []
    for i in range(size):
        token = tokens[i % len(tokens)]["token"]
        _, client = await loop.create_connection(
            lambda token=token: CommentClient(netloc, token), host, int(port)
        )
        clients.append(client)
    for client in clients:
        await client.wait_for(("hello", None), timeout=30)
    subscribe = json.dumps({"action": "subscribe", "stream": "movie", "movie_id": args.movie})
    for client in clients:
        await client.send(subscribe)
    for client in clients:
        await client.wait_for(("subscribed", None), timeout=30)

    poster = tokens[-1]["token"]
    last, each, post = [], [], []
    for k in range(args.rounds):
        body = f"fan-out {size} round {k} {uuid.uuid4().hex[:8]}"
        started, took = await asyncio.to_thread(post_comment, args.host, args.movie, poster, body)
        arrivals = [await c.wait_for(("comment.created", body), timeout=30) for c in clients]
        each += [a - started for a in arrivals]
        last.append(max(arrivals) - started)
        post.append(took)
        await asyncio.sleep(0.1)
    print(f"\n## {size} subscribers of movie {args.movie}, {args.rounds} comments via REST")
    print(f"POST start -> last subscriber's frame: {ms(last)}")
    print(f"POST start -> each frame:              {ms(each)}")
    print(f"POST response time:                    {ms(post)}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for client in clients:
        await client.close()
    await asyncio.sleep(1)


async def main(args: argparse.Namespace) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tokens = json.loads(Path(args.tokens).read_text())
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    for size in args.sizes:
        await run_size(args, tokens, size)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--movie", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    asyncio.run(main(parser.parse_args()))
