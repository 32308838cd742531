"""Movie-stream fan-out inside one server process.

Every consumer joining the movie's layer group would cost, per event and per socket, a queue
put, a msgpack decode, a dispatch task and a handler call. Instead each process (event loop)
has one relay: a single layer channel that joins `movie.<id>` while at least one local socket
is subscribed, and writes each event's pre-serialised frame text straight to those sockets.
Redis sees one subscription per movie per process, and an event costs one PUBLISH.
"""

import asyncio
import logging
from typing import Any, Protocol

from channels.layers import get_channel_layer

from mcbackend.metrics import observe_publish_to_send
from realtime.groups import movie_group

logger = logging.getLogger(__name__)


class FrameSink(Protocol):
    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None: ...


class MovieRelay:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[int, set[FrameSink]] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    async def add(self, movie_id: int, sink: FrameSink) -> None:
        async with self._lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("relay.")
                self._task = asyncio.create_task(self._run(self.channel))
            members = self.members.setdefault(movie_id, set())
            if not members:
                await self.layer.group_add(movie_group(movie_id), self.channel)
            members.add(sink)

    async def discard(self, movie_id: int, sink: FrameSink) -> None:
        async with self._lock:
            members = self.members.get(movie_id)
            if not members or sink not in members:
                return
            members.discard(sink)
            if not members:
                del self.members[movie_id]
                await self.layer.group_discard(movie_group(movie_id), self.channel)

    async def _run(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # the layer is down: keep trying, sockets stay up
                logger.exception("Movie relay could not read from the channel layer")
                await asyncio.sleep(1)
                continue
            if message.get("type") == "stream.push":
                await self._deliver(message)

    async def _deliver(self, message: dict[str, Any]) -> None:
        text = message["text"]
        for sink in list(self.members.get(message["movie_id"], ())):
            try:
                await sink.send(text_data=text)
            except Exception:  # one broken socket never stops the others
                logger.warning("Could not deliver a stream frame", exc_info=True)
            else:
                observe_publish_to_send("stream", message.get("published_at"))


_relays: dict[asyncio.AbstractEventLoop, MovieRelay] = {}


def movie_relay() -> MovieRelay:
    """The relay of the running event loop (one per daphne process)."""
    loop = asyncio.get_running_loop()
    relay = _relays.get(loop)
    if relay is None:
        for old in [other for other in _relays if other.is_closed()]:
            del _relays[old]
        relay = _relays[loop] = MovieRelay(get_channel_layer())
    return relay
