"""LiveConsumer: one socket per browser tab at /ws/ (REALTIME.md).

Messages for one consumer (client frames and layer messages) are handled one at a time, so a
`resume` replay cannot interleave with live notifications; `last_sent_id` drops the duplicates.
"""

import asyncio
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError

from mcbackend.metrics import WS_OPEN, WS_SUBSCRIPTIONS, observe_publish_to_send
from realtime import selectors
from realtime.fanout import feed_relay, movie_relay
from realtime.groups import user_group
from realtime.hooks import movie_stream_exists
from realtime.limits import frame_bucket, socket_register, socket_unregister
from realtime.models import Notification
from realtime.protocol import (
    MAX_FRAME_BYTES,
    MAX_SUBSCRIPTIONS,
    ProtocolError,
    error_text,
    frame_text,
    parse_client_frame,
)

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_TOO_BIG = 1009  # under realtime.server autobahn sends it before a frame this big gets here
CLOSE_UNAVAILABLE = 4503  # layer or database down: reconnect later (daphne sends 1000, 3000-4999)
CLOSE_POLICY = 1008  # the user already holds WS_MAX_SOCKETS_PER_USER sockets on this worker


def _notification_text(notification: Notification) -> str:
    return frame_text(
        id=notification.seq,
        type=notification.type,
        data=notification.data,
        ts=notification.created_at,
    )


def _forget_failed_channels(layer: Any) -> None:
    """Drop the queues channels_redis' pub/sub layer keeps for channels it failed to subscribe.

    `new_channel()` registers the channel's queue before subscribing and leaves it behind when the
    subscribe fails (Redis down), so without this every refused socket would leak one entry for
    the life of the process. Channels that are not subscribed and hold no message are dropped; a
    consumer whose subscribe is still in flight re-registers its queue on its first `receive()`.
    """
    try:
        loop_layer = layer._get_layer()
        subscribed = set().union(*(shard._subscribed_to for shard in loop_layer._shards))
        for name, queue in list(loop_layer.channels.items()):
            if name not in subscribed and queue.empty():
                del loop_layer.channels[name]
    except AttributeError:  # another layer (in-memory) or another channels_redis version
        return


