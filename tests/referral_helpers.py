"""Shared set-up for the referral workflow tests: a case of organisation A with a distinct
marker in every field, B's shelter service on Amparo with keys, and an agreement."""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AgreementStatus, Organisation, SharingAgreement
from amparo.cases.models import Case, LegalAssistance, Note, Screening
from amparo.core.permissions import Role
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import load_global_types
from tests.conftest import registered_case

#: Planted in the case's fields that the shelter-intake set does NOT share.
UNSHARED = {
    "family_name": "Zzfamilia",
    "other_names": "Zzalias",
    "phone": "+502 5555 9191",
    "other_phone": "+502 5555 8282",
    "email": "zzcorreo@example.test",
    "address": "Zzcalle 42",
    "document_number": "ZZDOC4242",
    "summary": "Zzresumen del caso",
    "note": "Zznota interna",
    "legal": "Zzasesoria legal",
    "screening": "Zzcribado",
    "reference": None,  # the case reference: filled in when the case exists
}
#: The values the sender reviews and sends (shelter intake).
SHARED = {
    "f_first_name": "Yolanda",
    "f_age_band": "27–29",
    "f_languages": "Spanish",
    "f_immediate_needs": "Qqneeds a safe bed tonight",
    "f_risk_notes": "Qqrisk trafficker may search bus stations",
    "note": "Qqnote call before arrival",
}


def planted_case(worker) -> Case:
    case = registered_case(worker, referral=("consent", True))
    case.family_name = UNSHARED["family_name"]
    case.person_name = f"Yolanda {UNSHARED['family_name']}"
    case.other_names = UNSHARED["other_names"]
    case.phone = UNSHARED["phone"]
    case.other_phone = UNSHARED["other_phone"]
    case.email = UNSHARED["email"]
    case.address = UNSHARED["address"]
    case.document_number = UNSHARED["document_number"]
    case.summary = UNSHARED["summary"]
    case.age_band = "27-29"
    case.primary_language = "spa"
    case.save()
    Note.objects.create(case=case, body=UNSHARED["note"], author=worker)
    LegalAssistance.objects.create(
        case=case, given_on=timezone.localdate(), assistance_type="advice", given_by="Lawyer", notes=UNSHARED["legal"]
    )
    Screening.objects.create(
        case=case, tool="t", version="1", answers={}, present=0, total=1, note=UNSHARED["screening"]
    )
    return case


def unshared_markers(case: Case) -> list[str]:
    return [v for v in UNSHARED.values() if v] + [case.reference, "G12345678"]


def shelter_of(org: Organisation, creator) -> Service:
    load_global_types()
    return Service.objects.create(
        organisation=org,
        name="Casa Refugio Norte",
        on_amparo=True,
        service_type=ServiceType.objects.get(organisation=None, code="shelter"),
        intake_contact="+57 1 000 0000",
        created_by=creator,
    )


def agreement(org_from: Organisation, org_to: Organisation, **overrides) -> SharingAgreement:
    today = timezone.localdate()
    values = {
        "purposes": ["referral"],
        "field_sets": ["shelter_intake"],
        "field_sets_version": "2026.1",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=90),
        "status": AgreementStatus.ACTIVE,
        **overrides,
    }
    return SharingAgreement.objects.create(proposer=org_from, receiver=org_to, **values)


def refer(client, case: Case, service: Service, **overrides):
    body = {"service": service.pk, "field_set": "shelter_intake", **SHARED, **overrides}
    return client.post(reverse("referral:create", kwargs={"reference": case.reference}), body)


ROLES = list(Role.values)
