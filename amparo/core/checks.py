"""Deployment checks (`manage.py check --deploy`) for what Amparo needs past one process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache_and_broker(app_configs: Any = None, **kwargs: Any) -> list[Warning | Error]:
    """Production needs a shared cache and a Celery broker.

    Proof-of-work challenges, submission caps and receipt throttles live in Django's cache: a
    per-process memory cache would let a challenge used at one web process (or one gunicorn
    worker) be used again at another, and would count every cap per process, so N processes
    take N times the cap (tests/test_scale_two_processes.py shows the shared rules; decision
    0037). That is an error, not a warning. Without a broker, scheduled work (report purge,
    audit verification, urgent-report notices) never runs.
    """
    if not getattr(settings, "PRODUCTION", False):
        return []
    problems: list[Warning | Error] = []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache") or backend.endswith("DummyCache"):
        problems.append(
            Error(
                "Django's cache is local to each process: proof-of-work challenges could be used "
                "again at another process and the hourly caps would count per process.",
                hint="Set REDIS_URL so that every web process and worker shares one cache.",
                id="amparo.E002",
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


#: E-mail backends that deliver nothing: console, file, memory and dummy.
_UNDELIVERED_MAIL = ("console.EmailBackend", "filebased.EmailBackend", "locmem.EmailBackend", "dummy.EmailBackend")


@register(Tags.security, deploy=True)
def mail_is_delivered(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Production must deliver e-mail: password-reset and invitation links sent through the
    console backend (the default without EMAIL_BACKEND) land in the process log, where anyone
    who reads the log can take over an account or join an organisation."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    if not settings.EMAIL_BACKEND.endswith(_UNDELIVERED_MAIL):
        return []
    return [
        Error(
            "E-mail is not delivered: sign-in reset and invitation links would be written to the log.",
            hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST (see the README).",
            id="amparo.E001",
        )
    ]
