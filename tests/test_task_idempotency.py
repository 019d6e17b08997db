"""At-least-once background work (decision 0036): a task given back by a killed worker runs
again, so every task's effect happens once however often it runs. The settings that make a
killed worker give its task back are checked here too; bench/drills.py kills a real one."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from amparo.celery import app
from amparo.core.models import AuditEntry
from amparo.referrals.models import Referral
from amparo.reports import services
from amparo.reports.models import Signal
from amparo.reports.tasks import notify_urgent, purge_expired, reorder_storage
from tests import test_referral_workflow as _workflow
from tests.test_reports import _cheap_crypto_and_puzzles, receiving_fixture, submit  # noqa: F401

# The referral fixtures (a sent referral between two organisations with keys).
org_c, setup, sent = _workflow.org_c, _workflow.setup, _workflow.sent

#: Every task Amparo defines, and why running it twice has its effect once (decision 0036).
IDEMPOTENT = {
    "amparo.core.health_check": "reads only",
    "amparo.core.verify_audit": "reads only",
    "amparo.reports.purge_expired": "deletes what is past the cutoff: nothing is left the second time",
    "amparo.reports.reorder_storage": "rewrites the same rows in the same order",
    "amparo.reports.notify_urgent": "tells only the signals whose flag this run set",
    "amparo.referrals.overdue_alert": "tells only the referrals whose mark this run set",
    "amparo.routes.rebuild": "replaces the route tables from the sources in one transaction: same sources, same rows",
}


def test_a_killed_worker_gives_its_task_back_and_holds_one_at_a_time():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_every_task_is_listed_with_why_it_is_idempotent():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if name.startswith("amparo.")}
    assert ours == set(IDEMPOTENT), "a new task: make it idempotent and say how in decision 0036"


def test_the_urgent_notice_run_twice_is_sent_once(receiving, staff_a, django_capture_on_commit_callbacks):
    submit(danger="yes")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = notify_urgent.delay().get()
    sent_first = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        second = notify_urgent.delay().get()
    assert (first, second) == (1, 0)
    assert sent_first >= 1 and len(mail.outbox) == sent_first
    assert AuditEntry.objects.filter(action="report.notify_urgent").count() == 1


def test_the_urgent_notice_tells_only_what_this_run_marked(receiving, staff_a, django_capture_on_commit_callbacks):
    """Another run marked the first signal while this one was on its way: only the second is told."""
    submit(danger="yes")
    Signal.objects.update(urgent_notified=True)  # what the other run committed
    submit(danger="yes")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_urgent.delay().get() == 1
    assert mail.outbox and all(message.body.startswith("1 new urgent signal is") for message in mail.outbox)


def test_the_overdue_alert_run_twice_is_sent_once(sent, django_capture_on_commit_callbacks):
    from amparo.referrals.tasks import overdue_alert_task

    referral, _case = sent
    Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_alert_task.delay().get() == 1
    told = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_alert_task.delay().get() == 0
    assert told >= 2 and len(mail.outbox) == told
    assert AuditEntry.objects.filter(action="referral.overdue").count() == 2  # one per side, once


def test_the_purge_run_twice_deletes_once_and_audits_once(receiving, settings):
    settings.AMPARO_REPORT_RETENTION_DAYS = 30
    submit()
    submit()
    Signal.objects.update(arrived_on=services.today() - datetime.timedelta(days=31))
    assert purge_expired.delay().get() == 2
    assert purge_expired.delay().get() == 0
    assert not Signal.objects.exists()
    assert AuditEntry.objects.filter(action="report.purge").count() == 1


@pytest.mark.django_db(transaction=True)  # CLUSTER runs outside a test's wrapping transaction
def test_the_storage_reorder_run_twice_keeps_every_report(receiving):
    submit()
    submit(danger="yes")
    before = sorted(Signal.objects.values_list("pk", "reference", "sealed"))
    audited = AuditEntry.objects.count()
    first, second = reorder_storage.delay().get(), reorder_storage.delay().get()
    assert first == second  # the same tables (none on SQLite)
    assert sorted(Signal.objects.values_list("pk", "reference", "sealed")) == before
    assert AuditEntry.objects.count() == audited
