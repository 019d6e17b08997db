"""Deployment checks (`manage.py check --deploy`) for what Amparo needs past one process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache_and_broker(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Production needs a shared cache and a Celery broker.

    Proof-of-work challenges, submission caps and receipt throttles live in Django's cache: a
    per-process memory cache would refuse reporters whose challenge was issued by another
    worker and count caps per process. Without a broker, scheduled work (report purge, audit
    verification, urgent-report notices) never runs.
    """
    if not getattr(settings, "PRODUCTION", False):
        return []
    problems = []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache") or backend.endswith("DummyCache"):
        problems.append(
            Warning(
                "Django's cache is local to each process.",
                hint="Set REDIS_URL so that every web process and worker shares one cache.",
                id="amparo.W001",
            )
        )
    if not settings.CELERY_BROKER_URL:
        problems.append(
            Warning(
                "No Celery broker: background and scheduled tasks cannot run.",
                hint="Set CELERY_BROKER_URL (e.g. redis://…) and run a worker and celery beat.",
                id="amparo.W002",
            )
        )
    return problems
