"""Operations: health endpoints, Prometheus metrics and log hygiene (decisions 0027, 0028).

- `/health/live`: the process answers; touches nothing else.
- `/health/ready`: the database, the cache, the Celery broker, the key file and the migrations
  are each checked for real; JSON with one word per check (`ok` or `fail`), never an error
  text (which could name a host, a user or a path); 200 when all pass, 503 otherwise.
- `/metrics`: Prometheus text format, behind a bearer token (`AMPARO_METRICS_TOKEN`); off
  (404) without one. Labels are route names (`reports:signal_detail`), methods and status
  codes only: never a path, which can carry a case, signal or receipt identifier.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.registry import Collector

CHECK_TIMEOUT_SECONDS = 2.0

# ---------------------------------------------------------------------------------------
# Health


def _select_one(alias: str) -> bool:
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _check_database() -> bool:
    """The primary: every write and every read but the replica's (decision 0037)."""
    from django.db import DEFAULT_DB_ALIAS

    return _select_one(DEFAULT_DB_ALIAS)


def _check_replica() -> bool:
    """The streaming replica answers and is in recovery (a standby, not a second primary).
    Reported but not required (READY_REQUIRED): dashboards fall back to the primary when it
    is down, and taking every web process out of rotation for it would stop the intake."""
    from django.db import connections

    from amparo.core.dbrouter import replica_alias

    alias = replica_alias()
    if not _select_one(alias):
        return False
    if connections[alias].vendor != "postgresql":
        return True
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        row = cursor.fetchone()
    return bool(row and row[0])


def _check_cache() -> bool:
    from django.core.cache import cache

    key = f"amparo:ready:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return ok


def _check_broker() -> bool:
    """With no broker configured, tasks run in-process (development): nothing to reach."""
    if not settings.CELERY_BROKER_URL:
        return True
    from amparo.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        return bool(connection.connected)


def _check_key_file() -> bool:
    """The keys are read again now (not the ones this process loaded at start): a key file
    that became unreadable would stop the next process to start, or a key rotation."""
    from amparo.core.vault import load_keyring

    load_keyring()
    return True


def _check_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


READY_CHECKS: dict[str, Callable[[], bool]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "key_file": _check_key_file,
    "migrations": _check_migrations,
}

#: Checks reported by /health/ready without making it answer 503 when they fail.
READY_OPTIONAL = frozenset({"replica"})

logger = logging.getLogger("amparo.ops")


def readiness() -> dict[str, str]:
    """Each check's outcome as `ok` or `fail`; an exception is a failure, logged by kind only.
    The replica is checked only when one is configured (decision 0037)."""
    from amparo.core.dbrouter import replica_alias

    checks = dict(READY_CHECKS)
    if replica_alias():
        checks["replica"] = _check_replica
    results = {}
    for name, check in checks.items():
        try:
            results[name] = "ok" if check() else "fail"
        except Exception as error:  # noqa: BLE001 (any error means "not ready")
            logger.warning("Readiness check %s failed: %s", name, type(error).__name__)
            results[name] = "fail"
    return results


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@never_cache
def health_live(request: HttpRequest) -> HttpResponse:
    """The process is up and answers; no database, cache or broker is touched."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
def health_ready(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(value == "ok" for name, value in checks.items() if name not in READY_OPTIONAL)
    return JsonResponse({"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503)


# ---------------------------------------------------------------------------------------
# Metrics

#: Methods counted by name; anything else a client invents is counted as "other".
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED_ROUTE = "unmatched"

#: One registry for this module's metrics (not prometheus_client's global one, which also
#: carries process and platform collectors) so that /metrics says only what is listed here.
REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "amparo_http_requests",
    "HTTP requests answered, by route name, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "amparo_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name and method.",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)


def route_name(request: HttpRequest) -> str:
    """The matched URL pattern's name (`namespace:name`); never the path, which may carry an
    identifier. Requests that match no pattern share one label."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.view_name:
        return UNMATCHED_ROUTE
    return match.view_name


class MetricsMiddleware:
    """Counts every request and its duration by route name, method and status code."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        route = route_name(request)
        REQUESTS.labels(route=route, method=method, status=str(response.status_code)).inc()
        LATENCY.labels(route=route, method=method).observe(time.perf_counter() - started)
        return response


#: Cache key of the failure count of one task (shared by every worker through the cache).
TASK_FAILURES_KEY = "amparo:metrics:task-failures:{task}"


def amparo_task_names() -> list[str]:
    from amparo.celery import app

    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if name.startswith("amparo."))


def record_task_failure(task_name: str) -> None:
    """Called from Celery's task_failure signal in the worker (amparo.celery)."""
    from django.core.cache import cache

    if not task_name.startswith("amparo."):
        return
    key = TASK_FAILURES_KEY.format(task=task_name)
    try:
        cache.incr(key)
    except ValueError:  # not there yet
        if not cache.add(key, 1, timeout=None):
            cache.incr(key)


