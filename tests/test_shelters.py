"""Shelters and beds (issue 9, part 2): a safe house's location stays inside its organisation,
beds are counted right, other organisations reach nothing, free beds are shown only by choice."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from amparo.cases.models import Case
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import load_global_types
from amparo.shelters import services
from amparo.shelters.models import Admission, BedType, Shelter, WaitingEntry, WaitingStatus
from tests.conftest import as_verified, verified_client
from tests.rawdb import plaintext_hits

pytestmark = pytest.mark.django_db

STREET = "Calle del Refugio Escondido 4471"
LATITUDE, LONGITUDE = "19.437215", "-99.147382"
DAY = datetime.timedelta(days=1)


def shelter_of(staff, *, name="Casa Amparo", beds=None, show_free_beds=False, address=STREET, published=True):
    load_global_types()
    manager = as_verified(staff[Role.SHELTER_MANAGER])
    service = Service.objects.create(
        organisation=manager.organisation,
        name=name,
        service_type=ServiceType.objects.get(organisation=None, code="shelter"),
        intake_contact="+52 55 1234 0000 (intake line)",
        is_published=published,
        created_by=manager,
    )
    return services.shelter_create(
        actor=manager,
        service=service,
        name=name,
        street_address=address,
        coordinates=f"{LATITUDE}, {LONGITUDE}",
        show_free_beds=show_free_beds,
        capacities=beds if beds is not None else {BedType.WOMEN: 2, BedType.CHILDREN: 1},
    )


def case_of(staff, name="Rosa Marcadora"):
    worker = staff[Role.CASE_WORKER]
    return Case.objects.create(organisation=worker.organisation, person_name=name, created_by=worker)


def admit(staff, shelter, case, *, on=None, bed=BedType.WOMEN, reason=""):
    """Through the waiting list, as the organisation works: the case worker adds, the manager admits."""
    entry = services.waiting_add(
        actor=as_verified(staff[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=case.reference,
        bed_type=bed,
        priority=3,
    )
    return services.admission_create(
        actor=as_verified(staff[Role.SHELTER_MANAGER]),
        shelter=shelter,
        case=case,
        bed_type=bed,
        admitted_on=on or services.today(),
        over_capacity_reason=reason,
        entry=entry,
    )


def beds_now(shelter):
    return {bed.bed_type: (bed.capacity, bed.occupied, bed.free) for bed in services.occupancy(shelter)}


# --- the confidential location -------------------------------------------------------------


def test_a_safe_house_address_and_point_never_leave_its_organisation_nor_reach_the_disk_in_clear(
    staff_a, staff_b, org_a
):
    shelter = shelter_of(staff_a, show_free_beds=True)
    admit(staff_a, shelter, case_of(staff_a))
    service = shelter.service
    service.refresh_from_db()
    # The directory entry keeps the intake contact and a point about 11 km wide, nothing more.
    assert service.confidential_location and service.address == ""
    assert service.latitude == Decimal("19.4") and service.longitude == Decimal("-99.1")
    markers = [STREET, "Escondido", LATITUDE, LONGITUDE, "19.43721", "99.14738"]
    # Organisation A's shelter manager sees them on the shelter's page.
    own = verified_client(staff_a[Role.SHELTER_MANAGER]).get(reverse("shelters:shelter_detail", args=[shelter.pk]))
    assert STREET in own.content.decode() and LATITUDE in own.content.decode()
    pages = [
        reverse("referrals:directory"),
        reverse("referrals:directory") + "?service_type=shelter&near=19.43%2C-99.14&radius_km=50",
        reverse("referrals:service_detail", args=[service.pk]),
        reverse("api:directory_service_list"),
        reverse("api:directory_service_list") + "?service_type=shelter&near=19.43,-99.14&radius_km=50",
        reverse("shelters:shelter_list"),
        reverse("shelters:shelter_detail", args=[shelter.pk]),
        reverse("shelters:shelter_update", args=[shelter.pk]),
        reverse("shelters:shelter_history", args=[shelter.pk]),
        reverse("core:home"),
    ]
    seen_intake = False
    for role in Role.values:
        client = verified_client(staff_b[role])
        for path in pages:
            html = client.get(path).content.decode()
            leaked = [marker for marker in markers if marker in html]
            assert not leaked, (role, path, leaked)
            seen_intake |= "+52 55 1234 0000" in html
    assert seen_intake  # the intake contact is what other organisations get
    # The database holds only vault tokens for them.
    assert plaintext_hits(STREET, "Escondido 4471", LATITUDE, LONGITUDE) == []
    stored = Shelter.objects.filter(pk=shelter.pk).values_list("street_address", "coordinates").get()
    assert all(value.token.startswith("v2:") for value in stored)


def test_a_shelters_directory_entry_cannot_be_made_public_again_nor_given_an_address(staff_a):
    from amparo.referrals import services as directory

    shelter = shelter_of(staff_a)
    admin = as_verified(staff_a[Role.ORG_ADMIN])
    for change in ({"confidential_location": False}, {"address": "Avenida Visible 1"}):
        with pytest.raises(ValidationError):
            directory.service_update(actor=admin, service=shelter.service, **change)
    directory.service_update(
        actor=admin,
        service=Service.objects.get(pk=shelter.service_id),
        latitude=Decimal("19.43721"),
        longitude=Decimal("-99.14738"),
    )
    assert Service.objects.get(pk=shelter.service_id).latitude == Decimal("19.4")


def test_an_address_already_in_the_directory_entry_moves_into_the_shelter(staff_a):
    load_global_types()
    manager = as_verified(staff_a[Role.SHELTER_MANAGER])
    service = Service.objects.create(
        organisation=manager.organisation,
        name="Casa Vieja",
        service_type=ServiceType.objects.get(code="shelter"),
        intake_contact="+52",
        address="Calle Antigua 12",
        latitude=Decimal("19.43721"),
        longitude=Decimal("-99.14738"),
    )
    shelter = services.shelter_create(actor=manager, service=service, name="Casa Vieja", capacities={})
    service.refresh_from_db()
    shelter = Shelter.objects.get(pk=shelter.pk)
    assert shelter.street_address == "Calle Antigua 12" and shelter.coordinates == "19.437210, -99.147380"
    assert service.address == "" and service.latitude == Decimal("19.4")


@pytest.mark.parametrize("text", ["19.4", "north", "91, 10", "10, 181", "1e5, 2", "19.4;-99.1;3"])
def test_coordinates_that_are_not_a_point_get_a_clear_message(staff_a, text):
    shelter = shelter_of(staff_a)
    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    response = client.post(reverse("shelters:shelter_update", args=[shelter.pk]), {"name": "Casa", "coordinates": text})
    assert response.status_code == 400
    assert "Write the coordinates as latitude, longitude" in response.content.decode()


# --- capacity, discharge, history -------------------------------------------------------------


def test_admission_beyond_capacity_is_refused_unless_a_reason_is_recorded(staff_a):
    shelter = shelter_of(staff_a, beds={BedType.WOMEN: 2})
    admit(staff_a, shelter, case_of(staff_a, "Uno"))
    admit(staff_a, shelter, case_of(staff_a, "Dos"))
    assert beds_now(shelter)[BedType.WOMEN] == (2, 2, 0)
    third = case_of(staff_a, "Tres")
    services.waiting_add(
        actor=as_verified(staff_a[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=third.reference,
        bed_type=BedType.WOMEN,
        priority=1,
    )
    entry = WaitingEntry.objects.get(case=third)
    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    url = reverse("shelters:waiting_admit", args=[entry.pk])
    body = {"bed_type": BedType.WOMEN, "admitted_on": services.today().isoformat()}
    refused = client.post(url, body)
    assert refused.status_code == 400
    assert "No free bed of type Women: 2 of 2 beds are occupied." in refused.content.decode()
    assert not Admission.objects.filter(case=third).exists()
    # A bed type with no beds at all is over capacity too.
    refused = client.post(url, {**body, "bed_type": BedType.MEN})
    assert "No free bed of type Men: 0 of 0 beds are occupied." in refused.content.decode()
    done = client.post(url, {**body, "over_capacity_reason": "Rescued tonight; a mattress in the office"})
    assert done.status_code == 302
    admission = Admission.objects.get(case=third)
    assert admission.over_capacity_reason == "Rescued tonight; a mattress in the office"
    assert AuditEntry.objects.filter(action="shelter.admit_over_capacity", object_id=str(admission.pk)).exists()
    assert beds_now(shelter)[BedType.WOMEN] == (2, 3, 0)
    assert plaintext_hits("a mattress in the office") == []
    page = client.get(reverse("shelters:shelter_detail", args=[shelter.pk])).content.decode()
    assert "1 over capacity" in page


def test_discharge_frees_the_bed_and_records_destination_and_reason(staff_a):
    shelter = shelter_of(staff_a, beds={BedType.WOMEN: 1})
    stay = admit(staff_a, shelter, case_of(staff_a), on=services.today() - 3 * DAY)
    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    url = reverse("shelters:admission_discharge", args=[stay.pk])
    early = client.post(
        url, {"discharged_on": (services.today() - 5 * DAY).isoformat(), "destination": "family", "reason": "x"}
    )
    assert early.status_code == 400 and "cannot be before the admission date" in early.content.decode()
    future = client.post(
        url, {"discharged_on": (services.today() + DAY).isoformat(), "destination": "family", "reason": "x"}
    )
    assert future.status_code == 400 and "cannot be in the future" in future.content.decode()
    unknown = client.post(url, {"discharged_on": services.today().isoformat(), "destination": "moon", "reason": "x"})
    assert unknown.status_code == 400
    done = client.post(
        url,
        {
            "discharged_on": services.today().isoformat(),
            "destination": "independent",
            "reason": "Found work and a flat",
        },
    )
    assert done.status_code == 302
    stay.refresh_from_db()
    assert stay.discharged_on == services.today() and stay.destination == "independent"
    assert stay.discharge_reason == "Found work and a flat"
    assert beds_now(shelter)[BedType.WOMEN] == (1, 0, 1)
    # The freed bed takes the next person without a reason.
    admit(staff_a, shelter, case_of(staff_a, "Siguiente"))
    again = client.post(url, {"discharged_on": services.today().isoformat(), "destination": "family", "reason": "x"})
    assert again.status_code == 400 and "already ended" in again.content.decode()
    assert AuditEntry.objects.filter(action="shelter.discharge", object_id=str(stay.pk)).count() == 1


def test_occupancy_history_counts_a_planted_sequence_of_stays(staff_a):
    shelter = shelter_of(staff_a, beds={BedType.WOMEN: 3, BedType.CHILDREN: 2})
    today = services.today()
    manager = as_verified(staff_a[Role.SHELTER_MANAGER])
    # (admitted days ago, discharged days ago or None, bed type)
    plan = [
        (20, 10, BedType.WOMEN),
        (15, None, BedType.WOMEN),
        (12, 12, BedType.CHILDREN),
        (5, 2, BedType.CHILDREN),
        (40, 25, BedType.WOMEN),
        (2, None, BedType.WOMEN),
    ]
    for n, (admitted, discharged, bed) in enumerate(plan):
        stay = admit(staff_a, shelter, case_of(staff_a, f"P{n}"), on=today - admitted * DAY, bed=bed)
        if discharged is not None:
            services.admission_discharge(
                actor=manager,
                admission=stay,
                discharged_on=today - discharged * DAY,
                destination="other",
                reason="planned",
            )
    history = {h.day: h for h in services.occupancy_history(shelter, days=30)}
    assert len(history) == 30 and min(history) == today - 29 * DAY and max(history) == today

    def on(days_ago):
        return history[today - days_ago * DAY].occupied

    assert on(29) == {BedType.WOMEN: 1}  # admitted 40 days ago, still there
    assert on(25) == {}  # left 25 days ago: the bed is free that day
    assert on(20) == {BedType.WOMEN: 1}
    assert on(15) == {BedType.WOMEN: 2}
    assert on(12) == {BedType.WOMEN: 2}  # admitted and discharged the same day: never counted
    assert on(10) == {BedType.WOMEN: 1}
    assert on(5) == {BedType.WOMEN: 1, BedType.CHILDREN: 1}
    assert on(2) == {BedType.WOMEN: 2}
    assert on(0) == {BedType.WOMEN: 2}
    assert beds_now(shelter) == {BedType.WOMEN: (3, 2, 1), BedType.CHILDREN: (2, 0, 2)}
    page = verified_client(staff_a[Role.CASE_WORKER]).get(
        reverse("shelters:shelter_history", args=[shelter.pk]), {"days": 90}
    )
    html = page.content.decode()
    assert page.status_code == 200 and html.count("<rect") >= 30
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html
    rows = re.findall(r'<tr><th scope="row">[^<]+</th>((?:<td>\d+</td>)+)</tr>', html)
    assert len(rows) == 90
    totals = [int(x) for x in re.findall(r"<td>(\d+)</td></tr>", html)][-90:]
    assert totals[0] == 2 and max(totals) == 2 and totals[-1] == 0  # today first, 89 days ago last
    bad = verified_client(staff_a[Role.CASE_WORKER]).get(
        reverse("shelters:shelter_history", args=[shelter.pk]), {"days": "9999"}
    )
    assert bad.status_code == 400


def test_a_person_already_staying_is_not_admitted_twice_and_dates_are_checked(staff_a):
    shelter = shelter_of(staff_a)
    case = case_of(staff_a)
    admit(staff_a, shelter, case)
    other = shelter_of(staff_a, name="Casa Dos")
    with pytest.raises(ValidationError, match="already admitted"):
        admit(staff_a, other, case)
    with pytest.raises(ValidationError, match="future"):
        admit(staff_a, other, case_of(staff_a, "B"), on=services.today() + DAY)
    with pytest.raises(ValidationError, match="at most a year ago"):
        admit(staff_a, other, case_of(staff_a, "C"), on=services.today() - 400 * DAY)


# --- other organisations ----------------------------------------------------------------------


def test_another_organisation_cannot_admit_into_read_or_discharge_from_a_shelter_not_its_own(staff_a, staff_b):
    shelter = shelter_of(staff_a)
    stay = admit(staff_a, shelter, case_of(staff_a))
    waiting = services.waiting_add(
        actor=as_verified(staff_a[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=case_of(staff_a, "Espera").reference,
        bed_type=BedType.WOMEN,
        priority=2,
    )
    b_case = case_of(staff_b, "Beta Person")
    for role in Role.values:
        client = verified_client(staff_b[role])
        for name, pk, body in [
            ("shelters:shelter_detail", shelter.pk, None),
            ("shelters:admission_detail", stay.pk, None),
            ("shelters:waiting_admit", waiting.pk, {"bed_type": "women", "admitted_on": services.today().isoformat()}),
            (
                "shelters:admission_discharge",
                stay.pk,
                {"discharged_on": services.today().isoformat(), "destination": "family", "reason": "x"},
            ),
            (
                "shelters:waiting_add",
                shelter.pk,
                {"case_reference": b_case.reference, "bed_type": "women", "priority": 1},
            ),
        ]:
            url = reverse(name, args=[pk])
            got = client.post(url, body) if body is not None else client.get(url)
            assert got.status_code in (403, 404), (role, name, got.status_code)
            if got.status_code == 404 or role in (Role.SHELTER_MANAGER,):
                assert got.status_code == 404, (role, name)
    stay.refresh_from_db()
    waiting.refresh_from_db()
    assert stay.discharged_on is None and waiting.status == WaitingStatus.WAITING
    assert not WaitingEntry.objects.filter(case=b_case).exists()
    # Through the services too: B's manager and worker, with B's own case or A's.
    b_manager, b_worker = as_verified(staff_b[Role.SHELTER_MANAGER]), as_verified(staff_b[Role.CASE_WORKER])
    with pytest.raises(PermissionDenied):
        services.admission_create(
            actor=b_manager, shelter=shelter, case=b_case, bed_type="women", admitted_on=services.today()
        )
    with pytest.raises(PermissionDenied):
        services.admission_discharge(
            actor=b_manager, admission=stay, discharged_on=services.today(), destination="family", reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.waiting_add(
            actor=b_worker, shelter=shelter, case_reference=b_case.reference, bed_type="women", priority=1
        )


def test_a_case_not_visible_to_the_actor_cannot_be_put_on_the_list_or_admitted(staff_a, staff_b):
    shelter_b = shelter_of(staff_b, name="Casa Beta")
    a_case = case_of(staff_a, "Alfa Persona")
    worker_b = verified_client(staff_b[Role.CASE_WORKER])
    url = reverse("shelters:waiting_add", args=[shelter_b.pk])
    other = worker_b.post(url, {"case_reference": a_case.reference, "bed_type": "women", "priority": 1})
    missing = worker_b.post(url, {"case_reference": "C-NOPE0000", "bed_type": "women", "priority": 1})
    message = "No case with this reference among the cases you can open."
    assert other.status_code == missing.status_code == 400
    assert message in other.content.decode() and message in missing.content.decode()
    assert "Alfa Persona" not in other.content.decode()
    # The shelter manager of A cannot open A's case files: only a case on the shelter's list is admitted.
    shelter_a = shelter_of(staff_a)
    with pytest.raises(PermissionDenied):
        services.admission_create(
            actor=as_verified(staff_a[Role.SHELTER_MANAGER]),
            shelter=shelter_a,
            case=a_case,
            bed_type="women",
            admitted_on=services.today(),
        )
    with pytest.raises(PermissionDenied):
        services.admission_create(
            actor=as_verified(staff_b[Role.SHELTER_MANAGER]),
            shelter=shelter_b,
            case=a_case,
            bed_type="women",
            admitted_on=services.today(),
        )
    assert not Admission.objects.exists()


def test_the_name_shown_is_read_from_the_case_only_for_those_who_can_open_it(staff_a):
    shelter = shelter_of(staff_a)
    case = case_of(staff_a, "Rosa Marcadora")
    services.waiting_add(
        actor=as_verified(staff_a[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=case.reference,
        bed_type="women",
        priority=1,
    )
    url = reverse("shelters:shelter_detail", args=[shelter.pk])
    worker_page = verified_client(staff_a[Role.CASE_WORKER]).get(url).content.decode()
    manager_page = verified_client(staff_a[Role.SHELTER_MANAGER]).get(url).content.decode()
    assert case.reference in worker_page and "Rosa Marcadora" in worker_page
    assert case.reference in manager_page and "Rosa Marcadora" not in manager_page
    # Admission rows hold no copy of the name.
    assert plaintext_hits("Rosa Marcadora") == []


# --- free beds in the directory ---------------------------------------------------------------


@pytest.mark.parametrize("opted_in", [False, True])
def test_free_beds_are_shown_to_other_organisations_only_when_the_shelter_chooses_counts_only(
    staff_a, staff_b, opted_in
):
    shelter = shelter_of(staff_a, show_free_beds=opted_in, beds={BedType.WOMEN: 4, BedType.CHILDREN: 2})
    admit(staff_a, shelter, case_of(staff_a, "Rosa Marcadora"))
    url = reverse("referrals:service_detail", args=[shelter.service_id])
    for role in Role.values:
        html = verified_client(staff_b[role]).get(url).content.decode()
        assert ("Free beds now" in html) is opted_in, role
        assert "Rosa Marcadora" not in html and STREET not in html
        if opted_in:
            table = html[html.index("Free beds now") :]
            table = table[: table.index("</table>")]
            assert re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table) == [
                ("Women", "3"),
                ("Children", "2"),
            ]
            assert "Occupied" not in table and "Capacity" not in table
    # Switching it off from the form hides them again.
    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    client.post(
        reverse("shelters:shelter_update", args=[shelter.pk]),
        {"name": shelter.name, "street_address": STREET, "beds_women": 4, "beds_children": 2},
    )
    assert "Free beds now" not in verified_client(staff_b[Role.CASE_WORKER]).get(url).content.decode()


# --- the waiting list and the shelter manager's home -----------------------------------------


def test_waiting_list_entries_leave_the_list_when_admitted_or_withdrawn_and_every_change_is_audited(staff_a):
    shelter = shelter_of(staff_a)
    first, second = case_of(staff_a, "Primera"), case_of(staff_a, "Segunda")
    worker = verified_client(staff_a[Role.CASE_WORKER])
    add = reverse("shelters:waiting_add", args=[shelter.pk])
    assert worker.post(add, {"case_reference": first.reference, "bed_type": "women", "priority": 3}).status_code == 302
    assert (
        worker.post(add, {"case_reference": second.reference, "bed_type": "children", "priority": 1}).status_code == 302
    )
    twice = worker.post(add, {"case_reference": first.reference, "bed_type": "women", "priority": 1})
    assert "already on this shelter&#x27;s waiting list" in twice.content.decode()
    bad = worker.post(add, {"case_reference": first.reference, "bed_type": "attic", "priority": 9})
    assert bad.status_code == 400
    manager = verified_client(staff_a[Role.SHELTER_MANAGER])
    page = manager.get(reverse("shelters:shelter_detail", args=[shelter.pk])).content.decode()
    assert page.index(second.reference) < page.index(first.reference)  # urgent first
    one, two = WaitingEntry.objects.get(case=first), WaitingEntry.objects.get(case=second)
    assert (
        manager.post(
            reverse("shelters:waiting_admit", args=[one.pk]),
            {"bed_type": "women", "admitted_on": services.today().isoformat()},
        ).status_code
        == 302
    )
    assert manager.post(reverse("shelters:waiting_withdraw", args=[two.pk])).status_code == 302
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == WaitingStatus.ADMITTED and one.admission is not None
    assert two.status == WaitingStatus.WITHDRAWN
    assert manager.post(reverse("shelters:waiting_withdraw", args=[two.pk])).status_code == 404
    # A case worker may add to the list but neither admit nor withdraw.
    assert worker.post(reverse("shelters:waiting_withdraw", args=[one.pk])).status_code == 403
    manager.get(reverse("shelters:admission_detail", args=[one.admission.pk]))
    actions = list(AuditEntry.objects.filter(action__startswith="shelter.").values_list("action", flat=True))
    assert actions.count("shelter.waiting_add") == 2
    for action in ("shelter.admit", "shelter.waiting_withdraw", "shelter.admission_view", "shelter.create"):
        assert action in actions


def test_the_shelter_managers_home_shows_occupancy_waiting_and_recent_movements(staff_a):
    shelter = shelter_of(staff_a, beds={BedType.WOMEN: 3})
    stay = admit(staff_a, shelter, case_of(staff_a, "Uno"), on=services.today() - 2 * DAY)
    services.admission_discharge(
        actor=as_verified(staff_a[Role.SHELTER_MANAGER]),
        admission=stay,
        discharged_on=services.today(),
        destination="return",
        reason="Went home",
    )
    admit(staff_a, shelter, case_of(staff_a, "Dos"))
    services.waiting_add(
        actor=as_verified(staff_a[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=case_of(staff_a, "Tres").reference,
        bed_type="women",
        priority=2,
    )
    html = verified_client(staff_a[Role.SHELTER_MANAGER]).get(reverse("core:home")).content.decode()
    assert "Your shelters" in html and "Casa Amparo" in html
    assert "1 of 3 beds occupied; 1 person waiting." in html
    assert "Discharged: Repatriation or return" in html and stay.case.reference in html
    assert "not built yet" not in html
    es = verified_client(staff_a[Role.SHELTER_MANAGER]).get(reverse("core:home"), headers={"accept-language": "es"})
    assert "Sus albergues" in es.content.decode()


def test_shelter_pages_weigh_under_100_kb_and_load_nothing_from_another_host(staff_a):
    shelter = shelter_of(staff_a)
    stay = admit(staff_a, shelter, case_of(staff_a), on=services.today() - 80 * DAY)
    entry = services.waiting_add(
        actor=as_verified(staff_a[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=case_of(staff_a, "W").reference,
        bed_type="women",
        priority=1,
    )
    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    for path in [
        reverse("core:home"),
        reverse("shelters:shelter_list"),
        reverse("shelters:shelter_create"),
        reverse("shelters:shelter_detail", args=[shelter.pk]),
        reverse("shelters:shelter_update", args=[shelter.pk]),
        reverse("shelters:shelter_history", args=[shelter.pk]),
        reverse("shelters:shelter_history", args=[shelter.pk]) + "?days=90",
        reverse("shelters:waiting_add", args=[shelter.pk]),
        reverse("shelters:waiting_admit", args=[entry.pk]),
        reverse("shelters:admission_detail", args=[stay.pk]),
    ]:
        for language in ("en", "es"):
            response = client.get(path, headers={"accept-language": language})
            assert response.status_code == 200, path
            assert len(response.content) <= 100 * 1024, (path, language, len(response.content))
            html = response.content.decode()
            assert not re.search(r'(?:src|href)="(?:https?:)?//', html), path
            assert "<script>" not in html and " style=" not in html, path


def test_the_demo_shows_a_safe_house_with_beds_a_stay_and_a_waiting_person(settings, db):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    shelter = Shelter.objects.get()
    assert shelter.street_address and shelter.service.address == "" and shelter.service.confidential_location
    assert beds_now(shelter)[BedType.WOMEN] == (8, 1, 7)
    assert WaitingEntry.objects.filter(status=WaitingStatus.WAITING).count() == 1
    assert Admission.objects.exclude(discharged_on=None).count() == 1


def test_erasing_a_case_at_the_persons_request_removes_their_stays_and_waiting_entries(staff_a):
    from amparo.cases.services import case_erase

    shelter = shelter_of(staff_a, beds={BedType.WOMEN: 2})
    case = case_of(staff_a, "Borrar Persona")
    stay = admit(staff_a, shelter, case, on=services.today() - 3 * DAY)
    services.admission_discharge(
        actor=as_verified(staff_a[Role.SHELTER_MANAGER]),
        admission=stay,
        discharged_on=services.today(),
        destination="other",
        reason="Pidió no dejar rastro",
    )
    services.waiting_add(
        actor=as_verified(staff_a[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=case.reference,
        bed_type="women",
        priority=1,
    )
    case_erase(
        actor=as_verified(staff_a[Role.ORG_ADMIN]),
        case=case,
        reason="subject_request",
        confirm_reference=case.reference,
    )
    assert not Admission.objects.filter(case=case).exists()
    assert not WaitingEntry.objects.filter(case=case).exists()
    assert beds_now(shelter)[BedType.WOMEN] == (2, 0, 2)