class LiveConsumer(AsyncWebsocketConsumer):
    user_id: int | None = None
    last_sent_id = 0
    # Users blocked by or blocking this socket's user: their comment frames are left out.
    hidden_user_ids: frozenset[int] = frozenset()
    feed_subscribed = False
    _expiry: asyncio.Task | None = None
    _counted = False  # in mc_ws_open_sockets

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
            return
        except Exception:
            if hasattr(self, "channel_receive"):
                raise  # the consumer was running: not a failure to join the layer
            logger.exception("Channel layer unavailable; closing socket")
            _forget_failed_channels(self.channel_layer)
        finally:
            # Every exit path, a crash included (channels calls disconnect() only when the
            # client's disconnect message arrives): no subscription or socket count outlives it.
            await self._release()
        # The layer failed before the consumer started (the per-socket channel could not be
        # subscribed, e.g. Redis down): answer as connect() does, accept then close with 4503,
        # rather than let daphne answer the handshake with a bare 500 the page sees as 1006.
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_UNAVAILABLE})

    async def connect(self) -> None:
        await self.accept()  # a close before accept reaches the browser only as 1006
        if self.scope.get("database_unavailable"):
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.subscriptions: set[int] = set()
        self.bucket = frame_bucket()
        if not socket_register(user_id=user.id, consumer=self):
            limit = settings.WS_MAX_SOCKETS_PER_USER
            message = f"At most {limit} open sockets per user; close another tab."
            await self.send(text_data=error_text("too_many_connections", message))
            await self.close(code=CLOSE_POLICY)
            return
        self.registered_user_id = user.id
        expires = self.scope.get("token_exp")
        if expires is not None:
            self._expiry = asyncio.create_task(self._close_at(expires))
        try:
            await self.channel_layer.group_add(user_group(user.id), self.channel_name)
        except Exception:
            logger.exception("Channel layer unavailable; closing socket")
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        self.groups.append(user_group(user.id))
        self.user_id = user.id
        # Joined first, then read: any notification newer than this arrives live.
        try:
            self.last_sent_id, self.hidden_user_ids = await database_sync_to_async(
                selectors.socket_start
            )(user_id=user.id)
        except (OperationalError, InterfaceError):
            logger.warning("Database unavailable; closing socket", exc_info=True)
            await self.close(code=CLOSE_UNAVAILABLE)
            return
        hello = {
            "user": {"id": user.id, "username": user.username},
            "last_event_id": self.last_sent_id,
        }
        await self.send(text_data=frame_text(type="hello", data=hello))
        WS_OPEN.inc()
        self._counted = True

    async def _close_at(self, expires: int) -> None:
        await asyncio.sleep(max(0.0, expires - time.time()))
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def disconnect(self, code: int) -> None:
        await self._release()

    async def _release(self) -> None:
        """Idempotent clean-up: the expiry timer, movie and feed subscriptions, the socket count."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        subscriptions = getattr(self, "subscriptions", set())
        if getattr(self, "_counted", False):
            self._counted = False
            WS_OPEN.dec()
            WS_SUBSCRIPTIONS.dec(len(subscriptions))
        while subscriptions:
            await movie_relay().discard(subscriptions.pop(), self)
        if self.feed_subscribed and self.user_id is not None:
            self.feed_subscribed = False
            await feed_relay().discard(self.user_id, self)
        user_id = getattr(self, "registered_user_id", None)
        if user_id is not None:
            socket_unregister(user_id=user_id, consumer=self)
            self.registered_user_id = None

    # Client frames ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(bytes_data) if bytes_data is not None else len(text_data or "")
        if size > MAX_FRAME_BYTES // 4 and bytes_data is None:
            # surrogatepass: a lone surrogate (no valid UTF-8 reaches here) must not crash this
            size = len((text_data or "").encode("utf-8", "surrogatepass"))
        if size > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if self.user_id is None:
            return  # closing (4401); ignore what the client still sends
        try:
            if not self.bucket.take():
                raise self._rate_limited()
            if text_data is None:
                raise ProtocolError("invalid_frame", "Binary frames are not supported.")
            frame = parse_client_frame(text_data)
            await getattr(self, f"action_{frame.action}")(frame)
        except ProtocolError as exc:
            if exc.code == "rate_limited" and self.bucket.refused:
                return  # one error per refused stretch: a flood gets one answer, not one each
            if exc.code == "rate_limited":
                self.bucket.refused = True
            await self.send(text_data=error_text(exc.code, exc.message))

    def _rate_limited(self) -> ProtocolError:
        rate, burst = settings.WS_FRAMES_PER_SECOND, settings.WS_FRAME_BURST
        return ProtocolError(
            "rate_limited",
            f"Too many frames: at most {burst} at once and {rate:g} per second (each notification "
            "a resume replays counts as one); frames over the limit are dropped.",
        )

    async def action_ping(self, frame: Any) -> None:
        await self.send(text_data=frame_text(type="pong", data={}))

    def _check_subscription_room(self) -> None:
        if len(self.subscriptions) + self.feed_subscribed >= MAX_SUBSCRIPTIONS:
            raise ProtocolError(
                "too_many_subscriptions",
                f"At most {MAX_SUBSCRIPTIONS} subscriptions per socket.",
            )

    async def _subscribe_feed(self) -> None:
        assert self.user_id is not None  # noqa: S101 (only authenticated sockets get here)
        if not self.feed_subscribed:
            self._check_subscription_room()
            try:
                await feed_relay().add(self.user_id, self)
            except Exception as exc:  # the channel layer is down; the socket stays usable
                logger.exception("Could not subscribe to the feed")
                raise ProtocolError("unavailable", "Live updates are unavailable; retry.") from exc
            self.feed_subscribed = True
        await self.send(text_data=frame_text(type="subscribed", data={"stream": "feed"}))

    async def _unsubscribe_feed(self) -> None:
        assert self.user_id is not None  # noqa: S101
        if self.feed_subscribed:
            self.feed_subscribed = False
            await feed_relay().discard(self.user_id, self)
        await self.send(text_data=frame_text(type="unsubscribed", data={"stream": "feed"}))

    async def action_subscribe(self, frame: Any) -> None:
        if frame.stream == "feed":
            await self._subscribe_feed()
            return
        movie_id = frame.movie_id
        if movie_id not in self.subscriptions:
            self._check_subscription_room()
            if not await database_sync_to_async(movie_stream_exists)(movie_id=movie_id):
                raise ProtocolError("not_found", "Movie not found")
            try:
                await movie_relay().add(movie_id, self)
            except Exception as exc:  # the channel layer is down; the socket stays usable
                logger.exception("Could not subscribe to movie %s", movie_id)
                raise ProtocolError("unavailable", "Live updates are unavailable; retry.") from exc
            self.subscriptions.add(movie_id)
            WS_SUBSCRIPTIONS.inc()
        data = {"stream": "movie", "movie_id": movie_id}
        await self.send(text_data=frame_text(type="subscribed", data=data))

    async def action_unsubscribe(self, frame: Any) -> None:
        if frame.stream == "feed":
            await self._unsubscribe_feed()
            return
        movie_id = frame.movie_id
        if movie_id in self.subscriptions:
            self.subscriptions.discard(movie_id)
            WS_SUBSCRIPTIONS.dec()
            await movie_relay().discard(movie_id, self)
        data = {"stream": "movie", "movie_id": movie_id}
        await self.send(text_data=frame_text(type="unsubscribed", data=data))

    async def action_resume(self, frame: Any) -> None:
        assert self.user_id is not None  # noqa: S101 (only authenticated sockets get here)
        replay = await database_sync_to_async(selectors.notifications_after)(
            user_id=self.user_id, last_event_id=frame.last_event_id
        )
        if replay.resync_required:
            self.last_sent_id = max(self.last_sent_id, replay.last_id)
            data = {"last_event_id": replay.last_id}
            await self.send(text_data=frame_text(type="resync_required", data=data))
            return
        for notification in replay.notifications:
            await self.send(text_data=_notification_text(notification))
        self.bucket.debit(len(replay.notifications))  # output is metered like input
        self.last_sent_id = max(self.last_sent_id, replay.last_id)
        await self.send(
            text_data=frame_text(type="resumed", data={"last_event_id": replay.last_id})
        )

    # Layer messages (realtime/events.py) ------------------------------------------------------

    async def notification_push(self, message: dict[str, Any]) -> None:
        event_id = message.get("id")
        if event_id is None or self.user_id is None:
            return
        if event_id <= self.last_sent_id:
            return  # already delivered by a resume (or announced by hello)
        if event_id > self.last_sent_id + 1:
            # An earlier id is still in flight or was lost by the layer: it is committed, so
            # send it from the backlog first and keep the order.
            replay = await database_sync_to_async(selectors.notifications_after)(
                user_id=self.user_id, last_event_id=self.last_sent_id
            )
            for notification in replay.notifications:
                if notification.seq < event_id:
                    await self.send(text_data=_notification_text(notification))
        await self.send(text_data=message["text"])
        self.last_sent_id = event_id
        observe_publish_to_send("notification", message.get("published_at"))

    async def stream_push(self, message: dict[str, Any]) -> None:
        """Movie events normally reach sockets through realtime.fanout.MovieRelay; this handles
        one sent to the consumer's own channel."""
        if message.get("author_id") in self.hidden_user_ids:
            return
        text = message.get("text") or frame_text(type=message["event"], data=message["data"])
        await self.send(text_data=text)

    async def blocks_changed(self, message: dict[str, Any]) -> None:
        """A block involving this user was added or lifted: reload whom to hide."""
        if self.user_id is None:
            return
        self.hidden_user_ids = await database_sync_to_async(selectors.hidden_user_ids)(
            user_id=self.user_id
        )

    async def session_ended(self, message: dict[str, Any]) -> None:
        await self.close(code=CLOSE_UNAUTHORIZED)
