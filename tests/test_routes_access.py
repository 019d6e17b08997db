"""Who sees route aggregates, over which organisations' data, and that nothing else leaks
(issue 11; decision 0043): agreements with the "route aggregates" purpose, a marker scan
over every route as an authority, audited exports, bad filters."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import AgreementStatus
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.reports.models import Signal
from amparo.routes.legs import StopInput, rebuild, stops_from_events
from tests.conftest import verified_client
from tests.routes_helpers import people, person, share_routes
from tests.routes_helpers import rebuild as rebuild_all

FLOWS = "api:route_flows"


def _people_seen(client, **params) -> int:
    data = client.get(reverse(FLOWS), params).json()
    return sum(flow["people"] for flow in data["flows"])


@pytest.fixture
def authority(staff_b):
    return verified_client(staff_b[Role.AUTHORITY])


def test_an_authority_sees_only_organisations_sharing_route_aggregates_with_it(authority, org_a, org_b, staff_a):
    people(org_a, 6)
    people(org_b, 5, route=(("recruitment", "GTM"), ("exploitation", "MEX")))
    rebuild_all()
    # Its own organisation's data only: no agreement.
    assert _people_seen(authority) == 5
    # An agreement for referrals does not cover route aggregates.
    referral_only = share_routes(org_a, org_b, purposes=["referral"])
    assert _people_seen(authority) == 5
    referral_only.delete()
    agreement = share_routes(org_a, org_b)
    assert _people_seen(authority) == 11
    meta = authority.get(reverse(FLOWS)).json()["metadata"]
    assert meta["organisations_covered"] == 2 and "Alpha" not in str(meta)
    # Ended: A's data disappears at once.
    agreement.status = AgreementStatus.ENDED
    agreement.ended_at = timezone.now()
    agreement.save()
    assert _people_seen(authority) == 5
    # Expired (its end date passed) or not started yet: the same.
    agreement.status = AgreementStatus.ACTIVE
    agreement.ends_on = timezone.localdate() - datetime.timedelta(days=1)
    agreement.starts_on = agreement.ends_on - datetime.timedelta(days=30)
    agreement.save()
    assert _people_seen(authority) == 5
    agreement.starts_on = timezone.localdate() + datetime.timedelta(days=1)
    agreement.ends_on = agreement.starts_on + datetime.timedelta(days=30)
    agreement.save()
    assert _people_seen(authority) == 5
    # A proposed agreement covers nothing until it is accepted.
    agreement.status = AgreementStatus.PROPOSED
    agreement.starts_on = timezone.localdate()
    agreement.save()
    assert _people_seen(authority) == 5


def test_the_agreement_form_offers_route_aggregates_as_a_purpose_and_shows_its_label(staff_a, org_a, org_b):
    from amparo.accounts.sharing import purpose_choices

    assert "route_aggregates" in dict(purpose_choices())
    assert "route_aggregates" not in dict(purpose_choices(persons_only=True))  # no emergency basis for it
    agreement = share_routes(org_a, org_b)
    assert agreement.purpose_labels() == ["Route aggregates (counts of people, small counts hidden)"]


MARKERS = {
    "person_name": "Zzroutename Persona",
    "summary": "Zzroutesummary of the story",
    "event": "Zzrouteevent description",
    "city": "Zzroutecity",
    "report": b"Zzroutereport sealed text",
    "signal": b"Zzroutesignal sealed text",
}


def _scan_text(response) -> str:
    return response.content.decode(errors="replace")


def test_marker_scan_every_route_as_the_authority_shows_no_case_report_signal_or_person(
    staff_a, staff_b, org_a, org_b, objects
):
    from tests.test_permission_matrix import EXPECTATIONS

    share_routes(org_a, org_b)
    cases = [
        person(
            org_a,
            person_name=MARKERS["person_name"],
            summary=MARKERS["summary"],
            city=MARKERS["city"] if n == 0 else "Houston",
        )
        for n in range(6)
    ]
    for case in cases:  # the encrypted description, saved through the field
        for event in case.events.all():
            event.description = MARKERS["event"]
            event.save()
    signals = [
        Signal.objects.create(
            organisation=org_a,
            channel="web" if n % 2 else "call",
            country="HND",
            arrived_on=timezone.localdate(),
            sealed=MARKERS["report"] if n % 2 else MARKERS["signal"],
        )
        for n in range(12)
    ]
    extra = []
    for signal in signals:
        kind = "report" if signal.channel == "web" else "signal"
        for stage, country in (("recruitment", "HND"), ("exploitation", "USA")):
            extra.append(StopInput(kind, str(signal.pk), org_a.pk, stage, country, "", "", None, None, None))
    rebuild(itertools.chain(stops_from_events(), extra))
    client = verified_client(staff_b[Role.AUTHORITY])
    # The shared data is really there: the scan looks at pages that count it.
    assert _people_seen(client) == 6
    assert _people_seen(client, measure="report") == 6 and _people_seen(client, measure="signal") == 6
    forbidden = [m if isinstance(m, str) else m.decode() for m in MARKERS.values()]
    forbidden += [c.reference for c in cases] + [s.reference for s in signals] + [str(c.pk) for c in cases]
    forbidden += [str(s.pk) for s in signals]
    leaks = []
    paths = []
    for name, (method, _rule, obj) in EXPECTATIONS.items():
        if name in {"accounts:logout", "set_language"}:
            continue
        paths.append((name, method, reverse(name, kwargs=objects[obj] if obj else None)))
    for params in ("", "?level=city", "?level=region", "?measure=report", "?measure=signal&level=city"):
        for name in ("routes:map", "routes:export_csv", "routes:export_geojson", "routes:export_kml"):
            paths.append((name, "GET", reverse(name) + params))
        for name in ("api:route_flows", "api:route_hotspots"):
            paths.append((name, "GET", reverse(name) + params))
    for name, method, path in paths:
        response = client.get(path)
        if method == "GET":
            assert response.status_code != 500, name
        text = _scan_text(response)
        found = [m for m in forbidden if m in text]
        if found:
            leaks.append(f"{name} {path}: {found}")
    assert not leaks, "\n".join(leaks)


def test_every_export_writes_an_audit_record(authority, staff_b):
    before = AuditEntry.objects.filter(action="routes.export").count()
    for name in ("routes:export_csv", "routes:export_geojson", "routes:export_kml"):
        response = authority.get(reverse(name), {"period": str(timezone.localdate().year), "sex": "feminine"})
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    entries = AuditEntry.objects.filter(action="routes.export").order_by("seq")
    assert entries.count() == before + 3
    last = entries.last()
    assert last.actor == staff_b[Role.AUTHORITY] and last.reason.startswith("kml") and "sex=feminine" in last.reason
    # Viewing the map reads no one's file: it is not audited.
    authority.get(reverse("routes:map"))
    assert AuditEntry.objects.filter(action="routes.export").count() == before + 3


def test_exports_carry_their_metadata(authority):
    csv_text = authority.get(reverse("routes:export_csv"), {"sex": "masculine"}).content.decode()
    assert csv_text.startswith("# threshold: 5\n# period: all\n") and "organisations_covered: 1" in csv_text
    assert "amparo_version" in csv_text and "generated_at" in csv_text
    geojson = authority.get(reverse("routes:export_geojson")).json()
    assert geojson["type"] == "FeatureCollection" and geojson["metadata"]["threshold"] == 5
    kml = authority.get(reverse("routes:export_kml")).content.decode()
    assert '<Data name="threshold">' in kml and "organisations_covered" in kml


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-Q5"},
        {"period": "1999"},
        {"period": "2026-01-01..2026-01-07"},
        {"level": "planet"},
        {"measure": "everything"},
        {"exploitation_type": "<script>"},
        {"sex": "'; drop table"},
        {"age_band": "\x00"},
    ],
)
def test_bad_filters_get_a_translated_error_never_a_500(authority, params):
    page = authority.get(reverse("routes:map"), params, headers={"accept-language": "es"})
    assert page.status_code == 400
    text = page.content.decode()
    # Spanish: the form's "choose a valid option", or the site's refusal of a NUL in the address.
    assert "opción válida" in text or "carácter que no está permitido" in text, text[:300]
    assert authority.get(reverse(FLOWS), params).status_code == 400
    assert authority.get(reverse("api:route_hotspots"), params).status_code == 400
    assert authority.get(reverse("routes:export_csv"), params).status_code == 400
    assert not AuditEntry.objects.filter(action="routes.export").exists()


def test_roles_without_the_permission_are_refused(staff_a):
    for role in (Role.CASE_WORKER, Role.HOTLINE_ADVOCATE, Role.SHELTER_MANAGER, Role.LEGAL_ADVISER):
        client = verified_client(staff_a[role])
        assert client.get(reverse("routes:map")).status_code == 403
        assert client.get(reverse("routes:export_csv")).status_code == 403
        assert client.get(reverse(FLOWS)).status_code == 403
    for role in (Role.AUTHORITY, Role.ORG_ADMIN, Role.ANALYST):
        assert verified_client(staff_a[role]).get(reverse("routes:map")).status_code == 200


def test_the_map_page_in_spanish_has_its_payload_table_and_export_links(authority, org_b):
    people(org_b, 5, city="Houston", region="TX", lat=29.76, lon=-95.37)
    rebuild_all()
    page = authority.get(reverse("routes:map"), headers={"accept-language": "es"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="route-map-data"' in html and "Estados Unidos" in html
    assert "<caption>" in html and reverse("routes:export_geojson") in html


def test_city_flows_are_named_in_the_readers_language(authority, org_b):
    """A city is stored under its gazetteer name and shown in the reader's language: a Spanish
    reader sees "Ciudad de México", an English one "Mexico City"; a town the gazetteer knows
    below 15,000 people (Coatepeque) is a city, not dropped."""

    def stop(n: int, stage: str, country: str, city: str) -> StopInput:
        return StopInput(
            subject_kind="case",
            subject_id=f"city-{n}",
            organisation_id=org_b.pk,
            stage=stage,
            country=country,
            region_code="",
            city=city,
            lat=None,
            lon=None,
            month=datetime.date(2026, 2, 1),
        )

    stops = []
    for n in range(5):
        stops += [stop(n, "recruitment", "GTM", "Coatepeque"), stop(n, "exploitation", "MEX", "Ciudad de México")]
    rebuild(stops)
    spanish = authority.get(reverse("routes:map"), {"level": "city"}, headers={"accept-language": "es"})
    assert "Coatepeque, Guatemala" in spanish.content.decode()
    assert "Ciudad de México, México" in spanish.content.decode()
    english = authority.get(reverse("routes:map"), {"level": "city"}, headers={"accept-language": "en"})
    english = english.content.decode()
    assert "Mexico City, Mexico" in english and "Ciudad de México" not in english
