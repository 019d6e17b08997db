"""Background tasks of reporting: the nightly retention purge, the storage reorder."""

from __future__ import annotations

from celery import shared_task

from amparo.reports import services


@shared_task(name="amparo.reports.purge_expired")
def purge_expired() -> int:
    """Delete signals past AMPARO_REPORT_RETENTION_DAYS that are not linked to a case."""
    return services.signals_purge_expired()


@shared_task(name="amparo.reports.notify_urgent")
def notify_urgent() -> int:
    """Tell triage staff that urgent signals wait (a count, no content); scheduled by beat."""
    return services.urgent_signals_notify()


@shared_task(name="amparo.reports.reorder_storage")
def reorder_storage() -> list[str]:
    """Rewrite the reporter's tables so their physical order and xmin tell no arrival order."""
    return services.reporter_storage_reorder()
