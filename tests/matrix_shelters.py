"""Permission-matrix expectations for shelters and beds (see tests/test_permission_matrix.py).

Every shelter route names an object of organisation A (a shelter, a waiting-list entry, an
admission): other organisations' staff get exactly what a missing object gets (404), and
organisation A's own staff get what their role allows. The matrix's shelter has one free
women's bed, one person staying and one waiting.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from amparo.accounts.models import AgreementStatus, Organisation, OrganisationType, SharingAgreement
from amparo.cases.models import Case
from amparo.core.permissions import Perm, Role
from amparo.referrals.models import Referral, Service, ServiceType
from amparo.referrals.services import load_global_types
from amparo.referrals.workflow_models import ReferralStatus
from amparo.shelters import services
from amparo.shelters.models import BedType, Priority
from tests.conftest import as_verified, make_user, registered_case

EXPECTATIONS = {
    "shelters:shelter_list": ("GET", Perm.SHELTER_VIEW, None),
    "shelters:shelter_create": ("GET", Perm.SHELTER_MANAGE, None),
    "shelters:shelter_detail": ("GET", Perm.SHELTER_VIEW, "shelter"),
    "shelters:shelter_update": ("GET", Perm.SHELTER_MANAGE, "shelter"),
    "shelters:shelter_history": ("GET", Perm.SHELTER_VIEW, "shelter"),
    "shelters:waiting_add": ("GET", Perm.SHELTER_WAITLIST, "shelter"),
    "shelters:waiting_admit": ("GET", Perm.SHELTER_ADMIT, "waiting_entry"),
    "shelters:waiting_withdraw": ("POST", Perm.SHELTER_ADMIT, "waiting_entry"),
    "shelters:admission_detail": ("GET", Perm.SHELTER_ADMIT, "admission"),
    "shelters:admission_discharge": ("POST", Perm.SHELTER_ADMIT, "admission"),
    # Admitting the person of an accepted referral to A's shelter (decision 0033).
    "shelters:referral_admit": ("GET", Perm.SHELTER_ADMIT, "referral_to_shelter"),
    # Read-only API (decision 0035): own shelters with counts; other organisations' free beds by choice.
    "api:shelter_list": ("GET", Perm.SHELTER_VIEW, None),
    "api:shelter_detail": ("GET", Perm.SHELTER_VIEW, "shelter"),
    "api:shelter_free_beds": ("GET", Perm.DIRECTORY_VIEW, None),
}

READ_ONLY = {
    "shelters:shelter_detail",
    "shelters:shelter_history",
    "shelters:admission_detail",
    "api:shelter_detail",
}


def _today(ctx) -> str:
    return services.today().isoformat()


POST_BODIES = {
    "shelters:shelter_update": lambda ctx: {
        "name": "Matrix House renamed",
        "street_address": "Calle Matriz 1",
        "coordinates": "19.5, -99.2",
        **{f"beds_{value}": 3 for value in BedType.values},
    },
    "shelters:waiting_add": lambda ctx: {
        "case_reference": ctx["shelter_case"]["reference"],
        "bed_type": BedType.WOMEN,
        "priority": Priority.HIGH,
    },
    "shelters:waiting_admit": lambda ctx: {"bed_type": BedType.WOMEN, "admitted_on": _today(ctx), "expected_days": 30},
    "shelters:waiting_withdraw": lambda ctx: {},
    "shelters:referral_admit": lambda ctx: {"bed_type": BedType.WOMEN, "admitted_on": _today(ctx)},
    "shelters:admission_discharge": lambda ctx: {
        "discharged_on": _today(ctx),
        "destination": "family",
        "reason": "Went home to her family",
    },
}


def _referral_to(shelter, org_a, *, receiver_case) -> int:
    """An accepted referral from a third organisation, Delta Acogida, to A's shelter, from
    which A opened its own case (`receiver_case`): what the shelter manager admits."""
    delta = Organisation.objects.create(name="Delta Acogida", org_type=OrganisationType.NGO, country="ECU")
    today = timezone.localdate()
    agreement = SharingAgreement.objects.create(
        proposer=delta,
        receiver=org_a,
        purposes=["referral"],
        field_sets=["shelter_intake"],
        field_sets_version="2026.1",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=90),
        status=AgreementStatus.ACTIVE,
    )
    delta_case = registered_case(make_user(delta, Role.CASE_WORKER), referral=("consent", True))
    now = timezone.now()
    return Referral.objects.create(
        sender=delta,
        receiver=org_a,
        service=shelter.service,
        service_type_code="shelter",
        status=ReferralStatus.ACCEPTED,
        case=delta_case,
        receiver_case=receiver_case,
        field_set="shelter_intake",
        field_sets_version="2026.1",
        basis="agreement",
        agreement=agreement,
        sealed_content=b"sealed",
        sent_at=now,
        due_at=now + datetime.timedelta(hours=24),
    ).pk


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    load_global_types()
    manager = as_verified(staff_a[Role.SHELTER_MANAGER])
    worker = as_verified(staff_a[Role.CASE_WORKER])
    service = Service.objects.create(
        organisation=org_a,
        name="Matrix House",
        service_type=ServiceType.objects.get(organisation=None, code="shelter"),
        intake_contact="+52 55 0000 0000",
        is_published=False,  # a published entry names its organisation in the shared directory (decision 0018)
        created_by=staff_a[Role.ORG_ADMIN],
    )
    shelter = services.shelter_create(
        actor=manager,
        service=service,
        name="Matrix House",
        street_address="Calle Matriz 0",
        capacities={BedType.WOMEN: 2},
    )
    staying, waiting, spare = (
        Case.objects.create(organisation=org_a, person_name=f"Matrix Person {n}", created_by=worker) for n in (1, 2, 3)
    )
    entry = services.waiting_add(
        actor=worker, shelter=shelter, case_reference=staying.reference, bed_type=BedType.WOMEN, priority=1
    )
    admission = services.admission_create(
        actor=manager,
        shelter=shelter,
        case=staying,
        bed_type=BedType.WOMEN,
        admitted_on=services.today(),
        entry=entry,
    )
    waiting_entry = services.waiting_add(
        actor=worker, shelter=shelter, case_reference=waiting.reference, bed_type=BedType.WOMEN, priority=2
    )
    return {
        "referral_to_shelter": {"pk": _referral_to(shelter, org_a, receiver_case=spare)},
        "shelter": {"pk": shelter.pk},
        "waiting_entry": {"pk": waiting_entry.pk},
        "admission": {"pk": admission.pk},
        "shelter_case": {"reference": spare.reference},
    }
