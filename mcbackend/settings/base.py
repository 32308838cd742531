"""Settings shared by every environment; values come from the environment (see .env.example).

With nothing set, the project runs on an embedded default: SQLite in the project folder and
Channels' in-memory layer, so a newcomer needs only Python.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# A development-only key; production.py refuses to start with it.
DEV_SECRET_KEY = "django-insecure-dev-only-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# Browser origins allowed to call the API with credentials and to open WebSockets (CORS, CSRF, WS).
TRUSTED_ORIGINS: list[str] = env.list(
    "TRUSTED_ORIGINS", default=["http://localhost:3000", "http://127.0.0.1:3000"]
)
CORS_ALLOWED_ORIGINS = TRUSTED_ORIGINS
CORS_ALLOW_CREDENTIALS = True
CORS_EXPOSE_HEADERS = ["X-Total-Count"]
CSRF_TRUSTED_ORIGINS = TRUSTED_ORIGINS

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "social",
    "movies",
    "realtime",
    "ml",
    "home",
]

MIDDLEWARE = [
    "mcbackend.metrics.MetricsMiddleware",  # /metrics, and request counts and latency
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "mcbackend.middleware.ApiJsonNotFoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Security headers on every response (SecurityMiddleware, XFrameOptionsMiddleware); stated
# here rather than left to Django's defaults. HSTS and HTTPS redirects: production.py.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

ROOT_URLCONF = "mcbackend.urls"
ASGI_APPLICATION = "mcbackend.asgi.application"
WSGI_APPLICATION = None
APPEND_SLASH = False  # API paths match with or without the slash; no redirects.

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while a writer commits; the timeout rides out short write locks.
    # BEGIN IMMEDIATE takes the write lock when a transaction starts, so overlapping writers
    # queue on the busy timeout. A deferred transaction that reads and then writes cannot wait
    # (SQLite answers "database is locked" at once, a 503) and would read rows that another
    # writer is about to change, since SQLite has no SELECT ... FOR UPDATE.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")

# Request limits: refuse oversized bodies early (DATA_UPLOAD_MAX_MEMORY_SIZE answers 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_MAX_BODY_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    # Redis pub/sub: a group send is one PUBLISH whatever the group size, and each daphne process
    # holds one subscriber connection (plus one for publishing) however many sockets it serves,
    # instead of a list per consumer polled over a 100-connection pool (channels_redis.core).
    # Messages to a process that is down are dropped; personal notifications are replayed from
    # the Notification backlog (resume), stream events are best effort by contract.
    CHANNEL_LAYERS: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env.int("CHANNEL_LAYER_MAX_CONNECTIONS", default=1000),
                        "socket_connect_timeout": 2,
                        "socket_keepalive": True,
                    }
                ],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="asgi"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "mcbackend.cache.SharedClientRedisCache",  # one pool per process
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="mc"),
            # A Redis that hangs must not hang requests (rate limits fail open on errors).
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.auth.CookieOrHeaderJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "mcbackend.parsers.JSONParser",
        "mcbackend.parsers.FormParser",
        "mcbackend.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["mcbackend.renderers.ORJSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["mcbackend.throttling.UserRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "mcbackend.openapi.AutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "mcbackend.negotiation.RememberingContentNegotiation",
    "EXCEPTION_HANDLER": "mcbackend.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}

# Throttle rates: "<count>/<period>", period s, m, h or d with an optional multiplier ("5/15m").
# WebSocket limits (docs/REALTIME-LIMITS.md): client frames per socket (a token bucket; each
# notification a resume replays counts as a frame) and open sockets per user in one process.
WS_FRAMES_PER_SECOND = env.float("WS_FRAMES_PER_SECOND", default=20.0)
WS_FRAME_BURST = env.int("WS_FRAME_BURST", default=60)
WS_MAX_SOCKETS_PER_USER = env.int("WS_MAX_SOCKETS_PER_USER", default=20)

THROTTLE_RATES = {
    "login_failures_username": env.str("THROTTLE_LOGIN_USERNAME", default="5/15m"),
    "login_failures_address": env.str("THROTTLE_LOGIN_ADDRESS", default="30/15m"),
    "signup_address": env.str("THROTTLE_SIGNUP_ADDRESS", default="50/h"),
    "password_reset_address": env.str("THROTTLE_PASSWORD_RESET_ADDRESS", default="10/h"),
    "password_reset_email": env.str("THROTTLE_PASSWORD_RESET_EMAIL", default="3/h"),
    "user": env.str("THROTTLE_USER", default="1000/m"),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# Auth cookies. Secure is set per request when it arrives over HTTPS, and always in production.
AUTH_COOKIE_ACCESS = "access_token"
# How long a process may use its copy of an authenticating user's row (accounts.session_cache:
# exact while the cache is reachable; the bound applies only when replacing a stamp failed).
# 0 reads the database on every request.
AUTH_USER_CACHE_SECONDS = env.int("AUTH_USER_CACHE_SECONDS", default=30)
# The same bound for a process's copy of a user's unread count (realtime.inbox_cache).
INBOX_CACHE_SECONDS = env.int("INBOX_CACHE_SECONDS", default=30)
# ... and for its copies of friends' feed pages (movies/feed_cache.py).
FEED_CACHE_SECONDS = env.int("FEED_CACHE_SECONDS", default=30)
AUTH_COOKIE_REFRESH = "refresh_token"
AUTH_COOKIE_REFRESH_PATH = "/api/"
AUTH_COOKIE_SAMESITE = "Lax"
AUTH_COOKIE_SECURE = env.bool("AUTH_COOKIE_SECURE", default=False)

SPECTACULAR_SETTINGS = {
    "TITLE": "MovieConnect API",
    "DESCRIPTION": "Movie recommendations, ratings, comments and friends. "
    "Live updates: see the WebSocket protocol at /ws/ (README).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "PREPROCESSING_HOOKS": ["mcbackend.api.drop_slashless_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mcbackend.openapi.complete_schema",
    ],
    # Relative: the API is where its schema is served (clients set the base URL).
    "SERVERS": [{"url": "/", "description": "The server that serves this schema"}],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The home page's reasons are tagged unions on `type`: one named one-value enum per tag.
    "ENUM_NAME_OVERRIDES": {
        "ReasonTypeModelEnum": ["model"],
        "ReasonTypeBecauseYouLikedEnum": ["because_you_liked"],
        "ReasonTypeFriendsEnum": ["friends"],
        "ReasonTypeTrendingEnum": ["trending"],
        "ReasonTypePopularEnum": ["popular"],
        "HomeRowKeyEnum": ["top_picks", "because_you_liked", "friends", "trending", "popular"],
    },
}

TMDB_API_KEY = env.str("TMDB_API_KEY", default="")
TMDB_API_URL = env.str("TMDB_API_URL", default="https://api.themoviedb.org/3")

# Recommender: ML_MODEL_DIR holds versioned artifact folders; the newest deployed one is served.
ML_MODEL_DIR = env.path("ML_MODEL_DIR", default=BASE_DIR / "var" / "models")
ML_MIN_RATINGS = env.int("ML_MIN_RATINGS", default=5)
# Workers re-read ML_MODEL_DIR/CURRENT at most this often (seconds) to pick up a new deployment.
ML_RELOAD_SECONDS = env.float("ML_RELOAD_SECONDS", default=30.0)
# After a deployment, push recommendations.updated to users who rated in the last N days (capped).
ML_PUSH_ACTIVE_DAYS = env.int("ML_PUSH_ACTIVE_DAYS", default=30)
ML_PUSH_MAX_USERS = env.int("ML_PUSH_MAX_USERS", default=1000)
# Refresh recommendations inline in the rating's commit hook instead of a background thread (tests).
ML_REFRESH_SYNC = env.bool("ML_REFRESH_SYNC", default=False)

# Email (password reset): EMAIL_URL in django-environ form, e.g. smtp+tls://user:password@host:587;
# development prints messages to the console, production.py defaults to an SMTP server on localhost.


def email_settings(url: str) -> dict[str, Any]:
    """Django's EMAIL_* settings from an EMAIL_URL (smtp://, smtp+tls://, smtp+ssl://, consolemail://,
    filemail://path, dummymail://)."""
    config = env.email_url_config(url)
    return {
        "EMAIL_BACKEND": config["EMAIL_BACKEND"],
        "EMAIL_HOST": config.get("EMAIL_HOST") or "localhost",
        "EMAIL_PORT": config.get("EMAIL_PORT") or 25,
        "EMAIL_HOST_USER": config.get("EMAIL_HOST_USER") or "",
        "EMAIL_HOST_PASSWORD": config.get("EMAIL_HOST_PASSWORD") or "",
        "EMAIL_USE_TLS": bool(config.get("EMAIL_USE_TLS", False)),
        "EMAIL_USE_SSL": bool(config.get("EMAIL_USE_SSL", False)),
        "EMAIL_FILE_PATH": config.get("EMAIL_FILE_PATH") or None,
    }


