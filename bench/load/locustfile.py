"""Mixed MovieConnect traffic in concurrency steps (run by run.sh; see README.md).

Each simulated user is one of the seeded `load_*` users (Bearer token from login.py), keeps one
WebSocket open at /ws/ subscribed to the movie it last opened, and in a loop (wait 0.5-1.5 s
between requests, so ~1 request/s per user) browses, rates, comments and sends or accepts
friend requests. The stage shape runs LOAD_STEPS users (default 10,50,100,200) for LOAD_STEP_S
seconds each (default 60), then stops the test by itself.

Per-step figures are collected here (locust's own stats are cumulative over the whole run):
for every step, per endpoint, count, throughput, p50/p95/p99/max and errors, plus the load
average and the CPU seconds used by the daphne workers, nginx, Postgres, Redis and locust.
Written to $LOAD_OUT/steps.json when the test stops (report.py turns it into tables).

A 409 from POST /api/send-friend-request/<id>/ (already pending, already friends, or they
asked first) is a correct answer of the API to a random pairing and is counted, not failed.
"""

import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any

import gevent
from gevent import socket
from locust import FastHttpUser, LoadTestShape, between, events, task
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

OUT = Path(os.environ.get("LOAD_OUT", "bench/out/load"))
STEPS = [int(n) for n in os.environ.get("LOAD_STEPS", "10,50,100,200").split(",")]
STEP_S = float(os.environ.get("LOAD_STEP_S", "60"))
WATCH_PIDS = {  # name -> pid, from run.sh
    name: int(pid)
    for name, pid in (
        item.split("=") for item in os.environ.get("LOAD_PIDS", "").split(",") if item
    )
}
TOKENS = json.loads((OUT / "tokens.json").read_text())
MOVIES = json.loads((OUT / "movies.json").read_text())
USER_IDS = [t["id"] for t in TOKENS]
CLK_TCK = os.sysconf("SC_CLK_TCK")

# ---- per-step statistics -------------------------------------------------------------------

current_step = {"index": -1}
step_stats: list[dict[str, Any]] = []


def new_step(index: int) -> None:
    step_stats.append(
        {
            "users": STEPS[index],
            "started": time.time(),
            "loadavg_start": os.getloadavg(),
            "cpu_start": cpu_seconds(),
            "requests": {},
            "ws_frames": {},
            "ws_open": 0,
            "pg_processes": 0,
            "expected_409": 0,
        }
    )
    current_step["index"] = index


