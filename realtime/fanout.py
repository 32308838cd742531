"""Movie-stream fan-out inside one server process.

Every consumer joining the movie's layer group would cost, per event and per socket, a queue
put, a msgpack decode, a dispatch task and a handler call. Instead each process (event loop)
has one relay: a single layer channel that joins `movie.<id>` while at least one local socket
is subscribed, and writes each event's pre-serialised frame text straight to those sockets.
Redis sees one subscription per movie per process, and an event costs one PUBLISH.

Blocks: a comment event names its author (`author_id`, not part of the frame); the relay skips
the sockets whose `hidden_user_ids` hold that author. The frame is still serialised once.

The `feed` stream works the same way: one relay per process joins the single `feed` group while
a local socket subscribes, and each event lists its recipients (the actor's friends), so an
event is one PUBLISH however many friends, and the relay writes the text to the recipients'
subscribed local sockets.
"""

import asyncio
import logging
from typing import Any, Protocol

from channels.layers import get_channel_layer

from mcbackend.metrics import observe_publish_to_send
from realtime.groups import FEED_GROUP, movie_group

logger = logging.getLogger(__name__)


class FrameSink(Protocol):
    user_id: int | None
    hidden_user_ids: frozenset[int]

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None: ...


class _Relay:
    """One layer channel per process, joined to a group per key while local sockets want it."""

    message_type = ""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[int, set[FrameSink]] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None

    def group(self, key: int) -> str:
        raise NotImplementedError

    def group_is_shared(self) -> bool:
        return False

    async def add(self, key: int, sink: FrameSink) -> None:
        async with self._lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("relay.")
                self._task = asyncio.create_task(self._run(self.channel))
            joined = any(self.members.values()) if self.group_is_shared() else key in self.members
            members = self.members.setdefault(key, set())
            if not joined:
                await self.layer.group_add(self.group(key), self.channel)
            members.add(sink)

    async def discard(self, key: int, sink: FrameSink) -> None:
        async with self._lock:
            members = self.members.get(key)
            if not members or sink not in members:
                return
            members.discard(sink)
            if not members:
                del self.members[key]
                if not self.group_is_shared() or not self.members:
                    await self.layer.group_discard(self.group(key), self.channel)

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
            if message.get("type") == self.message_type:
                await self._deliver(message)

    def sinks_for(self, message: dict[str, Any]) -> list[FrameSink]:
        raise NotImplementedError

    async def _deliver(self, message: dict[str, Any]) -> None:
        text = message["text"]
        for sink in self.sinks_for(message):
            try:
                await sink.send(text_data=text)
            except Exception:  # one broken socket never stops the others
                logger.warning("Could not deliver a stream frame", exc_info=True)
            else:
                observe_publish_to_send("stream", message.get("published_at"))


class MovieRelay(_Relay):
    """Keys are movie ids; each movie is its own group."""

    message_type = "stream.push"

    def group(self, key: int) -> str:
        return movie_group(key)

    def sinks_for(self, message: dict[str, Any]) -> list[FrameSink]:
        sinks = self.members.get(message["movie_id"], ())
        author = message.get("author_id")
        if author is None:
            return list(sinks)
        return [sink for sink in sinks if author not in sink.hidden_user_ids]


class FeedRelay(_Relay):
    """Keys are user ids; one shared `feed` group, recipients named in each message."""

    message_type = "feed.push"

    def group(self, key: int) -> str:
        return FEED_GROUP

    def group_is_shared(self) -> bool:
        return True

    def sinks_for(self, message: dict[str, Any]) -> list[FrameSink]:
        if len(message["recipients"]) < len(self.members):
            keys = [k for k in message["recipients"] if k in self.members]
        else:
            keys = [k for k in self.members if k in set(message["recipients"])]
        return [sink for key in keys for sink in self.members.get(key, ())]


_relays: dict[tuple[asyncio.AbstractEventLoop, type], _Relay] = {}


def _relay_of(kind: type[_Relay]) -> Any:
    loop = asyncio.get_running_loop()
    relay = _relays.get((loop, kind))
    if relay is None:
        for old in [key for key in _relays if key[0].is_closed()]:
            del _relays[old]
        relay = _relays[(loop, kind)] = kind(get_channel_layer())
    return relay


def movie_relay() -> MovieRelay:
    """The movie relay of the running event loop (one per daphne process)."""
    relay: MovieRelay = _relay_of(MovieRelay)
    return relay


def feed_relay() -> FeedRelay:
    """The feed relay of the running event loop (one per daphne process)."""
    relay: FeedRelay = _relay_of(FeedRelay)
    return relay
