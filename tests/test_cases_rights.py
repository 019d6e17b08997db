"""Survivor rights (issue 4, item 10): the person's data exported for them in their language,
and erased on request leaving only the reference, a tombstone and the audit trail."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from amparo.cases import services
from amparo.cases.models import (
    BreakGlassAccess,
    Case,
    CaseErasure,
    CaseStatus,
    Consent,
    LegalAssistance,
    LegalProceeding,
    NameKey,
    Note,
    TraffickingEvent,
)
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, registered_case, verified_client
from tests.rawdb import plaintext_hits, raw_database_bytes


@pytest.fixture
def case(staff_a):
    return registered_case(staff_a[Role.CASE_WORKER])


def _url(name, case):
    return reverse(f"cases:{name}", kwargs={"reference": case.reference})


def _fill(case, staff_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    services.note_add(actor=worker, case=case, body="Her uncle Rosendo sold her to the ranch")
    services.event_add(actor=worker, case=case, event_type="exploitation", country="MEX", city="Tapachula")
    services.proceeding_add(
        actor=worker,
        case=case,
        kind="criminal",
        stage="trial",
        court="Juzgado Penal",
        case_number="CP-77/2026",
        person_role="victim_witness",
    )
    services.legal_assistance_add(
        actor=worker,
        case=case,
        given_on=datetime.date(2026, 1, 3),
        assistance_type="advice",
        given_by="Clínica",
        notes="Explained her rights as a witness",
    )
    services.case_update_context(actor=worker, case=case, means_of_control=["debt_bondage"])
    services.case_update_person(actor=worker, case=case, given_name="Yolanda", citizenship=["GTM"])


# --- Export ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("es", ["Servidumbre por deudas", "Notas", "Testigo-víctima", "Guatemala"]),
        ("en", ["Debt bondage", "Notes", "Victim-witness", "Guatemala"]),
    ],
)
def test_the_json_export_holds_every_field_decrypted_in_the_chosen_language(staff_a, case, language, labels):
    _fill(case, staff_a)
    client = verified_client(staff_a[Role.LEGAL_ADVISER])
    response = client.get(_url("case_export_json", case), {"language": language})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference}-{language}.json"'
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    data = json.loads(body)
    fields = {row["field"]: row["value"] for row in data["case"]}
    assert fields["given_name"] == "Yolanda" and fields["phone"] == "+502 5555 0101"
    assert fields["document_number"] == "G12345678" and fields["birth_date"] == "1998-04-02"
    assert {"summary", "email", "address", "citizenship", "perpetrator_roles"} <= set(fields)
    assert not any(name.endswith("_index") for name in fields)  # blind indexes stay behind
    sections = {section["name"]: section["rows"] for section in data["sections"]}
    assert "Rosendo" in json.dumps(sections["notes"], ensure_ascii=False)
    assert "CP-77/2026" in json.dumps(sections["proceedings"]) and "Explained her rights" in body
    assert len(sections["consents"]) == 1 and "purposes" in body
    for label in labels:
        assert label in body, label
    entry = AuditEntry.objects.get(action="case.export_subject")
    assert entry.reason == f"format:json lang:{language}" and "Yolanda" not in entry.reason


def test_the_export_labels_change_with_the_language(staff_a, case):
    _fill(case, staff_a)
    client = verified_client(staff_a[Role.CASE_WORKER])
    english = client.get(_url("case_export_json", case), {"language": "en"}).json()
    spanish = client.get(_url("case_export_json", case), {"language": "es"}).json()
    assert english["title"] != spanish["title"] and case.reference in spanish["title"]
    en_labels = [row["label"] for row in english["case"]]
    es_labels = [row["label"] for row in spanish["case"]]
    assert en_labels != es_labels and len(en_labels) == len(es_labels)


def test_the_printable_export_page_shows_the_data_and_is_audited(staff_a, case):
    _fill(case, staff_a)
    client = verified_client(staff_a[Role.CASE_WORKER])
    page = client.get(_url("case_export", case), {"language": "en"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert b"Yolanda" in page.content and b"Rosendo" in page.content and b"CP-77/2026" in page.content
    assert AuditEntry.objects.filter(action="case.export_subject", reason="format:html lang:en").count() == 1


def test_only_roles_that_read_case_files_may_export(staff_a, staff_b, case):
    advocate = staff_a[Role.HOTLINE_ADVOCATE]
    services.break_glass_open(
        actor=as_verified(advocate), reference=case.reference, reason="safety", explanation="She called, in danger now."
    )
    assert BreakGlassAccess.objects.filter(user=advocate).exists()
    # Emergency access reads the case, but never exports it.
    assert verified_client(advocate).get(_url("case_export_json", case)).status_code == 403
    assert verified_client(staff_a[Role.ORG_ADMIN]).get(_url("case_export_json", case)).status_code == 403
    assert verified_client(staff_b[Role.CASE_WORKER]).get(_url("case_export_json", case)).status_code == 404
    with pytest.raises(PermissionDenied):
        services.case_export_subject(actor=as_verified(staff_b[Role.CASE_WORKER]), case=case, language="en", fmt="json")
    assert not AuditEntry.objects.filter(action="case.export_subject").exists()


# --- Erasure --------------------------------------------------------------------------------


def test_erasure_needs_the_typed_reference_and_changes_nothing_without_it(staff_a, case):
    client = verified_client(staff_a[Role.ORG_ADMIN])
    start = client.get(reverse("cases:case_erase_start"), {"reference": case.reference.lower()})
    assert start.status_code == 302 and start["Location"] == _url("case_erase", case)
    page = client.get(_url("case_erase", case))
    assert page.status_code == 200 and case.reference.encode() in page.content and b"Yolanda" not in page.content
    response = client.post(_url("case_erase", case), {"reason": "subject_request", "confirm_reference": "C-WRONG000"})
    assert response.status_code == 400 and b"Type the case reference exactly" in response.content
    case.refresh_from_db()
    assert case.given_name == "Yolanda" and not CaseErasure.objects.exists()
    assert not AuditEntry.objects.filter(action="case.erase").exists()


def test_erasure_leaves_only_the_reference_organisation_closed_status_tombstone_and_audit(staff_a, case):
    _fill(case, staff_a)
    reference, organisation_id = case.reference, case.organisation_id
    client = verified_client(staff_a[Role.ORG_ADMIN])
    response = client.post(
        _url("case_erase", case), {"reason": "subject_request", "confirm_reference": reference.lower()}
    )
    assert response.status_code == 302
    case = Case.objects.get(reference=reference)
    assert (case.organisation_id, case.status) == (organisation_id, CaseStatus.CLOSED)
    for field in ("person_name", "given_name", "family_name", "phone", "document_number", "birth_date", "summary"):
        assert getattr(case, field) == "", field
    assert case.phone_index == case.document_index == case.birth_date_index == ""
    assert case.means_of_control == [] and case.citizenship == [] and case.gender == ""
    assert case.created_by_id is None and case.assigned_to_id is None
    for model in (NameKey, Note, TraffickingEvent, LegalProceeding, LegalAssistance, Consent):
        assert not model.objects.filter(case_id=case.pk).exists(), model
    tombstone = CaseErasure.objects.get(case=case)
    assert (tombstone.reason, tombstone.erased_by) == ("subject_request", staff_a[Role.ORG_ADMIN])
    entry = AuditEntry.objects.get(action="case.erase")
    assert entry.reason == "reason:subject_request" and entry.object_id == str(case.pk)
    # The earlier audit trail is kept.
    assert AuditEntry.objects.filter(action="case.note_add", object_id=str(case.pk)).exists()
    # Nothing can be added to an erased case, and it cannot be erased twice.
    with pytest.raises(ValidationError):
        services.note_add(actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, body="more")
    again = client.post(_url("case_erase", case), {"reason": "subject_request", "confirm_reference": reference})
    assert again.status_code == 400 and b"This case was erased on" in again.content


def test_only_an_administrator_of_the_cases_organisation_may_erase(staff_a, staff_b, case):
    data = {"reason": "subject_request", "confirm_reference": case.reference}
    for user, status in (
        (staff_a[Role.CASE_WORKER], 403),
        (staff_a[Role.LEGAL_ADVISER], 403),
        (staff_b[Role.ORG_ADMIN], 404),
    ):
        assert verified_client(user).post(_url("case_erase", case), data).status_code == status
        with pytest.raises(PermissionDenied):
            services.case_erase(
                actor=as_verified(user), case=case, reason="subject_request", confirm_reference=case.reference
            )
    case.refresh_from_db()
    assert case.given_name == "Yolanda" and not CaseErasure.objects.exists()


def _stored_tokens(case_pk):
    """The ciphertext the database holds for the person's name, phone and a note."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT person_name, phone FROM cases_case WHERE id = %s", [case_pk])
        name, phone = cursor.fetchone()
        cursor.execute("SELECT body FROM cases_note WHERE case_id = %s", [case_pk])
        (note,) = cursor.fetchone()
    return [name, phone, note]


