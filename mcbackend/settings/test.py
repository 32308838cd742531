"""Test settings: the same stack as production-shaped runs (DATABASE_URL / REDIS_URL when set)."""

import hashlib
import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, CACHES, CHANNEL_LAYERS, DATABASES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Parallel test workers must not read each other's channel messages or cache keys.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
# A live daphne server started by the tests (tests/realtime/live.py) shares the test process's
# layer prefix through TEST_CHANNEL_LAYER_PREFIX, and its test database (a file, see below).
_prefix = os.environ.get("TEST_CHANNEL_LAYER_PREFIX") or f"test-{os.getpid()}-{_worker}"
if os.environ.get("TEST_LIVE_DATABASE_NAME"):  # the live server uses the tests' database
    DATABASES["default"]["NAME"] = os.environ["TEST_LIVE_DATABASE_NAME"]
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _prefix
    CACHES["default"]["KEY_PREFIX"] = f"test-{os.getpid()}-{_worker}"

# SQLite: test in a file, not the default shared-cache in-memory database, where a second
# connection (a test's worker thread) fails at once with "database table is locked" instead of
# waiting out the writer as the busy timeout makes it do on a file; a live server can open it too.
# The file lives in the temp folder, one per checkout and test worker (none in the repository).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"mcbackend-test-{_checkout}-{_worker}.sqlite3")
    }

# Recommender: no model unless a test deploys one (into its own tmp_path); refreshes run inline
# in the commit hook; the deployment pointer is re-read on every call (no reloader thread).
ML_MODEL_DIR = Path(tempfile.gettempdir()) / f"mcbackend-test-models-{os.getpid()}-absent"
ML_REFRESH_SYNC = True
# A live server started by a test serves that test's model, refreshing as production does; it
# reloads on the schedule TEST_ML_RELOAD_SECONDS gives it.
if os.environ.get("TEST_ML_MODEL_DIR"):
    ML_MODEL_DIR = Path(os.environ["TEST_ML_MODEL_DIR"])
    ML_REFRESH_SYNC = False
ML_RELOAD_SECONDS = float(os.environ.get("TEST_ML_RELOAD_SECONDS", "0"))

# Mail is sent inline (tests read it at once); tests of the background path turn it off.
EMAIL_SEND_SYNC = True
