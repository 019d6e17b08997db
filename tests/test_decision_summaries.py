"""Administrators decide with a need-to-know summary, and the case worker hears of the
decision (issue 8, item 12): closure approval, erasure, transfer acceptance."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from amparo.cases import services
from amparo.cases.models import CaseTransfer
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, registered_case, verified_client


def _plan(worker, case, *, overdue: bool = False) -> None:
    today = timezone.localdate()
    services.service_plan(
        actor=as_verified(worker),
        case=case,
        plan_type="education",
        service_type="shelter",
        due_on=today - datetime.timedelta(days=3) if overdue else today + datetime.timedelta(days=30),
    )


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_closure_decision_shows_the_plan_without_the_person_and_tells_the_worker(
    staff_a, django_capture_on_commit_callbacks
):
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    worker.language = "es"
    worker.save(update_fields=["language"])
    case = registered_case(worker)
    _plan(worker, case, overdue=True)
    _plan(worker, case)
    closure = services.closure_request(actor=as_verified(worker), case=case, reason="services_completed")
    client = verified_client(admin)
    page = client.get(reverse("cases:closure_decide", args=[closure.pk]))
    text = _text(page)
    assert page.status_code == 200
    assert "Support plan completed" in text  # the reason
    assert "Active" in text  # the case's status
    assert "2 open (of which 1 overdue), 0 done, 0 cancelled" in text
    assert "Yolanda" not in text and "Velázquez" not in text
    assert reverse("cases:case_detail", args=[case.reference]) not in text  # no link to a 404
    assert AuditEntry.objects.filter(action="case.summary_view", reason="for:closure", actor=admin).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:closure_decide", args=[closure.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [worker.email]
    assert case.reference in message.subject and case.reference in message.body
    assert "aprobó el cierre" in message.body  # in the worker's language
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", message.body)  # "3 dic 2026", never 03/12/2026
    assert "Yolanda" not in message.body


def test_erasure_page_counts_what_will_be_destroyed_and_the_worker_hears_of_it(
    staff_a, django_capture_on_commit_callbacks
):
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    case = registered_case(worker)
    services.case_assign(actor=as_verified(worker), case=case, assignee=worker)
    services.note_add(actor=as_verified(worker), case=case, body="Met at the bus station")
    _plan(worker, case)
    client = verified_client(admin)
    text = _text(client.get(reverse("cases:case_erase", args=[case.reference])))
    assert "What the erasure destroys" in text
    assert "<td>Notes</td><td>1</td>" in text
    assert "<td>Services in the support plan</td><td>1</td>" in text
    assert "Yolanda" not in text and "bus station" not in text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("cases:case_erase", args=[case.reference]),
            {"reason": "subject_request", "confirm_reference": case.reference},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[worker.email]]
    assert f"erased case {case.reference}" in mail.outbox[0].body


def test_transfer_decision_shows_a_summary_to_the_receiver_and_tells_the_sender(
    staff_a, staff_b, org_b, django_capture_on_commit_callbacks
):
    worker = staff_a[Role.CASE_WORKER]
    case = registered_case(worker, referral=("consent", True))
    _plan(worker, case)
    transfer = services.transfer_request(actor=as_verified(worker), case=case, to_organisation=org_b)
    client = verified_client(staff_b[Role.ORG_ADMIN])
    text = _text(client.get(reverse("cases:transfer_decide", args=[transfer.pk])))
    assert "1 open (of which 0 overdue), 0 done, 0 cancelled" in text
    assert "Given and not withdrawn" in text
    assert "Yolanda" not in text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:transfer_decide", args=[transfer.pk]), {"decision": "accept"})
    assert CaseTransfer.objects.get(pk=transfer.pk).decision == "accepted"
    assert [m.to for m in mail.outbox] == [[worker.email]]
    assert "accepted the transfer of case" in mail.outbox[0].body


def test_the_summary_is_refused_outside_the_decision(staff_a, staff_b):
    worker = staff_a[Role.CASE_WORKER]
    case = registered_case(worker)
    with pytest.raises(PermissionDenied):  # another organisation, nothing offered to it
        services.decision_summary(actor=as_verified(staff_b[Role.ORG_ADMIN]), case=case, purpose="transfer")
    with pytest.raises(PermissionDenied):
        services.decision_summary(actor=as_verified(staff_b[Role.ORG_ADMIN]), case=case, purpose="closure")
    with pytest.raises(PermissionDenied):  # no decision permission
        services.decision_summary(actor=as_verified(staff_a[Role.ANALYST]), case=case, purpose="erasure")
