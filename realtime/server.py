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
"""

import sys
from typing import Any

from daphne import server as daphne_server
from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory

from realtime.protocol import MAX_FRAME_BYTES

DEFAULT_ARGS = [
    "--ping-interval", "20",
    "--ping-timeout", "20",
    "--websocket-max-message-size", str(MAX_FRAME_BYTES),
    "--websocket-max-frame-size", str(MAX_FRAME_BYTES),
]  # fmt: skip


class ClosingWebSocketFactory(WebSocketFactory):
    """Fail a connection with a close frame that says why (1009, 1002 ...), not a TCP drop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failByDrop = False


def main(argv: list[str] | None = None) -> None:
    daphne_server.WebSocketFactory = ClosingWebSocketFactory  # type: ignore[misc]
    CommandLineInterface().run([*DEFAULT_ARGS, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
