"""WebSocket routes. The live-updates consumer is mounted at /ws/ (see mcbackend/asgi.py)."""

from channels.routing import URLRouter
from django.urls import re_path

from realtime.consumers import LiveConsumer

websocket_urlpatterns = [re_path(r"^ws/?$", LiveConsumer.as_asgi(), name="live")]

websocket_application = URLRouter(websocket_urlpatterns)
