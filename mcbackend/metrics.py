"""Prometheus metrics (prometheus-client), served at /metrics by every worker.

/metrics answers before host validation and every other middleware, so Prometheus can scrape a
worker by its container address; nginx never forwards /metrics (deploy/nginx.conf). Under
gunicorn the workers of one container share their figures through PROMETHEUS_MULTIPROC_DIR
(deploy/gunicorn.conf.py), so a scrape of any of them reports the whole container.

- HTTP: `mc_http_requests_total` and `mc_http_request_duration_seconds` by route, method, status.
- Sockets: `mc_ws_open_sockets`, `mc_ws_subscriptions`, and
  `mc_channel_layer_publish_to_send_seconds` (from the publishing process's send after commit to
  the frame written to the socket, by kind: notification or stream).
- Every worker: `mc_model_info{model_version=...}` 1, the recommender version it serves.
"""

import os
import time
from collections.abc import Callable, Iterator

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

METRICS_PATHS = frozenset({"/metrics", "/metrics/"})
LABELS = ["route", "method", "status"]
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter("mc_http_requests", "HTTP requests answered.", LABELS)
HTTP_LATENCY = Histogram(
    "mc_http_request_duration_seconds", "Time to answer an HTTP request.", LABELS, buckets=BUCKETS
)
WS_OPEN = Gauge("mc_ws_open_sockets", "Open authenticated sockets.", multiprocess_mode="livesum")
WS_SUBSCRIPTIONS = Gauge(
    "mc_ws_subscriptions", "Movie subscriptions of open sockets.", multiprocess_mode="livesum"
)
PUBLISH_TO_SEND = Histogram(
    "mc_channel_layer_publish_to_send_seconds",
    "From a service's publish (after commit) to the frame sent on a socket.",
    ["kind"],
    buckets=BUCKETS,
)
for _kind in ("notification", "stream"):
    PUBLISH_TO_SEND.labels(_kind)  # exported (as zero) before the first event


class ModelVersionCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        from mcbackend.health import health_reporters  # ml reports model_version there

        version = None
        for fields in health_reporters.send():
            version = fields.get("model_version", version)
        family = GaugeMetricFamily(
            "mc_model_info", "Recommender version this worker serves.", labels=["model_version"]
        )
        family.add_metric([version or "none"], 1)
        yield family


_model_collector = ModelVersionCollector()
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    REGISTRY.register(_model_collector)


def render() -> HttpResponse:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_model_collector)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def observe_publish_to_send(kind: str, published_at: float | None) -> None:
    if published_at is not None:
        PUBLISH_TO_SEND.labels(kind).observe(max(0.0, time.time() - published_at))


class MetricsMiddleware:
    """First in MIDDLEWARE: answers /metrics, and times every other request by route."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in METRICS_PATHS:
            return render()
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = "/" + match.route.rstrip("/") + "/" if match is not None else "unmatched"
        labels = (route, request.method or "", str(response.status_code))
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_LATENCY.labels(*labels).observe(time.perf_counter() - start)
        return response
