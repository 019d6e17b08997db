"""Service directory (issue 9, part 1): publishing, the shared search, confidential locations."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals import services
from amparo.referrals.models import Service, ServiceType
from tests.conftest import as_verified, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _types(db):
    services.load_global_types()


def kind(code: str) -> ServiceType:
    return ServiceType.objects.get(organisation=None, code=code)


def make(org, **fields) -> Service:
    defaults = {"name": "A service", "service_type": kind("shelter"), "intake_contact": "+52 55 0000 0000"}
    return Service.objects.create(organisation=org, **{**defaults, **fields})


# --- types ---------------------------------------------------------------------------------


def test_global_types_come_from_the_versioned_data_file_and_an_organisation_adds_its_own(staff_a, staff_b):
    data = json.loads(services.SERVICE_TYPES_FILE.read_text())
    codes = {t["code"] for t in data["types"]}
    assert {"shelter", "medical", "psychosocial", "legal_aid", "interpretation", "repatriation"} <= codes
    assert {"livelihood", "education", "hotline", "law_enforcement", "other"} <= codes
    assert set(ServiceType.objects.filter(organisation=None).values_list("code", flat=True)) == codes
    assert kind("shelter").version == data["version"]
    own = services.service_type_add(
        actor=as_verified(staff_a[Role.ORG_ADMIN]), code="anti_debt", label_es="Deudas", label_en="Debt advice"
    )
    assert own in services.types_for(own.organisation_id)
    assert own not in services.types_for(staff_b[Role.ORG_ADMIN].organisation_id)
    with pytest.raises(ValidationError):
        services.service_type_add(
            actor=as_verified(staff_a[Role.ORG_ADMIN]), code="shelter", label_es="x", label_en="x"
        )


# --- writes --------------------------------------------------------------------------------


def test_shelter_manager_publishes_and_edits_own_service_audited(staff_a):
    manager = as_verified(staff_a[Role.SHELTER_MANAGER])
    service = services.service_create(
        actor=manager,
        name="Casa Norte",
        service_type=kind("shelter"),
        intake_contact="intake@norte.test",
        countries=["MEX"],
        languages=["SPA", "ENG"],
    )
    assert service.countries == ",MEX," and service.languages == ",ENG,SPA,"
    services.service_update(actor=manager, service=service, hours="24/7")
    actions = list(
        AuditEntry.objects.filter(object_id=str(service.pk)).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["directory.service_create", "directory.service_update"]


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.ANALYST, Role.AUTHORITY, Role.HOTLINE_ADVOCATE])
def test_roles_without_service_manage_cannot_publish(staff_a, role):
    with pytest.raises(PermissionDenied):
        services.service_create(
            actor=as_verified(staff_a[role]), name="x", service_type=kind("shelter"), intake_contact="x"
        )


def test_only_an_administrator_enters_a_provider_not_on_amparo(staff_a):
    fields = {"name": "Clínica", "service_type": kind("medical"), "intake_contact": "x", "on_amparo": False}
    with pytest.raises(PermissionDenied):
        services.service_create(actor=as_verified(staff_a[Role.SHELTER_MANAGER]), provider_name="Clínica", **fields)
    with pytest.raises(ValidationError):
        services.service_create(actor=as_verified(staff_a[Role.ORG_ADMIN]), **fields)  # no provider named
    entry = services.service_create(actor=as_verified(staff_a[Role.ORG_ADMIN]), provider_name="Clínica", **fields)
    assert not entry.on_amparo and entry.provider == "Clínica"


def test_another_organisations_service_cannot_be_edited(staff_a, staff_b, org_a):
    service = make(org_a)
    with pytest.raises(PermissionDenied):
        services.service_update(actor=as_verified(staff_b[Role.ORG_ADMIN]), service=service, name="Taken")
    client = verified_client(staff_b[Role.ORG_ADMIN])
    response = client.post(reverse("referrals:service_update", kwargs={"pk": service.pk}), {"name": "Taken"})
    assert response.status_code == 404
    service.refresh_from_db()
    assert service.name == "A service"


def test_the_form_page_creates_a_service_and_shows_errors_for_bad_coordinates(staff_a):
    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    body = {
        "name": "Casa Sur",
        "service_type": kind("shelter").pk,
        "intake_contact": "+52 1",
        "countries": ["MEX"],
        "regions": "MX-CMX",
        "point": "19.4, -99.1",
        "is_published": "on",
    }
    bad = client.post(reverse("referrals:service_create"), {**body, "point": "91, 0"})
    assert bad.status_code == 200 and b"The latitude must be between -90 and 90." in bad.content
    bad = client.post(
        reverse("referrals:service_create"), {**body, "regions": "XX-NOPE"}, headers={"accept-language": "es"}
    )
    assert bad.status_code == 200 and "Código de región desconocido".encode() in bad.content
    assert not Service.objects.exists()
    done = client.post(reverse("referrals:service_create"), body)
    assert done.status_code == 302
    service = Service.objects.get()
    assert service.regions == ",MX-CMX," and service.latitude == Decimal("19.4")


# --- search --------------------------------------------------------------------------------


def test_search_filters_by_type_area_language_eligibility(staff_a, staff_b, org_a, org_b):
    shelter = make(
        org_a,
        name="Women shelter",
        countries=",MEX,",
        languages=",SPA,",
        genders=",F,",
        min_age=18,
        nationalities=",HND,GTM,",
        accepts_children_with_parent=True,
    )
    clinic = make(org_b, name="Clinic", service_type=kind("medical"), regions=",CO-DC,", languages=",SPA,ENG,")
    make(org_b, name="Hidden draft", is_published=False)
    actor = as_verified(staff_b[Role.CASE_WORKER])

    def names(**criteria):
        return [hit.service.name for hit in services.directory_search(actor=actor, **criteria)]

    assert names() == ["Clinic", "Women shelter"]
    assert names(service_type="shelter") == ["Women shelter"]
    assert names(country="COL") == ["Clinic"]
    assert names(region="CO-DC") == ["Clinic"]
    assert names(region="MX-CMX") == ["Women shelter"]  # covers the whole country
    assert names(language="eng") == ["Clinic"]
    assert names(gender="M") == ["Clinic"]
    assert names(age=15) == ["Clinic"]
    assert names(nationality="GTM") == ["Clinic", "Women shelter"]
    assert names(nationality="VEN") == ["Clinic"]
    assert names(children_with_parent=True) == ["Women shelter"]
    assert shelter.pk and clinic.pk


def test_search_by_distance_nearest_first_within_the_radius(staff_a, org_a):
    make(org_a, name="Madrid", latitude=Decimal("40.4168"), longitude=Decimal("-3.7038"))
    make(org_a, name="Toledo", latitude=Decimal("39.8628"), longitude=Decimal("-4.0273"))
    make(org_a, name="Barcelona", latitude=Decimal("41.3874"), longitude=Decimal("2.1686"))
    make(org_a, name="Nowhere")  # no coordinates: never in a distance search
    actor = as_verified(staff_a[Role.CASE_WORKER])
    hits = services.directory_search(actor=actor, near=(40.45, -3.70), radius_km=100)
    assert [h.service.name for h in hits] == ["Madrid", "Toledo"]
    assert 3 < hits[0].distance_km < 5 and 60 < hits[1].distance_km < 75
    far = services.directory_search(actor=actor, near=(40.45, -3.70), radius_km=600)
    assert [h.service.name for h in far] == ["Madrid", "Toledo", "Barcelona"]


def test_bad_search_input_is_a_clear_message_in_both_languages_never_a_500(staff_a):
    client = verified_client(staff_a[Role.CASE_WORKER])
    url = reverse("referrals:directory")
    for query, english, spanish in [
        ({"near": "north of here"}, "Write the point as latitude", "Escriba el punto como latitud"),
        (
            {"near": "10, 200"},
            "The longitude must be between -180 and 180.",
            "La longitud debe estar entre -180 y 180.",
        ),
        ({"region": "ZZ-99"}, "Unknown region code", "Código de región desconocido"),
        ({"age": "-4"}, "greater than or equal to 0", "mayor o igual a 0"),
    ]:
        en = client.get(url, query, headers={"accept-language": "en"})
        es = client.get(url, query, headers={"accept-language": "es"})
        assert en.status_code == es.status_code == 200
        assert english in en.content.decode() and spanish in es.content.decode(), query
        api = client.get(reverse("api:directory_service_list"), query)
        assert api.status_code == 400, (query, api.status_code)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.tuples(st.floats(), st.floats()).map(lambda p: f"{p[0]}, {p[1]}")))
def test_the_point_parser_returns_a_valid_point_or_a_validation_error(text):
    try:
        lat, lon = services.parse_point(text)
    except ValidationError as exc:
        assert exc.messages and all(message for message in exc.messages)
        return
    assert -90 <= lat <= 90 and -180 <= lon <= 180
    assert math.isfinite(lat) and math.isfinite(lon)


@settings(max_examples=200, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180))
def test_every_valid_point_written_in_decimal_degrees_parses_to_itself(lat, lon):
    got = services.parse_point(f"{lat:.6f}, {lon:.6f}")
    assert got == (float(f"{lat:.6f}"), float(f"{lon:.6f}"))


# --- confidential locations ------------------------------------------------------------------

SECRET_ADDRESS = "Calle Escondida 742, Colonia Zafiro"
SECRET_LAT, SECRET_LON = Decimal("19.43261"), Decimal("-99.13321")
SECRET_TEXTS = [SECRET_ADDRESS, "Escondida", "19.43261", "99.13321", "19.4326", "99.1332", "19.433", "99.133"]


def test_a_confidential_shelters_address_and_coordinates_never_reach_another_organisation(
    staff_a, staff_b, org_a, org_b
):
    safe_house = make(
        org_a,
        name="Safe house",
        address=SECRET_ADDRESS,
        latitude=SECRET_LAT,
        longitude=SECRET_LON,
        confidential_location=True,
        countries=",MEX,",
        regions=",MX-CMX,",
        languages=",SPA,",
        intake_contact="Call +52 55 1111 2222",
    )
    assert (safe_house.search_latitude, safe_house.search_longitude) == (19.4, -99.1)
    pages = [
        reverse("referrals:directory"),
        reverse("referrals:directory") + "?service_type=shelter&country=MEX&language=spa",
        reverse("referrals:directory") + "?region=MX-CMX&near=19.43%2C-99.13&radius_km=5",
        reverse("referrals:directory") + "?near=19.45%2C-99.15&radius_km=50",
        reverse("referrals:service_detail", kwargs={"pk": safe_house.pk}),
        reverse("api:directory_service_list"),
        reverse("api:directory_service_list") + "?service_type=shelter&near=19.44,-99.12&radius_km=20",
        reverse("api:directory_service_list") + "?country=MEX&region=MX-CMX",
    ]
    for role in Role.values:
        client = verified_client(staff_b[role])
        for path in pages:
            response = client.get(path)
            assert response.status_code == 200, (role, path)
            body = response.content.decode()
            assert "Safe house" in body, (role, path)  # it is found...
            assert "Call +52 55 1111 2222" in body or "/services/" in path, (role, path)
            leaked = [text for text in SECRET_TEXTS if text in body]
            assert not leaked, (role, path, leaked)  # ...but never where it is
    # Its own organisation sees the address (and keeps editing it).
    own = verified_client(staff_a[Role.CASE_WORKER]).get(
        reverse("referrals:service_detail", kwargs={"pk": safe_house.pk})
    )
    assert SECRET_ADDRESS in own.content.decode() and "19.43261" in own.content.decode()
    api = verified_client(staff_b[Role.CASE_WORKER]).get(reverse("api:directory_service_list")).json()
    assert api[0]["location_hidden"] is True and api[0]["address"] == "" and api[0]["latitude"] is None


def test_a_public_location_shows_its_address_to_everyone_and_the_referral_route(staff_a, staff_b, org_a):
    make(org_a, name="Open clinic", address="Avenida Abierta 1", latitude=Decimal("19.5"), longitude=Decimal("-99.2"))
    make(org_a, name="Outside clinic", on_amparo=False, provider_name="Cruz Verde")
    data = verified_client(staff_b[Role.ANALYST]).get(reverse("api:directory_service_list")).json()
    by_name = {row["name"]: row for row in data}
    assert by_name["Open clinic"]["address"] == "Avenida Abierta 1" and by_name["Open clinic"]["on_amparo"] is True
    assert by_name["Outside clinic"]["on_amparo"] is False and by_name["Outside clinic"]["provider"] == "Cruz Verde"
    page = verified_client(staff_b[Role.ANALYST]).get(reverse("referrals:directory")).content.decode()
    assert "Through Amparo" in page and "Contact only" in page


def test_the_directory_api_is_in_the_openapi_document(client):
    schema = client.get(reverse("api:schema"), headers={"accept": "application/json"})
    assert "/api/v1/directory/services/" in schema.content.decode()


def test_demo_data_publishes_services_with_one_confidential_shelter(settings, db):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    published = Service.objects.published()
    # Five services on Amparo and one legal clinic that is not (contact only: one-time links).
    assert published.count() == 6 and published.filter(on_amparo=True).count() == 5
    assert published.values("organisation").distinct().count() == 3
    safe = published.get(confidential_location=True)
    assert safe.service_type.code == "shelter" and safe.search_latitude == 19.4


def test_directory_pages_weigh_under_100_kb_and_load_nothing_from_another_host(staff_a, org_a):
    service = make(org_a, name="Casa", latitude=Decimal("19.4"), longitude=Decimal("-99.1"))
    client = verified_client(staff_a[Role.ORG_ADMIN])
    for path in [
        reverse("referrals:directory"),
        reverse("referrals:directory") + "?service_type=shelter&near=19.4%2C-99.1",
        reverse("referrals:service_detail", kwargs={"pk": service.pk}),
        reverse("referrals:our_services"),
        reverse("referrals:service_create"),
        reverse("referrals:service_update", kwargs={"pk": service.pk}),
    ]:
        for language in ("en", "es"):
            response = client.get(path, headers={"accept-language": language})
            assert response.status_code == 200, path
            assert len(response.content) <= 100 * 1024, (path, language, len(response.content))
            html = response.content.decode()
            assert not re.search(r'(?:src|href)="(?:https?:)?//', html), path
            assert "<script>" not in html and " style=" not in html, path
    nav = client.get(reverse("core:home")).content.decode()
    assert reverse("referrals:directory") in nav and reverse("referrals:our_services") in nav
    worker_nav = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("core:home")).content.decode()
    assert reverse("referrals:directory") in worker_nav and reverse("referrals:our_services") not in worker_nav
