"""A safe house of organisation A with planted markers, for the shelter API tests and the fuzzing."""

from __future__ import annotations

from amparo.cases.models import Case
from amparo.core.permissions import Role
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import load_global_types
from amparo.shelters import services
from amparo.shelters.models import BedType, Shelter
from tests.conftest import as_verified

ADDRESS = "Zzcalle Secreta 99"
COORDINATES = "19.432611, -99.133211"
PERSON = "Zzpersona Albergada"
WAITING_PERSON = "Zzpersona Esperando"
MARKERS = [ADDRESS.encode(), b"19.432611", b"-99.133211", PERSON.encode(), WAITING_PERSON.encode()]


def make_safe_house(staff_a, org_a) -> Shelter:
    """Organisation A's published safe house: 3 women's beds (one taken) and 2 children's,
    free beds shown to other organisations, one person staying and one waiting."""
    load_global_types()
    manager = as_verified(staff_a[Role.SHELTER_MANAGER])
    worker = as_verified(staff_a[Role.CASE_WORKER])
    service = Service.objects.create(
        organisation=org_a,
        name="Casa Zzsegura",
        on_amparo=True,
        service_type=ServiceType.objects.get(organisation=None, code="shelter"),
        intake_contact="+52 55 1111 2222",
        created_by=staff_a[Role.ORG_ADMIN],
    )
    shelter = services.shelter_create(
        actor=manager,
        service=service,
        name="Casa Zzsegura",
        street_address=ADDRESS,
        coordinates=COORDINATES,
        show_free_beds=True,
        capacities={BedType.WOMEN: 3, BedType.CHILDREN: 2},
    )
    staying = Case.objects.create(organisation=org_a, person_name=PERSON, created_by=worker)
    waiting = Case.objects.create(organisation=org_a, person_name=WAITING_PERSON, created_by=worker)
    entry = services.waiting_add(
        actor=worker, shelter=shelter, case_reference=staying.reference, bed_type=BedType.WOMEN, priority=1
    )
    services.admission_create(
        actor=manager, shelter=shelter, case=staying, bed_type=BedType.WOMEN, admitted_on=services.today(), entry=entry
    )
    services.waiting_add(
        actor=worker, shelter=shelter, case_reference=waiting.reference, bed_type=BedType.CHILDREN, priority=2
    )
    return shelter
