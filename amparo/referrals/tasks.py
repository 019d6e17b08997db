"""Background tasks of the referral workflow."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="amparo.referrals.overdue_alert")
def overdue_alert_task() -> int:
    """Tell both sides once about each referral past its answer time (mails name no person)."""
    from amparo.referrals.workflow import overdue_alert

    return overdue_alert()