@pytest.mark.django_db(transaction=True)
def test_after_erasure_the_raw_database_holds_neither_the_plaintext_nor_the_old_ciphertext(staff_a):
    """Plaintext never reaches the file (vault); what erasure must remove is the ciphertext,
    which stays decryptable while the key lives. SQLite keeps deleted rows in free pages until
    overwritten or vacuumed. secure_delete is turned off here (as in upstream SQLite builds)
    so the scan depends on what the service does: without its pragma and VACUUM it fails.
    On PostgreSQL the scan reads a pg_dump, which holds live rows only: it shows that nothing
    of the person is left in the data, not that the disk pages were overwritten (they are
    reclaimed by VACUUM; see the service's docstring)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = OFF")
    worker = as_verified(staff_a[Role.CASE_WORKER])
    erased = services.case_create(
        actor=worker, given_name="Zenaida", family_name="Oyarzún", phone="+52 961 444 7788", summary="A story"
    )
    services.note_add(actor=worker, case=erased, body="Zenaida hides at her aunt's in Huixtla")
    tokens = _stored_tokens(erased.pk)
    assert all(token.startswith("v2:") for token in tokens)
    assert all(token.encode() in raw_database_bytes() for token in tokens)  # the scan can see them

    services.case_erase(
        actor=as_verified(staff_a[Role.ORG_ADMIN]),
        case=erased,
        reason="subject_request",
        confirm_reference=erased.reference,
    )
    raw = raw_database_bytes()
    assert [token for token in tokens if token.encode() in raw] == []
    assert plaintext_hits("Zenaida", "Oyarzún", "961 444 7788", "Huixtla") == []
    assert Case.objects.get(pk=erased.pk).reference == erased.reference
