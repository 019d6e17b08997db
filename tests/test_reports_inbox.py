"""The staff side: triage inbox, reading (audited), replies, spam groups, hotline intake, routing, retention."""

from __future__ import annotations

import datetime
import re

from django.test import Client
from django.urls import reverse

from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.reports import services
from amparo.reports.models import Receipt, RoutingRule, Signal
from amparo.reports.tasks import purge_expired
from tests.conftest import as_verified, verified_client
from tests.sealing_helpers import unlocked_client
from tests.test_reports import STORY, _cheap_crypto_and_puzzles, followup, receiving_fixture, submit  # noqa: F401

SPAM = "WIN A FREE PHONE!!! click here now to claim your free phone prize today"


def test_the_inbox_lists_urgent_first_groups_copy_paste_spam_and_counts_unread(receiving, staff_a):
    submit()
    for variant in (SPAM, SPAM.lower() + " 123", "today claim: your FREE phone, click here now! WIN a free prize"):
        submit(what_happened=variant)
    receipt = submit(what_happened="Someone is being held at gunpoint in the back room of a bar", danger="yes")
    followup(receipt, action="reply", text="More detail")
    worker = unlocked_client(staff_a[Role.HOTLINE_ADVOCATE])
    page = worker.get(reverse("reports:signal_list"))
    rows = re.findall(rb'href="/reports/(S-[A-Z0-9]+)/"', page.content)
    assert len(rows) == 3  # the story, the urgent one, one row for three spam copies
    urgent = Signal.objects.get(urgency="urgent")
    assert rows[0].decode() == urgent.reference
    assert b"+2 similar" in page.content
    assert re.search(rb"<td>1</td></tr>", page.content)  # one unread message on the urgent row


def test_opening_a_signal_decrypts_it_and_writes_an_audit_entry_without_content(receiving, staff_a):
    submit()
    signal = Signal.objects.get()
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    page = worker.get(reverse("reports:signal_detail", args=[signal.reference]))
    assert STORY.encode() in page.content
    entry = AuditEntry.objects.filter(action="report.view").get()
    assert entry.object_id == str(signal.pk) and "Oaxaca" not in entry.reason


def test_without_an_unlocked_key_the_content_stays_sealed(receiving, staff_a):
    submit()
    signal = Signal.objects.get()
    page = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("reports:signal_detail", args=[signal.reference]))
    assert page.status_code == 200 and STORY.encode() not in page.content and b"sealed" in page.content


def test_another_organisations_staff_get_the_same_404_as_for_nothing(receiving, staff_b):
    submit()
    signal = Signal.objects.get()
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    theirs = outsider.get(reverse("reports:signal_detail", args=[signal.reference]))
    missing = outsider.get(reverse("reports:signal_detail", args=["S-NOPE0000"]))
    assert theirs.status_code == missing.status_code == 404


def test_triage_assigns_changes_status_releases_and_marks_a_spam_group(receiving, staff_a):
    for _ in range(3):
        submit(what_happened=SPAM)
    held = Signal.objects.first()
    Signal.objects.filter(pk=held.pk).update(held=True)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    advocate = staff_a[Role.HOTLINE_ADVOCATE]
    url = reverse("reports:signal_detail", args=[held.reference])
    response = worker.post(
        url, {"action": "triage", "status": "in_review", "urgency": "high", "assignee": advocate.pk, "release": "on"}
    )
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.status, held.urgency, held.assignee, held.held) == ("in_review", "high", advocate, False)
    worker.post(url, {"action": "spam_group"})
    assert set(Signal.objects.values_list("status", flat=True)) == {"spam"}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"report.status", "report.assign", "report.urgency", "report.release", "report.spam"} <= actions


def test_an_administrator_reads_but_does_not_triage(receiving, staff_a):
    submit()
    signal = Signal.objects.get()
    admin = unlocked_client(staff_a[Role.ORG_ADMIN])
    url = reverse("reports:signal_detail", args=[signal.reference])
    assert admin.get(url).status_code == 200
    assert admin.post(url, {"action": "spam"}).status_code == 403


def test_a_hotline_advocate_logs_a_call_and_the_caller_sets_their_own_secret(receiving, staff_a):
    advocate = unlocked_client(staff_a[Role.HOTLINE_ADVOCATE])
    response = advocate.post(
        reverse("reports:hotline_create"),
        {
            "channel": "call",
            "language": "es",
            "caller_type": "family",
            "what_happened": "My sister works in a house in Puebla and they keep her passport",
            "country": "MEX",
            "region_text": "Puebla",
            "exploitation_type": "domestic_work",
            "indicators": ["documents_taken"],
            "urgency": "high",
            "consent_services": "on",
            "issue_receipt": "on",
        },
    )
    assert response.status_code == 200
    given = re.search(rb'class="secret"><strong>([A-Z2-7-]+)<', response.content).group(1).decode()
    signal = Signal.objects.get()
    assert (signal.channel, signal.region, signal.consent_services, signal.consent_police) == (
        "call",
        "MX-PUE",
        True,
        False,
    )
    assert b"http://testserver/report/follow-up/?lang=es" in response.content  # where the caller goes
    assert Receipt.objects.get().must_change is True
    first_use = followup(given)  # the rest of the caller's first use: tests/test_reports_claim.py
    assert first_use.status_code == 200 and b"Choose your own secret" in first_use.content


