"""Background task: rebuild the route legs and points (decision 0043)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="amparo.routes.rebuild")
def rebuild_task() -> int:
    """Replace the legs and points from every source; idempotent (a second run writes the same rows)."""
    from amparo.routes.legs import rebuild_all

    return rebuild_all()
