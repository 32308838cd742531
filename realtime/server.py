"""Run daphne the way the live-updates protocol needs it.

    python -m realtime.server -b 0.0.0.0 -p 8000 --proxy-headers mcbackend.asgi:application

Any daphne option may be given (a later flag wins over the defaults below). Differences from the
plain `daphne` command:
- `--ping-interval 20 --ping-timeout 20`: a protocol-level ping every 20 s of silence; a client
  that does not answer within 20 s is dropped (REALTIME.md "Connecting").
- `--websocket-max-message-size/--websocket-max-frame-size 65536`: autobahn stops reading an
  oversized frame as it arrives and, with `failByDrop` off, closes with 1009 (message too big)
  instead of cutting the TCP connection without a close frame. An ASGI application cannot send
  1009 itself through daphne (autobahn only lets it send 1000 and 3000-4999).
- The 64 KiB limit applies to client frames only; server frames may be larger.
- Bounded send buffers: a client that stops reading is dropped once more than
  `MAX_SEND_BUFFER` bytes wait for it, so a slow or dead socket never piles up memory (writes
  never block, so it cannot delay the others either).
"""

import logging
import sys
from typing import Any

from daphne import server as daphne_server
from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

from realtime.protocol import MAX_FRAME_BYTES

DEFAULT_ARGS = [
    "--ping-interval", "20",
    "--ping-timeout", "20",
    "--websocket-max-message-size", str(MAX_FRAME_BYTES),
    "--websocket-max-frame-size", str(MAX_FRAME_BYTES),
]  # fmt: skip


logger = logging.getLogger("realtime.server")  # also when run as __main__

MAX_SEND_BUFFER = 1024 * 1024  # bytes waiting in user space for one socket


def pending_bytes(transport: Any) -> int:
    """Bytes a Twisted TCP transport still holds for the peer (the kernel's buffer not counted)."""
    data = getattr(transport, "dataBuffer", b"")
    return len(data) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


class BoundedWebSocketProtocol(WebSocketProtocol):
    maxMessagePayloadSize: int  # noqa: N815  (autobahn's, from --websocket-max-message-size)

    def serverSend(self, content: Any, binary: bool = False) -> None:  # noqa: N802
        if pending_bytes(self.transport) > MAX_SEND_BUFFER:
            logger.warning("Dropping %s: it stopped reading its frames", self.client_addr)
            self.dropConnection(abort=True)
            return
        # autobahn applies maxMessagePayloadSize to what we send as well; the 64 KiB limit is
        # for what clients send (a server frame, e.g. a long recommendation list, may be larger).
        limit, self.maxMessagePayloadSize = self.maxMessagePayloadSize, 0
        try:
            super().serverSend(content, binary)
        finally:
            self.maxMessagePayloadSize = limit


class ClosingWebSocketFactory(WebSocketFactory):
    """Fail a connection with a close frame that says why (1009, 1002 ...), not a TCP drop."""

    protocol = BoundedWebSocketProtocol

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failByDrop = False


def install() -> None:
    """Make daphne's servers in this process use ClosingWebSocketFactory (also `devserver`)."""
    daphne_server.WebSocketFactory = ClosingWebSocketFactory


def main(argv: list[str] | None = None) -> None:
    install()
    CommandLineInterface().run([*DEFAULT_ARGS, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
