"""The audit log in words (issue 8, item 14): translated actions, the references staff
know, people's names, and filters by person, record and period; scoped to the organisation."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from amparo.cases import services
from amparo.core.audit_labels import ACTION_LABELS
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, registered_case, verified_client

ROOT = Path(__file__).resolve().parent.parent / "amparo"


def _rows(response) -> list[str]:
    body = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>") if "<td" in row]


def test_entries_show_translated_actions_references_and_names(staff_a):
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    case = registered_case(worker)
    services.case_assign(actor=as_verified(worker), case=case, assignee=worker)
    client = verified_client(admin)
    rows = _rows(client.get(reverse("core:audit_list")))
    assign = next(row for row in rows if "Assigned a case" in row)
    assert worker.full_name in assign  # who, by name
    assert case.reference in assign  # the record, by reference
    assert f"to_user:{worker.pk}" not in assign and str(case.pk) not in assign.split(case.reference)[0][-4:]
    assert not any("case.assign" in row or "cases.Case" in row for row in rows)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = _rows(client.get(reverse("core:audit_list")))
    assert any("Asignó un caso" in row and case.reference in row for row in spanish)


def test_filters_by_person_record_and_period(staff_a):
    worker, admin, lawyer = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN], staff_a[Role.LEGAL_ADVISER]
    first, second = registered_case(worker), registered_case(worker)
    services.note_add(actor=as_verified(lawyer), case=second, body="Hearing moved")
    client = verified_client(admin)
    url = reverse("core:audit_list")

    by_record = _rows(client.get(url, {"reference": first.reference.lower()}))
    assert by_record and all(first.reference in row for row in by_record)

    by_person = _rows(client.get(url, {"person": lawyer.pk}))
    assert by_person and all(lawyer.full_name in row for row in by_person)
    assert any("Added a note" in row and second.reference in row for row in by_person)

    today = timezone.localdate()
    assert _rows(client.get(url, {"start": today.isoformat(), "end": today.isoformat(), "reference": second.reference}))
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert _rows(client.get(url, {"end": yesterday})) == ["Nothing recorded that matches."]
    bad = client.get(url, {"start": today.isoformat(), "end": yesterday})
    assert bad.status_code == 400 and b"The end of the period comes before its start." in bad.content


def test_filters_do_not_reach_another_organisation(staff_a, staff_b):
    case = registered_case(staff_a[Role.CASE_WORKER])
    other = verified_client(staff_b[Role.ORG_ADMIN])
    assert _rows(other.get(reverse("core:audit_list"), {"reference": case.reference})) == [
        "Nothing recorded that matches."
    ]
    # A colleague of another organisation is not a choice in the person filter.
    response = other.get(reverse("core:audit_list"), {"person": staff_a[Role.CASE_WORKER].pk})
    assert response.status_code == 400
    assert AuditEntry.objects.filter(organisation=staff_a[Role.CASE_WORKER].organisation).exists()


def test_every_recorded_action_has_a_label():
    literal = re.compile(r'action="([a-z_]+\.[a-z_]+)"')
    dynamic = re.compile(r'\("((?:report|case)\.[a-z_]+)", ')
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        if "audit.record" not in text and "changes.append" not in text:
            continue
        found |= set(literal.findall(text)) | set(dynamic.findall(text))
    found |= {f"case.close_{d}" for d in ("approved", "rejected")} | {
        f"case.transfer_{d}" for d in ("accepted", "rejected")
    }
    missing = sorted(code for code in found if code not in ACTION_LABELS and not code.endswith("_"))
    assert not missing, f"Audit actions without a label in amparo/core/audit_labels.py: {missing}"
