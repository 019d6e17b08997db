"""Places suggested from reports, signals and cases: staff confirm, correct, add, reject and
remove them (issue 11, decision 0041). Only what staff decide is stored; a rejected
suggestion leaves a keyed hash, never its name, and does not come back."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest
from django.urls import reverse

from amparo.cases import services as case_services
from amparo.cases.models import Case
from amparo.core import sealing
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.places import services
from amparo.places.forms import subdivision_code
from amparo.places.models import ConfirmedPlace, PlaceDecision
from amparo.reports import services as report_services
from amparo.reports.models import Signal
from tests.conftest import as_verified, registered_case, verified_client
from tests.rawdb import plaintext_hits
from tests.sealing_helpers import org_with_keys, unlocked_client

TEXT = "Me llevaron de San Pedro Sula, Honduras, a Tapachula, México, y me hicieron trabajar en una finca."
EVENT_TEXT = "Pasamos varias semanas en Quetzaltenango, Guatemala, antes de cruzar."


@pytest.fixture(autouse=True)
def _cheap_kdf(settings):
    settings.AMPARO_KDF_OPSLIMIT = 1
    settings.AMPARO_KDF_MEMLIMIT = 8192


@pytest.fixture
def keys(org_a, staff_a):
    org_with_keys(org_a)
    return org_a


def web_report(org, text: str = TEXT, language: str = "es") -> Signal:
    """A report as the public form leaves it: its answers sealed to the organisation."""
    answers = {"what_happened": text, "country": "MEX", "language": language}
    return Signal.objects.create(
        organisation=org,
        channel="web",
        country="MEX",
        language=language,
        exploitation_type="agriculture",
        arrived_on=report_services.today(),
        sealed=sealing.seal(org.pk, json.dumps(answers).encode()),
    )


def hotline_signal(advocate, text: str = TEXT) -> Signal:
    signal, _receipt = report_services.hotline_signal_create(
        actor=as_verified(advocate),
        answers={"what_happened": text, "country": "MEX", "language": "es"},
        channel="call",
        issue_receipt=False,
    )
    return signal


def case_with_route(worker) -> Case:
    case = registered_case(worker)
    case.summary = TEXT
    case.gender = "feminine"
    case.age_band = "18-20"
    case.exploitation_types = ["forced_labour"]
    case.save()
    case_services.event_add(
        actor=as_verified(worker), case=case, event_type="transit", country="GTM", description=EVENT_TEXT
    )
    return case


def panel(page) -> str:
    """The "Places mentioned" section of a page."""
    content = page.content.decode()
    match = re.search(r'<section id="places".*?</section>', content, re.S)
    assert match, "the page has no places panel"
    return match.group(0)


def suggested(page) -> dict[str, str]:
    """Suggested place name -> its token, as the page offers them."""
    found = {}
    for item in re.findall(r'<li class="place-suggestion">(.*?)</li>', panel(page), re.S):
        name = re.search(r"<strong>(.*?)</strong>", item).group(1)
        token = re.search(r'name="suggestion" value="([^"]+)"', item).group(1)
        found[html.unescape(name)] = html.unescape(token)
    return found


def signal_page(client, signal):
    return client.get(reverse("reports:signal_detail", args=[signal.reference]))


def decide_url(signal) -> str:
    return reverse("places:decide", args=["signal", signal.reference])


# --------------------------------------------------------------------------- suggestions


def test_a_report_page_suggests_the_places_its_text_names(keys, staff_a):
    report = web_report(keys)
    page = signal_page(unlocked_client(staff_a[Role.CASE_WORKER]), report)
    assert page.status_code == 200
    offered = suggested(page)
    assert {"San Pedro Sula", "Honduras", "Tapachula", "Mexico"} <= set(offered)
    assert "Places mentioned" in panel(page)
    # The tokens (and the places they name) travel in POST bodies only, never in a URL.
    assert "?s=" not in panel(page) and "?q=" not in panel(page)
    # Nothing about an unconfirmed suggestion is stored.
    assert ConfirmedPlace.objects.count() == PlaceDecision.objects.count() == 0


def test_a_hotline_signal_page_suggests_places_to_the_advocate(keys, staff_a):
    signal = hotline_signal(staff_a[Role.HOTLINE_ADVOCATE])
    page = signal_page(unlocked_client(staff_a[Role.HOTLINE_ADVOCATE]), signal)
    assert {"San Pedro Sula", "Tapachula"} <= set(suggested(page))


def test_a_case_page_suggests_places_from_its_summary_and_its_steps(keys, staff_a):
    case = case_with_route(staff_a[Role.CASE_WORKER])
    page = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("cases:case_detail", args=[case.reference]))
    section = panel(page)
    assert {"San Pedro Sula", "Tapachula", "Quetzaltenango"} <= set(suggested(page))
    assert "Case summary" in section and "Step of the route: Transit" in section
    event = case.events.visible_to(as_verified(staff_a[Role.CASE_WORKER])).get()
    assert reverse("places:decide", args=["event", event.pk]) in section


def test_roles_that_do_not_confirm_places_see_no_panel(keys, staff_a):
    case = case_with_route(staff_a[Role.CASE_WORKER])
    adviser = verified_client(staff_a[Role.LEGAL_ADVISER])
    page = adviser.get(reverse("cases:case_detail", args=[case.reference]))
    assert page.status_code == 200 and 'id="places"' not in page.content.decode()


# --------------------------------------------------------------------------- decisions


def test_confirming_records_the_place_with_its_stage_month_history_and_audit(keys, staff_a):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["San Pedro Sula"]
    done = worker.post(
        decide_url(report), {"action": "confirm", "suggestion": token, "stage": "recruitment", "month": "2025-11"}
    )
    assert done.status_code == 302 and done["Location"].startswith(
        reverse("reports:signal_detail", args=[report.reference])
    )
    place = ConfirmedPlace.objects.get()
    assert (place.source_kind, place.signal_id, place.stage) == ("report", report.pk, "recruitment")
    assert (place.country, place.city, place.month) == ("HND", "San Pedro Sula", datetime.date(2025, 11, 1))
    assert place.latitude is not None and abs(float(place.latitude) - 15.5) < 0.2
    assert place.confirmed_by == staff_a[Role.CASE_WORKER]
    decision = PlaceDecision.objects.get()
    assert (decision.action, decision.place, decision.suggested_name) == ("confirm", place, "San Pedro Sula")
    assert decision.decided_by == staff_a[Role.CASE_WORKER]
    assert AuditEntry.objects.filter(action="place.confirm", actor=staff_a[Role.CASE_WORKER]).count() == 1
    page = signal_page(worker, report)
    assert "San Pedro Sula" not in suggested(page)  # decided: no longer offered
    section = panel(page)
    assert "Recruitment" in section and "2025-11" in section
    assert "confirmed San Pedro Sula (Recruitment)" in section  # the history, with who
    assert staff_a[Role.CASE_WORKER].full_name in section


def test_confirming_needs_a_stage_and_a_month_not_in_the_future(keys, staff_a):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["Tapachula"]
    for body in (
        {"action": "confirm", "suggestion": token},
        {"action": "confirm", "suggestion": token, "stage": "recruitment", "month": "2999-01"},
        {"action": "confirm", "suggestion": token, "stage": "nowhere"},
        {"action": "keep", "suggestion": token, "stage": "transit"},
        {"action": "confirm", "suggestion": token, "stage": "transit", "month": "not a month"},
    ):
        refused = worker.post(decide_url(report), body)
        assert refused.status_code == 400, body
        assert b"Nothing was changed." in refused.content
    assert ConfirmedPlace.objects.count() == PlaceDecision.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="place.").exists()


def test_a_forged_expired_or_borrowed_suggestion_is_refused_in_the_users_language(keys, staff_a):
    report, other = web_report(keys), web_report(keys, text="Vengo de Quetzaltenango, Guatemala.")
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["Tapachula"]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for url, suggestion in ((decide_url(report), forged), (decide_url(other), token), (decide_url(report), "")):
        refused = worker.post(
            url, {"action": "confirm", "suggestion": suggestion, "stage": "transit"}, HTTP_ACCEPT_LANGUAGE="es"
        )
        assert refused.status_code == 400
        assert "No se cambió nada." in refused.content.decode()
    assert ConfirmedPlace.objects.count() == PlaceDecision.objects.count() == 0


def test_correcting_with_a_gazetteer_place_records_the_place_and_only_a_hash_of_the_suggestion(keys, staff_a):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["San Pedro Sula"]
    form_url = reverse("places:place_form", args=["signal", report.reference])
    page = worker.post(form_url, {"do": "start", "suggestion": token, "stage": "recruitment"})
    assert page.status_code == 200 and "Amparo suggested San Pedro Sula" in page.content.decode()
    assert not ConfirmedPlace.objects.exists()
    page = worker.post(form_url, {"do": "search", "suggestion": token, "q": "Tegucigalpa", "stage": "recruitment"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Amparo suggested San Pedro Sula" in content
    pick = html.unescape(re.search(r'name="pick" value="([^"]+)"> <span>Tegucigalpa', content).group(1))
    done = worker.post(form_url, {"do": "record", "suggestion": token, "pick": pick, "stage": "recruitment"})
    assert done.status_code == 302
    place = ConfirmedPlace.objects.get()
    assert (place.city, place.country, place.stage) == ("Tegucigalpa", "HND", "recruitment")
    decision = PlaceDecision.objects.get()
    # What was wrongly suggested is kept only as its keyed hash, like a rejection.
    assert (decision.action, decision.suggested_name, decision.city) == ("correct", "", "Tegucigalpa")
    assert decision.suggestion_hash
    assert AuditEntry.objects.filter(action="place.correct").count() == 1
    section = panel(signal_page(worker, report))
    assert "San Pedro Sula" not in suggested(signal_page(worker, report))
    assert "corrected a suggestion to Tegucigalpa (Recruitment)" in section


def test_a_place_typed_by_hand_is_checked_and_added(keys, staff_a):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    form_url = reverse("places:place_form", args=["signal", report.reference])
    assert worker.get(form_url).status_code == 200
    for body in (
        {"city": "Tecún Umán", "stage": "transit"},  # no country
        {"country": "GTM", "region": "Texas", "stage": "transit"},  # not a region of Guatemala
        {"country": "ZZZ", "stage": "transit"},
        {"country": "GTM"},  # no stage
    ):
        refused = worker.post(form_url, body)
        assert refused.status_code == 400, body
    assert ConfirmedPlace.objects.count() == 0
    body = {"country": "GTM", "region": "Quetzaltenango", "city": "Quetzaltenango", "stage": "transit"}
    done = worker.post(form_url, body)
    assert done.status_code == 302
    place = ConfirmedPlace.objects.get()
    assert (place.country, place.region_code, place.city) == (
        "GTM",
        subdivision_code("GTM", "Quetzaltenango"),
        "Quetzaltenango",
    )
    assert place.region_code.startswith("GT-")
    assert place.latitude is not None  # found in the gazetteer
    assert PlaceDecision.objects.get().action == "add"
    assert AuditEntry.objects.filter(action="place.add").count() == 1


def test_a_rejected_suggestion_never_comes_back_and_only_its_keyed_hash_is_kept(keys, staff_a):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["Tapachula"]
    assert worker.post(decide_url(report), {"action": "reject", "suggestion": token}).status_code == 302
    decision = PlaceDecision.objects.get()
    assert decision.action == "reject" and len(decision.suggestion_hash) == 64
    assert (decision.suggested_name, decision.country, decision.city) == ("", "", "")
    assert AuditEntry.objects.filter(action="place.reject").count() == 1
    assert "Tapachula" not in suggested(signal_page(worker, report))
    # The same token again changes nothing.
    worker.post(decide_url(report), {"action": "reject", "suggestion": token})
    assert PlaceDecision.objects.count() == 1
    # Other staff, later: still not suggested.
    again = signal_page(unlocked_client(staff_a[Role.HOTLINE_ADVOCATE]), report)
    assert "Tapachula" not in suggested(again) and "San Pedro Sula" in suggested(again)
    # The same place in another report is still suggested there.
    other = web_report(keys, text="La encontraron en Tapachula.")
    assert "Tapachula" in suggested(signal_page(worker, other))


@pytest.mark.django_db(transaction=True)
def test_no_plaintext_of_a_rejected_suggestion_anywhere_in_the_database(org_a, staff_a):
    org_with_keys(org_a)
    text = "La tuvieron encerrada en Huixtla antes de llevarla al norte."
    report = web_report(org_a, text=text)
    case = registered_case(staff_a[Role.CASE_WORKER])
    case.summary = text
    case.save()
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["Huixtla"]
    assert worker.post(decide_url(report), {"action": "reject", "suggestion": token}).status_code == 302
    case_page = worker.get(reverse("cases:case_detail", args=[case.reference]))
    case_token = suggested(case_page)["Huixtla"]
    rejected = worker.post(
        reverse("places:decide", args=["case", case.reference]), {"action": "reject", "suggestion": case_token}
    )
    assert rejected.status_code == 302
    assert PlaceDecision.objects.filter(action="reject").count() == 2
    assert plaintext_hits("Huixtla", "huixtla", "HUIXTLA") == []


def test_removing_a_confirmed_place_keeps_it_in_the_history(keys, staff_a):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["Tapachula"]
    worker.post(decide_url(report), {"action": "confirm", "suggestion": token, "stage": "exploitation"})
    place = ConfirmedPlace.objects.get()
    remove_url = reverse("places:remove", args=[place.pk])
    assert worker.post(remove_url, {}).status_code == 400  # not confirmed: nothing removed
    assert ConfirmedPlace.objects.count() == 1
    done = worker.post(remove_url, {"confirm": "yes"})
    assert done.status_code == 302
    assert ConfirmedPlace.objects.count() == 0
    removal = PlaceDecision.objects.get(action="remove")
    assert (removal.city, removal.stage, removal.decided_by) == ("Tapachula", "exploitation", staff_a[Role.CASE_WORKER])
    assert AuditEntry.objects.filter(action="place.remove").count() == 1
    section = panel(signal_page(worker, report))
    assert "removed Tapachula (Exploitation)" in section and "confirmed Tapachula (Exploitation)" in section
    assert "Tapachula" in suggested(signal_page(worker, report))  # removed, not rejected: offered again


def test_confirming_on_a_case_and_on_a_step_of_its_route(keys, staff_a):
    worker_user = staff_a[Role.CASE_WORKER]
    case = case_with_route(worker_user)
    worker = verified_client(worker_user)
    page = worker.get(reverse("cases:case_detail", args=[case.reference]))
    section = panel(page)
    step = re.search(r'action="(/places/event/\d+/decide/)".*?name="suggestion" value="([^"]+)"', section, re.S)
    done = worker.post(
        step.group(1), {"action": "confirm", "suggestion": html.unescape(step.group(2)), "stage": "transit"}
    )
    assert done.status_code == 302 and done["Location"].startswith(reverse("cases:case_detail", args=[case.reference]))
    token = suggested(page)["San Pedro Sula"]
    worker.post(
        reverse("places:decide", args=["case", case.reference]),
        {"action": "confirm", "suggestion": token, "stage": "recruitment", "month": "2025-03"},
    )
    kinds = set(ConfirmedPlace.objects.values_list("source_kind", "city"))
    assert kinds == {("event", "Quetzaltenango"), ("case", "San Pedro Sula")}


# --------------------------------------------------------------------------- scoping and roles


def test_another_organisation_gets_the_same_404_and_changes_nothing(keys, staff_a, staff_b):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(worker, report))["Tapachula"]
    worker.post(decide_url(report), {"action": "confirm", "suggestion": token, "stage": "exploitation"})
    place = ConfirmedPlace.objects.get()
    token2 = suggested(signal_page(worker, report))["San Pedro Sula"]
    before = (ConfirmedPlace.objects.count(), PlaceDecision.objects.count(), AuditEntry.objects.count())
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    body = {"action": "confirm", "suggestion": token2, "stage": "transit"}
    other = outsider.post(decide_url(report), body)
    missing = outsider.post(reverse("places:decide", args=["signal", "S-NOPE0000"]), body)
    assert other.status_code == missing.status_code == 404
    form = outsider.get(reverse("places:place_form", args=["signal", report.reference]))
    assert form.status_code == 404
    removed = outsider.post(reverse("places:remove", args=[place.pk]), {"confirm": "yes"})
    assert (
        removed.status_code == outsider.post(reverse("places:remove", args=[2**31 - 1]), {"confirm": "yes"}).status_code
    )
    assert removed.status_code == 404
    assert (ConfirmedPlace.objects.count(), PlaceDecision.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("role", [Role.LEGAL_ADVISER, Role.ANALYST, Role.AUTHORITY, Role.SHELTER_MANAGER])
def test_a_role_without_place_confirm_is_refused(keys, staff_a, role):
    report = web_report(keys)
    case = case_with_route(staff_a[Role.CASE_WORKER])
    token = suggested(signal_page(unlocked_client(staff_a[Role.CASE_WORKER]), report))["Tapachula"]
    client = verified_client(staff_a[role])
    refused = client.post(decide_url(report), {"action": "reject", "suggestion": token})
    assert refused.status_code in (403, 404)
    assert client.get(reverse("places:place_form", args=["case", case.reference])).status_code in (403, 404)
    assert PlaceDecision.objects.count() == 0


def test_an_emergency_opening_of_a_case_does_not_record_places(keys, staff_a):
    case = case_with_route(staff_a[Role.CASE_WORKER])
    advocate = staff_a[Role.HOTLINE_ADVOCATE]
    case_services.break_glass_open(
        actor=as_verified(advocate),
        reference=case.reference,
        reason="safety",
        explanation="She called the hotline at night and is in danger; her case worker is away.",
    )
    client = verified_client(advocate)
    page = client.get(reverse("cases:case_detail", args=[case.reference]))
    assert page.status_code == 200 and 'id="places"' not in page.content.decode()
    body = {"country": "GTM", "stage": "transit"}
    assert client.post(reverse("places:place_form", args=["case", case.reference]), body).status_code == 403
    assert ConfirmedPlace.objects.count() == 0


# --------------------------------------------------------------------------- language and routes


def test_the_panel_in_spanish(keys, staff_a):
    report = web_report(keys)
    worker = unlocked_client(staff_a[Role.CASE_WORKER])
    page = worker.get(reverse("reports:signal_detail", args=[report.reference]), HTTP_ACCEPT_LANGUAGE="es")
    section = panel(page)
    assert "Lugares mencionados" in section
    assert "México" in section and "Confirmar" in section and "Rechazar" in section and "Corregir" in section
    assert "Captación" in section and "Solo mencionado" in section
    token = suggested(page)["San Pedro Sula"]
    worker.post(decide_url(report), {"action": "confirm", "suggestion": token, "stage": "recruitment"})
    page = worker.get(reverse("reports:signal_detail", args=[report.reference]), HTTP_ACCEPT_LANGUAGE="es")
    assert "confirmó San Pedro Sula (Captación)" in panel(page)
    assert "Lugares confirmados" in panel(page)


def test_route_stops_yield_only_route_stages_with_the_sources_attributes(keys, staff_a):
    worker_user = staff_a[Role.CASE_WORKER]
    case = case_with_route(worker_user)
    report = web_report(keys)
    actor = as_verified(worker_user)
    case_source = services.case_source(case)
    report_source = services.signal_source(report)
    spsula = services.SuggestedPlace(name="San Pedro Sula", country="HND", kind="city", lat=15.5, lon=-88.0)
    tapachula = services.SuggestedPlace(name="Tapachula", country="MEX", kind="city", lat=14.9, lon=-92.3)
    month = datetime.date(2025, 3, 1)
    services.record_place(
        actor=actor,
        source=case_source,
        recorded=services.recorded_from(spsula, "recruitment", month),
        suggested=spsula,
    )
    services.record_place(
        actor=actor, source=report_source, recorded=services.recorded_from(tapachula, "exploitation", None)
    )
    services.record_place(actor=actor, source=report_source, recorded=services.recorded_from(spsula, "mentioned", None))
    stops = sorted(services.route_stops(), key=lambda stop: stop.stage)
    assert [(s.stage, s.city) for s in stops] == [("exploitation", "Tapachula"), ("recruitment", "San Pedro Sula")]
    exploitation, recruitment = stops
    assert (recruitment.subject_kind, recruitment.subject_id, recruitment.month) == ("case", str(case.pk), month)
    assert (recruitment.sex, recruitment.age_band, recruitment.exploitation_type) == (
        "feminine",
        "18-20",
        "forced_labour",
    )
    assert (exploitation.subject_kind, exploitation.subject_id) == ("report", str(report.pk))
    assert exploitation.exploitation_type == "agriculture" and exploitation.organisation_id == keys.pk
    assert exploitation.lat == pytest.approx(14.9)


def test_places_confirmed_on_a_report_become_a_route_leg_and_unconfirmed_ones_do_not(keys, staff_a):
    """Only confirmed places feed routes (issue 11, part 2): a report whose recruitment and
    exploitation places staff confirmed gives one leg; a place only mentioned gives none."""
    from amparo.routes import legs
    from amparo.routes.models import RouteLeg, RoutePoint

    actor = as_verified(staff_a[Role.CASE_WORKER])
    report = web_report(keys)
    source = services.signal_source(report)
    spsula = services.SuggestedPlace(name="San Pedro Sula", country="HND", kind="city", lat=15.5, lon=-88.0)
    tapachula = services.SuggestedPlace(name="Tapachula", country="MEX", kind="city", lat=14.9, lon=-92.3)
    month = datetime.date(2025, 3, 1)
    services.record_place(actor=actor, source=source, recorded=services.recorded_from(spsula, "mentioned", month))
    legs.rebuild_all()
    assert (
        not RouteLeg.objects.exists()
        and not RoutePoint.objects.filter(subject_kind="report").exclude(stage="mentioned").exists()
    )
    services.record_place(actor=actor, source=source, recorded=services.recorded_from(spsula, "recruitment", month))
    services.record_place(actor=actor, source=source, recorded=services.recorded_from(tapachula, "exploitation", month))
    legs.rebuild_all()
    leg = RouteLeg.objects.get()
    assert (leg.subject_kind, leg.from_country, leg.to_country, leg.to_city) == ("report", "HND", "MEX", "Tapachula")
    # The leg keeps a keyed hash of the subject, never the report's id.
    assert str(report.pk) not in {str(leg.subject)}


def test_erasing_a_case_removes_its_places_and_their_history_and_it_leaves_the_routes(keys, staff_a):
    """Places confirmed in an erased case's summary and steps go with it: none in the database,
    none in the route tables after the next rebuild (they hang off the case by hidden links)."""
    from amparo.cases.services.rights import case_erase
    from amparo.routes import legs
    from amparo.routes.models import RoutePoint

    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = case_with_route(worker)
    spsula = services.SuggestedPlace(name="San Pedro Sula", country="HND", kind="city", lat=15.5, lon=-88.0)
    month = datetime.date(2025, 3, 1)
    services.record_place(
        actor=worker, source=services.case_source(case), recorded=services.recorded_from(spsula, "recruitment", month)
    )
    event = case.events.get()
    services.record_place(
        actor=worker, source=services.event_source(event), recorded=services.recorded_from(spsula, "transit", month)
    )
    legs.rebuild_all()
    assert RoutePoint.objects.filter(city="San Pedro Sula").exists()
    case_erase(
        actor=as_verified(staff_a[Role.ORG_ADMIN]),
        case=case,
        reason="subject_request",
        confirm_reference=case.reference,
    )
    assert not ConfirmedPlace.objects.exists() and not PlaceDecision.objects.exists()
    legs.rebuild_all()
    assert not RoutePoint.objects.exists()


def test_a_transferred_case_takes_its_places_with_it(keys, staff_a, org_b, staff_b):
    from amparo.cases.services.team import transfer_decide, transfer_request

    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = registered_case(staff_a[Role.CASE_WORKER], referral=("consent", True))
    spsula = services.SuggestedPlace(name="San Pedro Sula", country="HND", kind="city", lat=15.5, lon=-88.0)
    services.record_place(
        actor=worker, source=services.case_source(case), recorded=services.recorded_from(spsula, "recruitment", None)
    )
    transfer = transfer_request(actor=worker, case=case, to_organisation=org_b)
    transfer_decide(actor=as_verified(staff_b[Role.ORG_ADMIN]), transfer=transfer, accept=True)
    assert set(ConfirmedPlace.objects.values_list("organisation_id", flat=True)) == {org_b.pk}
    assert set(PlaceDecision.objects.values_list("organisation_id", flat=True)) == {org_b.pk}
    assert {stop.organisation_id for stop in services.route_stops()} == {org_b.pk}
