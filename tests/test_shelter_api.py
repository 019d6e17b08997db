"""The read-only shelter API (issue 9, part 2; decision 0035): the organisation's own shelters
with beds, occupancy and waiting-list sizes; other organisations' free beds only when the
shelter chose to show them, counts only; a safe house's address and coordinates never in any
API response another organisation gets (marker scan over every API route)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from amparo.core.permissions import Role
from tests.conftest import verified_client
from tests.shelter_helpers import ADDRESS, COORDINATES, MARKERS, PERSON, WAITING_PERSON, make_safe_house


@pytest.fixture
def safe_house(staff_a, org_a):
    return make_safe_house(staff_a, org_a)


def test_own_staff_get_beds_occupancy_and_waiting_counts_and_the_address_as_on_the_page(safe_house, staff_a):
    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    listed = client.get(reverse("api:shelter_list"))
    assert listed.status_code == 200
    [row] = listed.json()
    assert row["id"] == safe_house.pk and row["street_address"] == ADDRESS and row["coordinates"] == COORDINATES
    beds = {b["bed_type"]: (b["capacity"], b["occupied"], b["free"]) for b in row["beds"]}
    assert beds == {"women": (3, 1, 2), "children": (2, 0, 2)}
    assert row["waiting_total"] == 1 and row["waiting"] == [{"bed_type": "children", "waiting": 1}]
    detail = client.get(reverse("api:shelter_detail", kwargs={"pk": safe_house.pk}))
    assert detail.status_code == 200 and detail.json() == row
    # Counts only: no person and no case reference, even for the manager who may see them on the page.
    assert PERSON.encode() not in listed.content and WAITING_PERSON.encode() not in listed.content
    assert b"C-" not in listed.content
    # A case worker sees the shelter page with its address today; the API says the same.
    worker = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("api:shelter_list"))
    assert worker.status_code == 200 and worker.json()[0]["street_address"] == ADDRESS
    # Roles without shelter.view are refused.
    for role in (Role.ANALYST, Role.HOTLINE_ADVOCATE, Role.AUTHORITY, Role.LEGAL_ADVISER, Role.PREVENTION_OFFICER):
        assert verified_client(staff_a[role]).get(reverse("api:shelter_list")).status_code == 403, role


def test_free_beds_of_other_organisations_are_counts_only_and_only_by_choice(safe_house, staff_a, staff_b):
    client = verified_client(staff_b[Role.CASE_WORKER])
    shared = client.get(reverse("api:shelter_free_beds"))
    assert shared.status_code == 200
    [row] = shared.json()
    assert row["directory_service"] == safe_house.service_id
    assert {b["bed_type"]: b["free"] for b in row["free_beds"]} == {"women": 2, "children": 2}
    assert set(row["free_beds"][0]) == {"bed_type", "label", "free"}  # no capacity, no occupancy
    # The shelter's own organisation is not listed among the others.
    assert verified_client(staff_a[Role.CASE_WORKER]).get(reverse("api:shelter_free_beds")).json() == []
    # The shelter stops sharing: gone at once.
    safe_house.show_free_beds = False
    safe_house.save(update_fields=["show_free_beds"])
    assert client.get(reverse("api:shelter_free_beds")).json() == []


def test_another_organisations_shelter_is_the_same_404_as_a_missing_one(safe_house, staff_b):
    for role in Role.values:
        client = verified_client(staff_b[role])
        other = client.get(reverse("api:shelter_detail", kwargs={"pk": safe_house.pk}))
        missing = client.get(reverse("api:shelter_detail", kwargs={"pk": 2**31 - 1}))
        assert other.status_code == missing.status_code in (403, 404), role
        assert other.content == missing.content, role


def _api_get_routes() -> list[str]:
    """Every API route that takes no object, by name."""
    api = next(p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "api")
    return sorted(p.name for p in api.url_patterns if isinstance(p, URLPattern) and not p.pattern.converters)


def test_a_safe_houses_address_is_in_no_api_response_another_organisation_gets(safe_house, staff_b):
    """Every API route without an object, and the shelter and directory routes with A's
    shelter, for every role of organisation B: none carries the address, the coordinates or
    a person's name."""
    routes = _api_get_routes()
    assert {"shelter_list", "shelter_free_beds", "directory_service_list", "referral_list"} <= set(routes)
    paths = [reverse(f"api:{name}") for name in routes]
    paths += [
        reverse("api:shelter_detail", kwargs={"pk": safe_house.pk}),
        reverse("api:directory_service_list") + "?service_type=shelter",
        reverse("api:directory_service_list") + "?near=19.43,-99.13&radius_km=50",
    ]
    seen_free_beds = False
    for role in Role.values:
        client = verified_client(staff_b[role])
        for path in paths:
            response = client.get(path)
            assert response.status_code < 500, (role, path)
            leaked = [m.decode() for m in MARKERS if m in response.content]
            assert not leaked, (role, path, leaked)
            seen_free_beds |= path.endswith("/free-beds/") and b"Casa Zzsegura" in response.content
    assert seen_free_beds  # the scan read the shared free beds, not an empty answer


def test_the_shelter_operations_are_in_the_openapi_schema(client):
    schema = client.get(reverse("api:schema")).content.decode()
    for path in ("/api/v1/shelters/", "/api/v1/shelters/{id}/", "/api/v1/shelters/free-beds/"):
        assert path in schema
    assert "ShelterOutput" in schema and "SharedShelterOutput" in schema