globals().update(email_settings(env.str("EMAIL_URL", default="consolemail://")))

# Seconds an SMTP connection may hang before the send fails (and is logged).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="MovieConnect <no-reply@localhost>")
# Mail goes out on a background thread, so no answer waits on the mail server; inline in tests.
EMAIL_SEND_SYNC = env.bool("EMAIL_SEND_SYNC", default=False)
# Where the web client lives: reset links point at <FRONTEND_URL>/reset-password?uid=..&token=..
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000")
# Seconds a password reset token stays valid (Django's setting; the contract's default is 1 hour).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)

# Home page rows (home/): a user's computed rows live in the cache this long at most (a rating,
# a friendship change or a new model replaces them sooner); the trending candidates, shared by
# every user, are recomputed this often.
HOME_ROWS_CACHE_SECONDS = env.int("HOME_ROWS_CACHE_SECONDS", default=600)
HOME_TRENDING_CACHE_SECONDS = env.int("HOME_TRENDING_CACHE_SECONDS", default=300)

# Popular list: Bayesian average with the global mean as prior, weighted as this many votes.
POPULAR_PRIOR_WEIGHT = env.int("POPULAR_PRIOR_WEIGHT", default=20)
# Materialised reads (movies/catalogue.py): each worker checks whether ratings moved at most this
# often (seconds), so a rating shows in the popular and cold-start lists within it everywhere
# (at once on the worker that saved it); catalogue data (summaries, credits) likewise.
POPULAR_MAX_AGE_SECONDS = env.float("POPULAR_MAX_AGE_SECONDS", default=2.0)
CATALOGUE_MAX_AGE_SECONDS = env.float("CATALOGUE_MAX_AGE_SECONDS", default=60.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.server": {"level": "WARNING"}},
}
