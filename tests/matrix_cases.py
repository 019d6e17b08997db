"""Permission-matrix expectations for the cases app (see tests/test_permission_matrix.py).

EXPECTATIONS: url name -> (method, rule, object kind or None); rule is "public", "staff",
"signed-in" or a Perm. make_objects returns URL kwargs for each object kind, created in
organisation A (the matrix checks that organisation B's staff are denied them).
"""

from __future__ import annotations

from amparo.cases.models import (
    Case,
    CaseAttachment,
    CaseClosure,
    CaseTransfer,
    Consent,
    DuplicateAlert,
    LegalProceeding,
    Screening,
    SupportService,
)
from amparo.cases.vocabularies import ClosureReason, ConsentGivenBy
from amparo.core.permissions import Perm, Role

EXPECTATIONS = {
    "cases:case_list": ("GET", Perm.CASE_VIEW, None),
    "cases:my_cases": ("GET", Perm.CASE_VIEW, None),
    "cases:case_create": ("GET", Perm.CASE_EDIT, None),
    "cases:case_register": ("GET", Perm.CASE_EDIT, "registration"),
    "cases:case_detail": ("GET", Perm.CASE_VIEW, "case"),
    "cases:case_person_edit": ("GET", Perm.CASE_EDIT, "case"),
    "cases:case_context_edit": ("GET", Perm.CASE_EDIT, "case"),
    "cases:decision_create": ("GET", Perm.CASE_EDIT, "case"),
    "cases:event_create": ("GET", Perm.CASE_EDIT, "case"),
    "cases:screening_create": ("GET", Perm.CASE_EDIT, "case"),
    "cases:screening_detail": ("GET", Perm.CASE_VIEW, "screening"),
    "cases:consent_withdraw": ("GET", Perm.CASE_EDIT, "case"),
    "cases:consent_override": ("GET", Perm.CASE_CONSENT_OVERRIDE, "case"),
    "cases:note_create": ("GET", Perm.CASE_NOTE, "case"),
    "cases:attachment_create": ("GET", Perm.CASE_NOTE, "case"),
    "cases:attachment_download": ("GET", Perm.CASE_VIEW, "case_attachment"),
    "cases:case_assign": ("GET", Perm.CASE_EDIT, "case"),
    "cases:closure_request_create": ("GET", Perm.CASE_EDIT, "case"),
    "cases:case_reopen": ("GET", Perm.CASE_EDIT, "case"),
    "cases:service_create": ("GET", Perm.CASE_EDIT, "case"),
    "cases:service_update": ("GET", Perm.CASE_EDIT, "service"),
    "cases:duplicate_dismiss": ("GET", Perm.CASE_EDIT, "duplicate_alert"),
    "cases:legal_assistance_create": ("GET", Perm.CASE_LEGAL, "case"),
    "cases:proceeding_create": ("GET", Perm.CASE_LEGAL, "case"),
    "cases:proceeding_update": ("GET", Perm.CASE_LEGAL, "proceeding"),
    "cases:case_export": ("GET", Perm.CASE_VIEW, "case"),
    "cases:case_export_json": ("GET", Perm.CASE_VIEW, "case"),
    "cases:case_erase": ("GET", Perm.CASE_ERASE, "case"),
    "cases:case_erase_start": ("GET", Perm.CASE_ERASE, None),
    "cases:transfer_request": ("GET", Perm.CASE_EDIT, "case"),
    "cases:transfer_list": ("GET", Perm.CASE_TRANSFER_DECIDE, None),
    "cases:transfer_decide": ("GET", Perm.CASE_TRANSFER_DECIDE, "transfer"),
    "cases:closure_list": ("GET", Perm.CASE_CLOSE_APPROVE, None),
    "cases:closure_decide": ("GET", Perm.CASE_CLOSE_APPROVE, "closure"),
    "cases:case_break_glass": ("GET", Perm.CASE_BREAK_GLASS, None),
    "api:case_list": ("GET", Perm.CASE_VIEW, None),
    "api:case_detail": ("GET", Perm.CASE_VIEW, "case"),
}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    worker = staff_a[Role.CASE_WORKER]
    case = Case.objects.create(organisation=org_a, person_name="Matrix Person", created_by=worker)
    closing = Case.objects.create(organisation=org_a, person_name="Matrix Person Closing", created_by=worker)
    closure = CaseClosure.objects.create(
        organisation=org_a, case=closing, reason=ClosureReason.SERVICES_COMPLETED, requested_by=worker
    )
    consent = Consent.objects.create(
        organisation=org_a,
        given_by=ConsentGivenBy.PERSON,
        text_version="2026.1",
        text_language="en",
        recorded_by=worker,
    )
    service = SupportService.objects.create(
        case=case, plan_type="health", service_type="medical", due_on="2026-01-01", created_by=worker
    )
    attachment = CaseAttachment.objects.create(
        case=case, uploaded_by=worker, file_name="matrix.png", content_type="image/png", size=3, content="AAAA"
    )
    screening = Screening.objects.create(
        case=case, tool="ilo_ec_adults_labour", version="2009.1", answers={}, present=0, total=67, screened_by=worker
    )
    alert = DuplicateAlert.objects.create(case=case, other=closing, reasons=["name"])
    proceeding = LegalProceeding.objects.create(
        case=case, kind="criminal", stage="investigation", court="Fiscalía", person_role="victim_witness"
    )
    # A transfer offered to organisation A by organisation B: A's administrators decide it.
    offered = Case.objects.create(organisation=org_b, person_name="Sender Person", created_by=staff_b[Role.CASE_WORKER])
    transfer = CaseTransfer.objects.create(organisation=org_a, case=offered, from_organisation=org_b)
    return {
        "transfer": {"pk": transfer.pk},
        "case": {"reference": case.reference},
        "duplicate_alert": {"reference": case.reference, "pk": alert.pk},
        "service": {"reference": case.reference, "pk": service.pk},
        "case_attachment": {"reference": case.reference, "pk": attachment.pk},
        "screening": {"reference": case.reference, "pk": screening.pk},
        "proceeding": {"reference": case.reference, "pk": proceeding.pk},
        "closure": {"pk": closure.pk},
        "registration": {"registration": consent.registration},
    }
