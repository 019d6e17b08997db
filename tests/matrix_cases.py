"""Permission-matrix expectations for the cases app (see tests/test_permission_matrix.py).

EXPECTATIONS: url name -> (method, rule, object kind or None); rule is "public", "staff",
"signed-in" or a Perm. make_objects returns URL kwargs for each object kind, created in
organisation A (the matrix checks that organisation B's staff are denied them).

Every route that names an object is either in READ_ONLY (it changes nothing) or in
POST_BODIES: a body that succeeds for organisation A's own staff, posted by every role of
organisation B, who must get what a missing object gets and change nothing.
POST_BODIES values take the `ctx` of test_permission_matrix (objects, organisations, staff).
"""

from __future__ import annotations

from amparo.cases.models import (
    Case,
    CaseAttachment,
    CaseClosure,
    CaseTransfer,
    Consent,
    ConsentGrant,
    DuplicateAlert,
    LegalProceeding,
    Screening,
    SupportService,
)
from amparo.cases.vocabularies import ClosureReason, ConsentGivenBy, ConsentPurpose, LawfulBasis
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
        case=case,
        kind="criminal",
        stage="investigation",
        court="Fiscalía",
        person_role="victim_witness",
        recorded_by=worker,
    )
    # A transfer offered to organisation A by organisation B: A's administrators decide it.
    offered = Case.objects.create(organisation=org_b, person_name="Sender Person", created_by=staff_b[Role.CASE_WORKER])
    # The person agreed to services and referral: a consent withdrawal or a transfer can succeed.
    case_consent = Consent.objects.create(
        organisation=org_a, case=case, given_by=ConsentGivenBy.PERSON, text_version="2026.1", text_language="en"
    )
    for purpose in (ConsentPurpose.SERVICES, ConsentPurpose.REFERRAL):
        ConsentGrant.objects.create(
            consent=case_consent, purpose=purpose, lawful_basis=LawfulBasis.CONSENT, agreed=True
        )
    transfer = CaseTransfer.objects.create(organisation=org_a, case=offered, from_organisation=org_b)
    offered_consent = Consent.objects.create(
        organisation=org_b, case=offered, given_by=ConsentGivenBy.PERSON, text_version="2026.1", text_language="en"
    )
    ConsentGrant.objects.create(
        consent=offered_consent, purpose=ConsentPurpose.REFERRAL, lawful_basis=LawfulBasis.CONSENT, agreed=True
    )
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


def _close(ctx) -> None:
    Case.objects.filter(reference=ctx["case"]["reference"]).update(status="closed", closure_reason="declined")


#: What must be true before the POST can succeed for organisation A's staff.
PREPARE = {"cases:case_reopen": _close}

READ_ONLY = {
    "cases:case_detail",
    "cases:screening_detail",
    "cases:attachment_download",
    "cases:case_export",
    "cases:case_export_json",
    "api:case_detail",
}

#: Organisation-wide routes whose POST body names an object: url name -> body for a reference.
BODY_NAMES_OBJECT = {
    "cases:case_break_glass": lambda reference: {"reference": reference, "reason": "safety", "explanation": _LONG},
}

_LONG = "Written for the permission matrix: long enough for every field that asks for a sentence or more."

POST_BODIES = {
    "cases:case_register": lambda ctx: {"given_name": "Zacarías", "family_name": "Matrixnuevo"},
    "cases:case_person_edit": lambda ctx: {"given_name": "Matrix", "family_name": "Person Edited"},
    "cases:case_context_edit": lambda ctx: {"relationship_to_trafficker": "", "exploitation_types": ["forced_labour"]},
    "cases:decision_create": lambda ctx: {
        "status": "possible",
        "deciding_organisation_type": "ngo",
        "decided_on": "2026-01-02",
    },
    "cases:event_create": lambda ctx: {"event_type": "recruitment", "month": "2025-06", "country": "MEX"},
    "cases:screening_create": lambda ctx: {"tool": "ilo_ec_adults_labour"},
    "cases:consent_withdraw": lambda ctx: {"purpose": "services", "note": "She asked us to stop."},
    "cases:consent_override": lambda ctx: {"purpose": "research", "lawful_basis": "vital_interests", "reason": _LONG},
    "cases:note_create": lambda ctx: {"body": "A note from the matrix."},
    "cases:attachment_create": lambda ctx: {"upload": ctx["png"]()},
    "cases:case_assign": lambda ctx: {"assignee": ctx["staff_a"][Role.CASE_WORKER].pk},
    "cases:closure_request_create": lambda ctx: {"reason": ClosureReason.SERVICES_COMPLETED, "note": "Done."},
    "cases:case_reopen": lambda ctx: {"reason": _LONG},
    "cases:service_create": lambda ctx: {
        "plan_type": "health",
        "service_type": "medical",
        "due_on": "2030-01-01",
    },
    "cases:service_update": lambda ctx: {"status": "done", "completed_on": "2026-01-02"},
    "cases:duplicate_dismiss": lambda ctx: {"confirm": "on"},
    "cases:legal_assistance_create": lambda ctx: {
        "given_on": "2026-01-02",
        "assistance_type": "advice",
        "given_by": "Licenciada Matrix",
    },
    "cases:proceeding_create": lambda ctx: {
        "kind": "civil",
        "stage": "complaint",
        "court": "Juzgado Primero",
        "person_role": "victim_witness",
        "outcome": "pending",
    },
    "cases:proceeding_update": lambda ctx: {
        "kind": "criminal",
        "stage": "charges",
        "court": "Fiscalía",
        "person_role": "victim_witness",
        "outcome": "pending",
    },
    "cases:case_erase": lambda ctx: {"reason": "subject_request", "confirm_reference": ctx["case"]["reference"]},
    "cases:transfer_request": lambda ctx: {"to_organisation": ctx["org_b"].pk},
    "cases:transfer_decide": lambda ctx: {"decision": "accept"},
    "cases:closure_decide": lambda ctx: {"decision": "approve"},
}
