"""The WSGI application for HTTP: production runs it under gunicorn (deploy/gunicorn.conf.py).

Sync Django views gain nothing from ASGI: under daphne every request crossed from the event loop
to a worker thread and back. WebSockets (/ws/) stay on daphne (`python -m realtime.server`).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcbackend.settings.production")

application = get_wsgi_application()