def broker_queue_lengths() -> dict[str, int]:
    """Messages waiting in each Celery queue of a Redis broker (the default queue `celery`)."""
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return {}
    import redis

    queues = {"celery", *getattr(settings, "AMPARO_METRICS_QUEUES", [])}
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        # redis-py types llen for both its sync and async clients; this one is sync.
        return {queue: int(client.llen(queue)) for queue in sorted(queues)}  # type: ignore[arg-type]
    finally:
        client.close()


class BackgroundCollector(Collector):
    """Read at each scrape: queue lengths from the broker, task failures from the cache."""

    def collect(self) -> Iterator[Any]:
        from django.core.cache import cache

        queue = GaugeMetricFamily(
            "amparo_celery_queue_length", "Celery messages waiting in the broker, by queue.", labels=["queue"]
        )
        up = GaugeMetricFamily("amparo_celery_broker_up", "1 if the broker answered this scrape.")
        try:
            for name, length in broker_queue_lengths().items():
                queue.add_metric([name], length)
            up.add_metric([], 1)
        except Exception as error:  # noqa: BLE001 (a scrape must not fail because the broker did)
            logger.warning("Metrics: broker unreachable: %s", type(error).__name__)
            up.add_metric([], 0)
        yield queue
        if settings.CELERY_BROKER_URL:  # without one, tasks run in-process: nothing to be up
            yield up
        failures = GaugeMetricFamily(
            "amparo_celery_task_failures_total",
            "Celery task runs that raised, by task name, since the cache was last emptied.",
            labels=["task"],
        )
        names = amparo_task_names()
        try:
            counts = cache.get_many([TASK_FAILURES_KEY.format(task=name) for name in names])
        except Exception as error:  # noqa: BLE001
            logger.warning("Metrics: cache unreachable: %s", type(error).__name__)
            counts = {}
        for name in names:
            failures.add_metric([name], int(counts.get(TASK_FAILURES_KEY.format(task=name), 0)))
        yield failures


class BuildInfoCollector(Collector):
    """`amparo_build_info{version="..."} 1`: which release answers (decision 0038). Only behind
    the metrics token: a public page naming the version would tell a visitor which published
    weakness to try."""

    def collect(self) -> Iterator[Any]:
        import amparo

        info = InfoMetricFamily("amparo_build", "The Amparo release this process runs.")
        info.add_metric([], {"version": amparo.__version__})
        yield info


def _scrape_registry() -> CollectorRegistry:
    """Under gunicorn with several workers, PROMETHEUS_MULTIPROC_DIR makes the counters add
    up over all of them (gunicorn.conf.py cleans up after a worker exits)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_RegistryView())
    registry.register(BackgroundCollector())
    registry.register(BuildInfoCollector())
    return registry


class _RegistryView(Collector):
    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def metrics_authorised(request: HttpRequest) -> bool:
    token = settings.AMPARO_METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


@login_not_required
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics for a scraper holding AMPARO_METRICS_TOKEN; 404 while none is set
    (metrics off), 401 without the right token."""
    if not settings.AMPARO_METRICS_TOKEN:
        return HttpResponse(status=404, content_type="text/plain")
    if not metrics_authorised(request):
        response = HttpResponse(status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from prometheus_client import CONTENT_TYPE_LATEST

    return HttpResponse(generate_latest(_scrape_registry()), content_type=CONTENT_TYPE_LATEST)


# ---------------------------------------------------------------------------------------
# Logs


class LogHygieneFilter(logging.Filter):
    """What Django's own loggers would otherwise write about people, removed on every handler.

    - Request loggers (`django.request`, `django.security`) name the path (`Not Found:
      /cases/C-…/`) and attach the request, which a JSON formatter would write out with its
      path and query: the path becomes the route name, the request and response are dropped.
    - `django.template` logs, at DEBUG, every variable a template could not resolve with a
      traceback whose message prints the whole template context: a report's words, a
      receipt, a person's name (found by tests/test_log_hygiene.py). The message (variable
      and template names) stays; the traceback goes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request = record.__dict__.get("request")
        if request is not None:
            route = route_name(request) if isinstance(request, HttpRequest) else UNMATCHED_ROUTE
            path = getattr(request, "path", None)
            if isinstance(record.args, tuple) and record.args:
                record.args = tuple(route if arg == path else arg for arg in record.args)
        for name in ("request", "response"):
            record.__dict__.pop(name, None)
        if record.name.startswith("django.template") and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
