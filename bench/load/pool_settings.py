"""Experiment only (RESULTS.md, "Database connections under ASGI"): production settings plus
Django's psycopg 3 connection pool. Needs psycopg[binary,pool] 3.x, which the product does not
install; run.sh uses it with LOAD_SETTINGS=bench.load.pool_settings PY=<a venv that has it>.

Under daphne every HTTP request runs in a new asyncio context, and Django keeps database
connections per context: with CONN_MAX_AGE > 0 each request still opens a connection (the
previous ones stay open until garbage-collected), with 0 each request opens and closes one. A
process-wide pool hands a warm connection to each request and takes it back at request end.
"""

from mcbackend.settings.production import *  # noqa: F403
from mcbackend.settings.production import DATABASES, env

DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
DATABASES["default"]["OPTIONS"]["pool"] = {
    "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
    "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
    "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
}
