"""gunicorn for the `web` service: HTTP only (WebSockets go to the `ws` service, daphne).

    gunicorn -c deploy/gunicorn.conf.py mcbackend.wsgi:application

nginx buffers requests and responses, so a slow client never holds a worker. WEB_WORKERS
processes per container (default 2: one per core of a 2-core host), each with WEB_THREADS threads
(compose: 4, gthread workers; 1: sync workers). Threads let one process overlap its requests'
waits on Postgres and Redis: bench/http/RESULTS.md measured 2.6-3.7x the req/s of a sync worker
on authenticated reads.
"""

import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
# WEB_THREADS > 1: gthread workers, so one process overlaps its requests' waits on Postgres/Redis.
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# nginx keeps idle upstream connections open for 60 s (deploy/nginx.conf: `keepalive 32`, the
# default keepalive_timeout). gthread's own default (2 s) closed them first, racing nginx reusing
# one: a reset connection, which nginx answers 502 for a POST (bench/load, 2026-12-01). Keep them
# open longer than nginx does, so nginx is always the side that closes.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))  # 0: workers are not recycled
max_requests_jitter = max_requests // 10
# nginx writes the access log (the address it saw, $remote_addr); gunicorn logs errors only.
# GUNICORN_ACCESS_LOG=- turns gunicorn's on, with nginx's X-Real-IP as the client address.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%({x-real-ip}i)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = ""  # never trust X-Forwarded-* for wsgi.url_scheme; Django reads them

# Prometheus (mcbackend/metrics.py): the workers of one container share their counters through
# files in PROMETHEUS_MULTIPROC_DIR, so /metrics on any of them reports the whole container.
_metrics_dir = Path(
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / f"mc-metrics-{os.getpid()}")
    )
)


def on_starting(server: object) -> None:
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)


def child_exit(server: object, worker: object) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
