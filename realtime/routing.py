"""WebSocket routes. The live-updates consumer is mounted at /ws/."""

from channels.routing import URLRouter

websocket_urlpatterns: list = []

websocket_application = URLRouter(websocket_urlpatterns)
