"""A minimal WebSocket client for the realtime benchmarks (bench.py, rest_fanout.py)."""

import asyncio
import base64
import json
import os
import time
from typing import Any


class LightClient(asyncio.Protocol):
    """A minimal WebSocket client (RFC 6455 framing on an asyncio Protocol, no extra tasks per
    frame) so that reading 1,000 sockets costs the measuring process little: on two shared
    cores the `websockets` client's own per-frame work otherwise shows up in the latencies."""

    def __init__(self, host: str, token: str) -> None:
        self.host, self.token = host, token
        self.buffer = b""
        self.upgraded = False
        self.arrivals: dict[Any, float] = {}
        self.waiters: dict[Any, asyncio.Future] = {}
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET /ws/ HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {self.token}\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        if not self.upgraded:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            assert head.startswith(b"HTTP/1.1 101"), head[:60]
            self.upgraded, self.buffer = True, rest
        while len(self.buffer) >= 2:
            length, start = self.buffer[1] & 0x7F, 2
            if length == 126:
                if len(self.buffer) < 4:
                    return
                length, start = int.from_bytes(self.buffer[2:4]), 4
            elif length == 127:
                if len(self.buffer) < 10:
                    return
                length, start = int.from_bytes(self.buffer[2:10]), 10
            if len(self.buffer) < start + length:
                return
            opcode, payload = self.buffer[0] & 0x0F, self.buffer[start : start + length]
            self.buffer = self.buffer[start + length :]
            if opcode == 0x9:  # ping: answer pong
                self.send_frame(payload, opcode=0xA)
            elif opcode == 0x1:
                frame = json.loads(payload)
                key = self.key(frame)
                self.arrivals[key] = now
                waiter = self.waiters.pop(key, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)

    @staticmethod
    def key(frame: dict) -> Any:
        """What a waiter waits for: (type, data["k"]) by default (bench.py puts a round number
        in "k"); rest_fanout.py keys comment frames by their body instead."""
        return (frame["type"], frame["data"].get("k"))

    def send_frame(self, payload: bytes, opcode: int = 0x1) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        else:
            head += bytes([0x80 | 126]) + n.to_bytes(2)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(head + mask + body)

    async def send(self, text: str) -> None:
        self.send_frame(text.encode())

    async def wait_for(self, key: Any, timeout: float = 10) -> float:
        if key not in self.arrivals:
            future = self.waiters.setdefault(key, asyncio.get_running_loop().create_future())
            await asyncio.wait_for(asyncio.shield(future), timeout)
        return self.arrivals[key]

    async def close(self) -> None:
        self.transport.close()


# Latency summaries shared by bench.py and rest_fanout.py.
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(values: list[float]) -> str:
    return (
        f"p50 {pct(values, 50) * 1000:.1f} ms, p99 {pct(values, 99) * 1000:.1f} ms, "
        f"max {max(values) * 1000:.1f} ms (n={len(values)})"
    )
