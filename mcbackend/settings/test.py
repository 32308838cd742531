"""Test settings: the same stack as production-shaped runs (DATABASE_URL / REDIS_URL when set)."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, CHANNEL_LAYERS, DATABASES, REDIS_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Parallel test workers must not read each other's channel messages or cache keys.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
# A live daphne server started by the tests (tests/realtime/live.py) shares the test process's
# layer prefix through TEST_CHANNEL_LAYER_PREFIX, and needs a test database in a file.
_prefix = os.environ.get("TEST_CHANNEL_LAYER_PREFIX") or f"test-{os.getpid()}-{_worker}"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{_worker}.sqlite3")}
if os.environ.get("TEST_LIVE_DATABASE_NAME"):  # the live server uses the tests' database
    DATABASES["default"]["NAME"] = os.environ["TEST_LIVE_DATABASE_NAME"]
if REDIS_URL:
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = _prefix
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"test-{os.getpid()}-{_worker}",
        }
    }