def test_routing_rules_are_the_administrators_and_scoped(receiving, staff_a, staff_b):
    admin = verified_client(staff_a[Role.ORG_ADMIN])
    response = admin.post(
        reverse("reports:routing_rule_list"), {"country": "COL", "region_text": "Antioquia", "exploitation_type": ""}
    )
    assert response.status_code == 302
    assert RoutingRule.objects.filter(organisation=receiving, country="COL", region="CO-ANT").exists()
    rule = RoutingRule.objects.get(country="COL")
    other_admin = verified_client(staff_b[Role.ORG_ADMIN])
    assert (
        other_admin.post(reverse("reports:routing_rule_delete", args=[rule.pk]), {"confirm": "yes"}).status_code == 404
    )
    admin.post(reverse("reports:routing_rule_delete", args=[rule.pk]), {"confirm": "yes"})
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    worker = verified_client(staff_a[Role.CASE_WORKER])
    assert worker.get(reverse("reports:routing_rule_list")).status_code == 403


def test_expired_signals_are_purged_unless_linked_to_a_case(receiving, staff_a, settings):
    from amparo.cases.models import Case

    settings.AMPARO_REPORT_RETENTION_DAYS = 30
    old_receipt = submit()
    submit()
    kept = submit()
    case = Case.objects.create(
        organisation=receiving, person_name="Linked Person", created_by=staff_a[Role.CASE_WORKER]
    )
    long_ago = services.today() - datetime.timedelta(days=31)
    Signal.objects.filter(receipt__public_id__in=[old_receipt[:8], kept[:8]]).update(arrived_on=long_ago)
    Signal.objects.filter(receipt__public_id=kept[:8]).update(case=case)
    assert purge_expired.delay().get() == 1
    assert Signal.objects.count() == 2 and not Receipt.objects.filter(public_id=old_receipt[:8]).exists()
    assert followup(old_receipt).status_code == 400
    assert AuditEntry.objects.filter(action="report.purge").exists()


def test_the_purge_is_scheduled_nightly(settings):
    assert settings.CELERY_BEAT_SCHEDULE["purge-expired-reports-nightly"]["task"] == "amparo.reports.purge_expired"


def test_staff_without_report_permissions_see_no_inbox(receiving, staff_a):
    for role in (Role.ANALYST, Role.SHELTER_MANAGER, Role.AUTHORITY):
        assert verified_client(staff_a[role]).get(reverse("reports:signal_list")).status_code == 403
    assert Client().get(reverse("reports:signal_list")).status_code == 302


def test_a_referral_needs_the_recorded_consent_for_whom_it_goes_to(receiving, staff_a):
    submit()
    signal = Signal.objects.get()
    Signal.objects.filter(pk=signal.pk).update(consent_services=True, consent_police=False)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    url = reverse("reports:signal_detail", args=[signal.reference])
    base = {"action": "triage", "status": "referred", "urgency": "normal"}
    refused = worker.post(url, {**base, "referred_to": "police"})
    assert refused.status_code == 400 and b"consent" in refused.content
    assert Signal.objects.get().status == "new"
    assert worker.post(url, {**base, "referred_to": "services"}).status_code == 302
    assert Signal.objects.get().status == "referred"
    assert AuditEntry.objects.filter(action="report.status", reason="referred to services with consent").exists()


def test_linking_a_case_keeps_the_signal_and_refuses_other_organisations_cases(receiving, staff_a, staff_b, org_b):
    import pytest
    from django.core.exceptions import PermissionDenied

    from amparo.cases.models import Case

    submit()
    signal = Signal.objects.get()
    worker = staff_a[Role.CASE_WORKER]
    as_verified(worker)
    own = Case.objects.create(organisation=receiving, person_name="Own Person", created_by=worker)
    foreign = Case.objects.create(
        organisation=org_b, person_name="Foreign Person", created_by=staff_b[Role.CASE_WORKER]
    )
    with pytest.raises(PermissionDenied):
        services.signal_link_case(actor=worker, signal=signal, case=foreign)
    services.signal_link_case(actor=worker, signal=signal, case=own)
    assert Signal.objects.get().status == "linked"


def test_urgent_signals_are_announced_to_triage_staff_without_any_content(
    receiving, staff_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    from amparo.reports.tasks import notify_urgent

    submit(danger="yes")
    submit()  # not urgent
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_urgent.delay().get() == 1
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([staff_a[Role.CASE_WORKER].email, staff_a[Role.HOTLINE_ADVOCATE].email])
    body = mail.outbox[0].subject + mail.outbox[0].body
    signal = Signal.objects.get(urgency="urgent")
    assert "1 new urgent" in body
    assert not any(word in body for word in (signal.reference, "Oaxaca", "Tamarindo", "MEX", "Mexico"))
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_urgent.delay().get() == 0  # told once
