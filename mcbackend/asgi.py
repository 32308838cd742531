"""One ASGI application for HTTP (Django) and WebSockets (/ws/), served by daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.production")

# Django must be set up before anything imports models (the realtime routing does).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from realtime.middleware import JwtAuthMiddleware, OriginValidator  # noqa: E402
from realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The Origin check runs before the token is even read (REALTIME.md "Connecting").
        "websocket": OriginValidator(JwtAuthMiddleware(websocket_application)),
    }
)
