"""Production: refuses to start with development defaults."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, DEV_SECRET_KEY, SECRET_KEY, TRUSTED_ORIGINS, email_settings, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
TRUSTED_ORIGINS = env.list("TRUSTED_ORIGINS", default=[])  # noqa: F811

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a random value of 50+ characters.")
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set DJANGO_ALLOWED_HOSTS to explicit host names (no wildcard).")
if not TRUSTED_ORIGINS or "*" in TRUSTED_ORIGINS:
    raise ImproperlyConfigured("Set TRUSTED_ORIGINS to the explicit web-client origins.")

CORS_ALLOWED_ORIGINS = TRUSTED_ORIGINS
CSRF_TRUSTED_ORIGINS = TRUSTED_ORIGINS

# Behind nginx, which terminates TLS and sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^api/health/?$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Plain-HTTP deployments (no TLS terminator yet) must opt out explicitly.
AUTH_COOKIE_SECURE = env.bool("AUTH_COOKIE_SECURE", default=True)
SESSION_COOKIE_SECURE = AUTH_COOKIE_SECURE
CSRF_COOKIE_SECURE = AUTH_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Mail: never the development console (reset links in the logs would open accounts). Without
# EMAIL_URL, Django's own default: an SMTP server on localhost:25.
globals().update(email_settings(env.str("EMAIL_URL", default="smtp://localhost:25")))

# PostgreSQL connections: a psycopg 3 pool per process. daphne runs every HTTP request in a new
# asyncio context and Django keeps connections per context, so a persistent connection
# (CONN_MAX_AGE > 0) is never reused by a later request: each request opened one and left it open
# until garbage collection. Under load (bench/load/RESULTS.md: two workers, ~50 requests/s) that
# exhausted Postgres' max_connections within seconds ("too many clients", 503s), and the connect
# was ~40% of a health check's CPU. Django's answer for ASGI is the driver's pool: a request (or a
# `database_sync_to_async` call, or the recommender's refresh thread) borrows a connection and
# gives it back when Django closes it. Pooling excludes persistent connections (CONN_MAX_AGE 0).
# DB_POOL_MAX_SIZE=0 turns the pool off (then DB_CONN_MAX_AGE applies as before).
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and env.int("DB_POOL_MAX_SIZE", default=10) > 0
):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
        # seconds a request waits for a connection before its 503: short, so an outage fails fast
        "timeout": env.float("DB_POOL_TIMEOUT", default=3.0),
    }
