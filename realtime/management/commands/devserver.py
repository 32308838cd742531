"""`python manage.py devserver`: Django's development server with the production socket protocol.

`runserver` (daphne's) serves WebSockets with a 1 MiB frame limit and cuts the TCP connection on
protocol errors, so a 70 KiB client frame reached the consumer and ended with 1011. This command
is that same server (auto-reload, static files, every runserver option) with what
`python -m realtime.server` changes (realtime/server.py): client frames over 64 KiB close with
1009, protocol errors close with a close frame, server frames may be larger, bounded send buffers.
scripts/dev runs it.
"""

from typing import Any

from daphne.management.commands.runserver import Command as RunserverCommand

from realtime import server
from realtime.protocol import MAX_FRAME_BYTES


class Command(RunserverCommand):
    help = "Development server (daphne) with the production WebSocket limits (REALTIME.md)."

    def handle(self, *args: Any, **options: Any) -> None:
        for option in ("websocket_max_message_size", "websocket_max_frame_size"):
            if options.get(option) is None:
                options[option] = MAX_FRAME_BYTES
        super().handle(*args, **options)

    def inner_run(self, *args: Any, **options: Any) -> None:
        server.install()  # in the process that serves (the auto-reloader's child)
        super().inner_run(*args, **options)