def close_step() -> None:
    if not step_stats or "ended" in step_stats[-1]:
        return
    step = step_stats[-1]
    step["ended"] = time.time()
    step["loadavg_end"] = os.getloadavg()
    end = cpu_seconds()
    step["cpu_s"] = {k: round(end[k] - step["cpu_start"].get(k, 0), 1) for k in end}


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) used so far by the watched processes and by every postgres
    and redis-server process (their children included for postgres backends: each is a process)."""
    totals: dict[str, float] = {"locust": sum(os.times()[:2])}
    for name, pid in WATCH_PIDS.items():
        totals[name] = proc_cpu(pid)
    for name in ("postgres", "redis-server"):
        totals[name] = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        if comm in ("postgres", "redis-server"):
            fields = stat[stat.rindex(")") + 2 :].split()
            totals[comm] += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return totals


def count_processes(comm: str) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and Path(entry.path, "comm").read_text().strip() == comm:
                count += 1
        except OSError:
            pass
    return count


def proc_cpu(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@events.request.add_listener
def on_request(name: str, response_time: float, exception: Any, **_kwargs: Any) -> None:
    if not step_stats:
        return
    entry = step_stats[-1]["requests"].setdefault(name, {"times": [], "errors": 0, "samples": []})
    entry["times"].append(response_time)
    if exception is not None:
        entry["errors"] += 1
        if len(entry["samples"]) < 5:
            entry["samples"].append(repr(exception)[:200])


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@events.test_stop.add_listener
def write_results(**_kwargs: Any) -> None:
    close_step()
    out = []
    for step in step_stats:
        duration = step["ended"] - step["started"]
        rows = {}
        for name, entry in sorted(step["requests"].items()):
            ordered = sorted(entry["times"])
            rows[name] = {
                "count": len(ordered),
                "rps": round(len(ordered) / duration, 2),
                "p50": round(percentile(ordered, 50), 1),
                "p95": round(percentile(ordered, 95), 1),
                "p99": round(percentile(ordered, 99), 1),
                "max": round(ordered[-1], 1),
                "errors": entry["errors"],
                "error_samples": entry["samples"],
            }
        out.append(
            {
                "users": step["users"],
                "duration_s": round(duration, 1),
                "loadavg_start": [round(x, 2) for x in step["loadavg_start"]],
                "loadavg_end": [round(x, 2) for x in step["loadavg_end"]],
                "cpu_s": step["cpu_s"],
                "ws_open_max": step["ws_open"],
                "pg_processes_max": step["pg_processes"],
                "ws_frames": step["ws_frames"],
                "expected_409": step["expected_409"],
                "endpoints": rows,
            }
        )
    (OUT / "steps.json").write_text(json.dumps(out, indent=1))


class StepShape(LoadTestShape):
    """LOAD_STEPS users, LOAD_STEP_S seconds each, then stop."""

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        index = int(elapsed // STEP_S)
        if index >= len(STEPS):
            return None
        if index != current_step["index"]:
            close_step()
            new_step(index)
        step = step_stats[-1]
        step["ws_open"] = max(step["ws_open"], len(OPEN_SOCKETS))  # most sockets open at once
        if int(elapsed) % 5 == 0:  # Postgres processes (backends of every database + ~6 helpers)
            step["pg_processes"] = max(step["pg_processes"], count_processes("postgres"))
        return STEPS[index], 100.0  # spawn rate per second: a step's users are up within ~2 s


# ---- WebSocket client (websockets' sans-I/O protocol on a gevent socket) --------------------

OPEN_SOCKETS: set["Socket"] = set()


class Socket:
    """One /ws/ connection: a reader greenlet answers pings and times the frames it waits for."""

    def __init__(self, url: str, token: str) -> None:
        uri = parse_uri(url)
        self.lock = threading.Lock()  # gevent-patched: one writer at a time
        self.waiting: dict[int, float] = {}  # comment id -> when its POST started
        self.protocol = ClientProtocol(uri)
        started = time.perf_counter()
        self.sock = socket.create_connection((uri.host, uri.port), timeout=30)
        request = self.protocol.connect()
        request.headers["Authorization"] = f"Bearer {token}"
        self.protocol.send_request(request)
        self.flush()
        hello = None
        while hello is None:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed during the handshake")
            self.protocol.receive_data(data)
            for event in self.protocol.events_received():
                if isinstance(event, Response) and event.status_code != 101:
                    raise ConnectionError(f"handshake answered {event.status_code}")
                if isinstance(event, Frame) and event.opcode == Opcode.TEXT:
                    hello = json.loads(event.data)
            self.flush()
        if hello["type"] != "hello":
            raise ConnectionError(f"first frame {hello['type']}")
        self.sock.settimeout(None)
        self.connect_ms = (time.perf_counter() - started) * 1000
        self.reader = gevent.spawn(self.read)
        OPEN_SOCKETS.add(self)

    def flush(self) -> None:
        with self.lock:
            for chunk in self.protocol.data_to_send():
                if chunk:
                    self.sock.sendall(chunk)

    def send(self, message: dict) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        self.flush()

    def read(self) -> None:
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.protocol.receive_data(data)
                for event in self.protocol.events_received():
                    if isinstance(event, Frame) and event.opcode == Opcode.TEXT:
                        self.on_frame(json.loads(event.data))
                self.flush()  # pongs
        except OSError:
            pass
        finally:
            OPEN_SOCKETS.discard(self)

    def on_frame(self, frame: dict) -> None:
        now = time.perf_counter()
        if step_stats:
            frames = step_stats[-1]["ws_frames"]
            frames[frame["type"]] = frames.get(frame["type"], 0) + 1
        if frame["type"] == "comment.created":
            started = self.waiting.pop(frame["data"]["comment"]["id"], None)
            if started is not None:
                events.request.fire(
                    request_type="WS",
                    name="ws: own comment.created (POST start -> frame)",
                    response_time=(now - started) * 1000,
                    response_length=0,
                    exception=None,
                    context={},
                )

    def close(self) -> None:
        OPEN_SOCKETS.discard(self)
        try:
            self.protocol.send_close()
            self.flush()
            self.sock.close()
        except OSError:
            pass
        self.reader.kill(block=False)


# ---- the simulated user ---------------------------------------------------------------------

_next_token = {"i": 0}


class MovieUser(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        account = TOKENS[_next_token["i"] % len(TOKENS)]
        _next_token["i"] += 1
        self.user_id = account["id"]
        self.headers = {"Authorization": f"Bearer {account['token']}"}
        self.movie_id = random.choice(MOVIES["hot"])
        ws_url = self.host.replace("http", "ws", 1) + "/ws/"
        started = time.perf_counter()
        try:
            self.socket = Socket(ws_url, account["token"])
            self.socket.send({"action": "subscribe", "stream": "movie", "movie_id": self.movie_id})
            error = None
        except Exception as exc:  # counted as a failed connect
            self.socket, error = None, exc
        events.request.fire(
            request_type="WS",
            name="ws: connect /ws/ (until hello)",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    def on_stop(self) -> None:
        if self.socket is not None:
            self.socket.close()

    def get(self, path: str, name: str) -> None:
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:100]}")

    def pick_movie(self) -> int:
        return random.choice(MOVIES["hot"] if random.random() < 0.8 else MOVIES["any"])

    @task(10)
    def popular(self) -> None:
        self.get("/api/movies/popular/", "GET /api/movies/popular/")

    @task(15)
    def movie_detail(self) -> None:
        movie_id = self.pick_movie()
        self.get(f"/api/movie/{movie_id}/", "GET /api/movie/[id]/")
        if self.socket is not None and movie_id != self.movie_id:  # follow the open page
            self.socket.send(
                {"action": "unsubscribe", "stream": "movie", "movie_id": self.movie_id}
            )
            self.socket.send({"action": "subscribe", "stream": "movie", "movie_id": movie_id})
        self.movie_id = movie_id

    @task(10)
    def comments(self) -> None:
        self.get(f"/api/movie/{self.movie_id}/comments/", "GET /api/movie/[id]/comments/")

    @task(8)
    def similar(self) -> None:
        self.get(f"/api/movie/{self.movie_id}/similar/", "GET /api/movie/[id]/similar/")

    @task(8)
    def search(self) -> None:
        word = random.choice(MOVIES["words"])
        self.get(f"/api/movie/search/?title={word}", "GET /api/movie/search/?title=")

    @task(8)
    def recommendations(self) -> None:
        self.get("/api/user/movies/", "GET /api/user/movies/")

    @task(5)
    def health(self) -> None:
        self.get("/api/health/", "GET /api/health/")

    @task(5)
    def rate(self) -> None:
        movie_id = self.pick_movie()
        rating = random.randint(1, 10) / 2
        with self.client.post(
            f"/api/movie/{movie_id}/rate/",
            json={"rating": rating},
            headers=self.headers,
            name="POST /api/movie/[id]/rate/",
            catch_response=True,
        ) as r:
            if r.status_code not in (200, 201):
                r.failure(f"{r.status_code} {r.text[:100]}")

    @task(3)
    def comment(self) -> None:
        started = time.perf_counter()
        with self.client.post(
            f"/api/movie/{self.movie_id}/comment/",
            json={"body": f"load comment {random.randint(0, 10**9)}"},
            headers=self.headers,
            name="POST /api/movie/[id]/comment/",
            catch_response=True,
        ) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:100]}")
                return
            if self.socket is not None:  # our socket is subscribed to this movie
                self.socket.waiting[r.json()["data"]["id"]] = started

    @task(2)
    def send_friend_request(self) -> None:
        to_user = random.choice(USER_IDS)
        if to_user == self.user_id:
            return
        with self.client.post(
            f"/api/send-friend-request/{to_user}/",
            headers=self.headers,
            name="POST /api/send-friend-request/[id]/",
            catch_response=True,
        ) as r:
            if r.status_code == 409:
                r.success()
                if step_stats:
                    step_stats[-1]["expected_409"] += 1
            elif r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:100]}")

    @task(2)
    def accept_friend_request(self) -> None:
        with self.client.get(
            "/api/friend-requests/incoming/?limit=5",
            headers=self.headers,
            name="GET /api/friend-requests/incoming/",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:100]}")
                return
            pending = r.json()
        if pending:
            with self.client.post(
                f"/api/friend-requests/update/{pending[0]['id']}/",
                headers=self.headers,
                name="POST /api/friend-requests/update/[id]/",
                catch_response=True,
            ) as r:
                if r.status_code != 200:
                    r.failure(f"{r.status_code} {r.text[:100]}")
