"""The site's ASGI application plus a test-only control endpoint, for the live daphne server.

Events published by the server process itself reach its sockets on any channel layer (the
in-memory one included), so the end-to-end tests ask the server to publish through the real
publishing path: POST /__test__/notify {"user_id", "type", "data", "rollback"} or
/__test__/broadcast {"movie_id", "type", "data"}. GET /__test__/layer reports the pub/sub
layer's channel and group counts (leak checks). Never mounted outside tests.
"""

import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from mcbackend.asgi import application as site_application
from realtime.events import broadcast_movie_on_commit, notify_user_on_commit


class RolledBackError(Exception):
    pass


def _publish(path: str, body: dict[str, Any]) -> None:
    try:
        with transaction.atomic():
            if path == "/__test__/notify":
                notify_user_on_commit(user_id=body["user_id"], type=body["type"], data=body["data"])
            else:
                broadcast_movie_on_commit(
                    movie_id=body["movie_id"], type=body["type"], data=body["data"]
                )
            if body.get("rollback"):
                raise RolledBackError
    except RolledBackError:
        pass


def _layer_stats() -> dict[str, int]:
    """Per-process state of channels_redis' pub/sub layer: {} on other layers."""
    try:
        layer = get_channel_layer()._get_layer()
    except AttributeError:
        return {}
    return {"channels": len(layer.channels), "groups": len(layer.groups)}


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http" or not scope["path"].startswith("/__test__/"):
        return await site_application(scope, receive, send)
    if scope["path"] == "/__test__/layer":  # GET: the layer's bookkeeping, to spot leaks
        body = json.dumps(_layer_stats()).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await sync_to_async(_publish)(scope["path"], json.loads(b"".join(chunks)))
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
    return None
