"""The audit log: reads and writes recorded, append-only, and tampering detected."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from amparo.cases.models import Case
from amparo.core import audit
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import verified_client


@pytest.fixture
def case(staff_a, org_a):
    return Case.objects.create(organisation=org_a, person_name="Audit Person", created_by=staff_a[Role.CASE_WORKER])


def test_opening_a_case_is_recorded_with_who_and_what(staff_a, case):
    worker = staff_a[Role.CASE_WORKER]
    verified_client(worker).get(reverse("cases:case_detail", kwargs={"reference": case.reference}))
    entry = AuditEntry.objects.get(action="case.view")
    assert (entry.actor, entry.object_id, entry.organisation_id) == (worker, str(case.pk), case.organisation_id)


def test_the_admin_sees_the_organisations_log_and_not_anothers(staff_a, staff_b, case):
    verified_client(staff_a[Role.CASE_WORKER]).get(reverse("cases:case_detail", kwargs={"reference": case.reference}))
    page_a = verified_client(staff_a[Role.ORG_ADMIN]).get(reverse("core:audit_list"))
    page_b = verified_client(staff_b[Role.ORG_ADMIN]).get(reverse("core:audit_list"))
    assert case.reference.encode() in page_a.content and b"Read a case file" in page_a.content
    assert case.reference.encode() not in page_b.content


def test_verify_audit_passes_on_an_intact_chain(staff_a, case, capsys):
    for _ in range(3):
        audit.record(actor=staff_a[Role.CASE_WORKER], action="case.view", obj=case)
    call_command("verify_audit")
    assert "intact: 3 entries" in capsys.readouterr().out


def test_a_changed_row_is_detected(staff_a, case):
    for _ in range(3):
        audit.record(actor=staff_a[Role.CASE_WORKER], action="case.view", obj=case)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET reason = 'nothing to see' WHERE seq = 2")
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("verify_audit")
    assert any("entry 2 was changed" in p for p in audit.verify_chain())


def test_a_deleted_row_is_detected(staff_a, case):
    for _ in range(3):
        audit.record(actor=staff_a[Role.CASE_WORKER], action="case.view", obj=case)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = 2")
    assert any("entry 2 is missing" in p for p in audit.verify_chain())


def test_a_deleted_last_row_is_detected(staff_a, case):
    for _ in range(3):
        audit.record(actor=staff_a[Role.CASE_WORKER], action="case.view", obj=case)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE seq = 3")
    assert audit.verify_chain() != []


def test_entries_cannot_be_edited_or_deleted_through_the_orm(staff_a, case):
    entry = audit.record(actor=staff_a[Role.CASE_WORKER], action="case.view", obj=case)
    entry.reason = "rewritten"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
