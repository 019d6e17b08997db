"""Case management: registration with consent, HTCDS person and context, search, screening,
notes, closure with approval, emergency access. Through HTTP where a person would act."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from amparo.cases import services
from amparo.cases.models import (
    BreakGlassAccess,
    Case,
    CaseStatus,
    Consent,
    TraffickingEvent,
)
from amparo.cases.phonetic import name_keys, phonetic_key
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, registered_case, verified_client
from tests.rawdb import plaintext_hits


def consent_post(**overrides):
    data = {"explained": "on", "given_by": "person", "text_language": "es"}
    for purpose in ("services", "referral", "law_enforcement", "research", "tracing"):
        data[f"basis_{purpose}"] = "consent"
        data[f"agreed_{purpose}"] = "on"
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def register(client, person, **consent):
    response = client.post(reverse("cases:case_create"), consent_post(**consent))
    assert response.status_code == 302, response.content[:2000]
    return client.post(response["Location"], person)


PERSON = {
    "given_name": "Yolanda",
    "family_name": "Velázquez Peña",
    "other_names": "Yoli",
    "birth_date": "1998-04-02",
    "gender": "feminine",
    "citizenship": ["GTM", "MEX"],
    "primary_language": "mam",
    "marital_status": "single",
    "number_of_children": "2",
    "phone": "+502 5555 0101",
    "document_type": "passport",
    "document_number": "G12345678",
    "summary": "Llegó al albergue de Tapachula después de escapar de una finca cafetalera",
}


# --- Phonetic keys --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("Velázquez", "Belasques"),  # accents, v/b, z/s, qu/k
        ("Yolanda", "Llolanda"),  # ll/y
        ("Hernández", "Ernandes"),  # silent h
        ("Quintero", "Kintero"),
        ("Carlos", "Karlos"),  # c before a, o, u
        ("Gerardo", "Jerardo"),  # g before e, i
        ("Peña", "Pena"),  # ñ
        ("Cecilia", "Sesilia"),  # c before e, i
        ("Jennifer", "Jenifer"),  # doubled letters
        ("Chávez", "Chaves"),
        ("Ximena", "Jimena"),
        ("Stephanie", "Stefani"),
        ("Guerrero", "Guerero"),
    ],
)
def test_names_that_sound_alike_share_a_phonetic_key(written, heard):
    assert phonetic_key(written) == phonetic_key(heard)


@pytest.mark.parametrize(
    ("one", "other"), [("Mario", "Maria"), ("Rosa", "Rocha"), ("Garcia", "Gracia"), ("Luis", "Lucas")]
)
def test_different_names_keep_different_keys(one, other):
    assert phonetic_key(one) != phonetic_key(other)


def test_name_keys_split_words_fold_accents_and_drop_repeats():
    assert name_keys("María José Pérez-PÉREZ") == ["maria", "jose", "peres"]
    assert name_keys("  ") == [] and phonetic_key("123") == ""


# --- Registration with consent --------------------------------------------------------------


def test_registration_records_consent_first_then_the_person(staff_a):
    client = verified_client(staff_a[Role.CASE_WORKER])
    step1 = client.post(reverse("cases:case_create"), consent_post(agreed_research=None))
    assert step1.status_code == 302
    consent = Consent.objects.get()
    assert consent.case is None and consent.text_version == "2026.1" and consent.text_language == "es"
    response = client.post(step1["Location"], PERSON)
    assert response.status_code == 302
    case = Case.objects.get()
    consent.refresh_from_db()
    assert consent.case == case
    assert case.person_name == "Yolanda Velázquez Peña" and case.citizenship == ["GTM", "MEX"]
    assert case.birth_date_value == datetime.date(1998, 4, 2) and case.age_band in {"24-26", "27-29", "30-38"}
    assert services.consent_allows(case, "services") is True
    assert services.consent_allows(case, "research") is False  # not ticked
    # The registration link is used up: it cannot attach a second person to the same consent.
    assert client.get(step1["Location"]).status_code == 404


def test_guardian_consent_needs_the_childs_assent(staff_a):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(reverse("cases:case_create"), consent_post(given_by="guardian"))
    assert response.status_code == 200 and b"child&#x27;s assent" in response.content
    assert not Consent.objects.exists()
    ok = client.post(reverse("cases:case_create"), consent_post(given_by="guardian", child_assent="on"))
    assert ok.status_code == 302 and Consent.objects.get().child_assent


def test_consent_of_another_organisation_cannot_be_used(staff_a, staff_b):
    step1 = verified_client(staff_a[Role.CASE_WORKER]).post(reverse("cases:case_create"), consent_post())
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    assert outsider.post(step1["Location"], PERSON).status_code == 404
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "2999-01-01", b"cannot be in the future"),
        ("birth_date", "1850-01-01", b"impossible age"),
        ("number_of_children", "45", b"less than or equal to 30"),
        ("citizenship", ["XXX"], b"Select a valid choice"),
        ("primary_language", "klingon", b"Select a valid choice"),
        ("gender", "emperor", b"Select a valid choice"),
        ("phone", "call me maybe", b"Enter a phone number"),
    ],
)
def test_bad_person_input_is_explained_and_nothing_is_saved(staff_a, field, value, message):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = register(client, {**PERSON, field: value})
    assert response.status_code == 400 and message in response.content
    assert not Case.objects.exists() and Consent.objects.filter(case__isnull=False).count() == 0


@pytest.fixture
def case(staff_a):
    return registered_case(staff_a[Role.CASE_WORKER], law_enforcement=("consent", False))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"means_of_control": ["debt_bondage", "mind_control"]}, b"Select a valid choice"),
        ({"forced_labour_industries": ["A"], "exploitation_types": ["sexual_exploitation"]}, b"Industries apply"),
        ({"sexual_exploitation_types": ["pornography"]}, b"Choose sexual exploitation"),
        ({"age_when_trafficked": "60"}, b"older than they are now"),
        ({"forced_labour_industries": ["Z"], "exploitation_types": ["forced_labour"]}, b"Select a valid choice"),
    ],
)
def test_bad_victim_context_is_refused(staff_a, case, data, message):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(reverse("cases:case_context_edit", kwargs={"reference": case.reference}), data)
    assert response.status_code == 400 and message in response.content
    case.refresh_from_db()
    assert case.means_of_control == [] and case.exploitation_types == []


def test_victim_context_is_saved_with_htcds_codes(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    data = {
        "relationship_to_trafficker": "acquainted",
        "age_when_trafficked": "17",
        "recruitment_method": "online_social_networks",
        "means_of_control": ["debt_bondage", "withholds_documents"],
        "exploitation_types": ["forced_labour"],
        "forced_labour_industries": ["A"],
        "perpetrator_roles": ["recruiter", "exploiter"],
    }
    response = client.post(reverse("cases:case_context_edit", kwargs={"reference": case.reference}), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.means_of_control == ["debt_bondage", "withholds_documents"] and case.forced_labour_industries == ["A"]
    page = client.get(reverse("cases:case_detail", args=[case.reference]), HTTP_ACCEPT_LANGUAGE="en")
    assert b"Debt bondage, Withholds documents" in page.content
    assert b"Agriculture, forestry and fishing" in page.content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"event_type": "transit", "country": "MEX", "month": "2999-01"}, b"cannot be in the future"),
        ({"event_type": "transit", "country": "XXX"}, b"Select a valid choice"),
        ({"event_type": "teleport", "country": "MEX"}, b"Select a valid choice"),
        ({"event_type": "transit", "country": "MEX", "latitude": "14.9"}, b"both latitude and longitude"),
        ({"event_type": "transit", "country": "MEX", "latitude": "95", "longitude": "10"}, b"less than or equal to 90"),
    ],
)
def test_bad_route_steps_are_refused(staff_a, case, data, message):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(reverse("cases:event_create", kwargs={"reference": case.reference}), data)
    assert response.status_code == 400 and message in response.content
    assert not TraffickingEvent.objects.exists()


def test_a_route_step_is_kept_with_month_and_place(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    data = {
        "event_type": "exploitation",
        "country": "MEX",
        "region": "Chiapas",
        "city": "Tapachula",
        "month": "2025-03",
        "latitude": "14.9",
        "longitude": "-92.26",
        "description": "Finca cafetalera",
    }
    assert client.post(reverse("cases:event_create", kwargs={"reference": case.reference}), data).status_code == 302
    event = case.events.get()
    assert event.month == datetime.date(2025, 3, 1) and event.description == "Finca cafetalera"


def test_trafficking_status_is_the_latest_human_decision_and_history_is_kept(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    url = reverse("cases:decision_create", kwargs={"reference": case.reference})
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert (
        client.post(url, {"status": "actual", "deciding_organisation_type": "ngo", "decided_on": future}).status_code
        == 400
    )
    client.post(url, {"status": "possible", "deciding_organisation_type": "ngo", "decided_on": "2026-01-10"})
    client.post(url, {"status": "actual", "deciding_organisation_type": "police", "decided_on": "2026-02-01"})
    case.refresh_from_db()
    assert case.trafficking_status == "actual"
    assert [d.status for d in case.decisions.all()] == ["actual", "possible"]


# --- Encryption at rest ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_no_name_contact_document_birth_date_story_or_note_in_clear(staff_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = services.case_create(
        actor=worker,
        given_name="Xiomara",
        family_name="Quintanilla-Wexford",
        other_names="La Flaca",
        phone="+52 55 9876 5432",
        other_phone="+52 55 1111 2222",
        email="xiomara.q@example.test",
        address="Calle Secreta 42, Tapachula",
        document_type="passport",
        document_number="G98765432",
        birth_date=datetime.date(1999, 7, 14),
        summary="Recruited through a fake modelling agency advert",
    )
    services.note_add(actor=worker, case=case, body="Told me the trafficker's nickname is El Güero")
    services.event_add(
        actor=worker, case=case, event_type="recruitment", country="MEX", description="Met at a bus stop"
    )
    services.decision_record(
        actor=worker,
        case=case,
        status="possible",
        deciding_organisation_type="ngo",
        decided_on=datetime.date(2026, 1, 5),
        note="Scars consistent with her account",
    )
    services.screening_record(actor=worker, case=case, present=["deception"], note="Very frightened of the boss")
    consent = services.consent_record(
        actor=worker, given_by="person", child_assent=False, text_language="es", purposes={"tracing": ("consent", True)}
    )
    consent.case = case
    consent.save()
    services.consent_withdraw(actor=worker, case=case, purpose="tracing", note="Her brother Julián threatened her")
    services.consent_override(
        actor=as_verified(staff_a[Role.LEGAL_ADVISER]),
        case=case,
        purpose="law_enforcement",
        lawful_basis="vital_interests",
        reason="Trafficker Don Rigoberto is looking for her",
    )
    admin = as_verified(staff_a[Role.ORG_ADMIN])
    closure = services.closure_request(actor=worker, case=case, reason="other", note="Moved in with cousin Wilmer")
    services.closure_decide(actor=admin, closure=closure, approve=True)
    services.case_reopen(actor=worker, case=case, reason="Wilmer turned out to be the recruiter")
    services.break_glass_open(
        actor=as_verified(staff_a[Role.HOTLINE_ADVOCATE]),
        reference=case.reference,
        reason="safety",
        explanation="Called from Hotel Paraíso room 12",
    )
    assert (
        plaintext_hits(
            "Xiomara",
            "Quintanilla",
            "La Flaca",
            "9876 5432",
            "+525598765432",
            "1111 2222",
            "xiomara.q@",
            "Calle Secreta",
            "G98765432",
            "1999-07-14",
            "modelling agency",
            "El Güero",
            "bus stop",
            "Scars consistent",
            "Very frightened",
            "Julián",
            "Wilmer",
            "Hotel Paraíso",
            "Don Rigoberto",
            "xiomara",  # not even the phonetic key in clear
            "kintanila",
        )
        == []
    )


# --- Search before create -------------------------------------------------------------------


def test_search_by_name_sound_phone_document_and_date_of_birth(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    url = reverse("cases:case_list")
    for params in (
        {"name": "Llolanda Belasques"},
        {"q": "+5025555-0101"},
        {"q": "g12345678"},
        {"birth_date": "1998-04-02"},
        {"q": case.reference},
    ):
        page = client.get(url, params)
        assert case.reference.encode() in page.content, params
    assert case.reference.encode() not in client.get(url, {"name": "Rosa Gracia"}).content
    assert case.reference.encode() not in client.get(url, {"birth_date": "1998-04-03"}).content


def test_search_never_finds_another_organisations_case(staff_a, staff_b, case):
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    page = outsider.get(reverse("cases:case_list"), {"name": "Yolanda Velazquez"})
    assert case.reference.encode() not in page.content


def test_registration_shows_likely_duplicates_before_saving(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    person = {"given_name": "Llolanda", "family_name": "Belasques", "phone": "", "document_number": ""}
    response = register(client, person)
    assert response.status_code == 200 and case.reference.encode() in response.content
    assert b"similar name" in response.content
    assert Case.objects.count() == 1  # not saved yet
    confirmed = client.post(response.wsgi_request.path, {**person, "confirm_new": "1"})
    assert confirmed.status_code == 302 and Case.objects.count() == 2


def test_duplicates_by_document_and_phone_are_named(staff_a, case):
    found = services.likely_duplicates(
        actor=as_verified(staff_a[Role.CASE_WORKER]), phones=["+502 5555 0101"], document_number="G-1234-5678"
    )
    assert found == [(case, ["phone", "document"])]


# --- Consent enforcement ---------------------------------------------------------------------


def test_withdrawn_consent_blocks_the_research_use_it_covered(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    assert services.consent_allows(case, "research")
    assert list(Case.objects.consenting_to("research")) == [case]
    response = client.post(
        reverse("cases:consent_withdraw", kwargs={"reference": case.reference}), {"purpose": "research"}
    )
    assert response.status_code == 302
    assert not services.consent_allows(case, "research")
    assert list(Case.objects.consenting_to("research")) == []  # the research export's query
    assert services.consent_allows(case, "services")  # other purposes untouched
    entry = AuditEntry.objects.filter(action="case.consent_withdraw").get()
    assert entry.reason == "purpose:research"
    withdrawn = case.consents.get().purposes.get(purpose="research")
    assert withdrawn.withdrawn_by == staff_a[Role.CASE_WORKER] and withdrawn.withdrawn_at is not None
    again = client.post(
        reverse("cases:consent_withdraw", kwargs={"reference": case.reference}), {"purpose": "research"}
    )
    assert again.status_code == 400 and b"no consent for this purpose" in again.content


def test_refused_purpose_is_blocked_until_an_authorised_override(staff_a, case):
    assert not services.consent_allows(case, "law_enforcement")
    with pytest.raises(PermissionDenied):
        services.consent_override(
            actor=as_verified(staff_a[Role.CASE_WORKER]),
            case=case,
            purpose="law_enforcement",
            lawful_basis="legal_obligation",
            reason="Court order 123/2026",
        )
    adviser = verified_client(staff_a[Role.LEGAL_ADVISER])
    url = reverse("cases:consent_override", kwargs={"reference": case.reference})
    data = {"purpose": "law_enforcement", "lawful_basis": "legal_obligation", "reason": "Court order 123/2026"}
    assert adviser.post(url, data).status_code == 302
    assert services.consent_allows(case, "law_enforcement")
    assert list(Case.objects.consenting_to("law_enforcement")) == [case]
    override = case.consent_overrides.get()
    assert AuditEntry.objects.filter(action="case.consent_override", reason__contains="legal_obligation").exists()
    override.expires_at = timezone.now() - timedelta(minutes=1)
    override.save()
    assert not services.consent_allows(case, "law_enforcement")


def test_a_case_without_consent_allows_nothing(staff_a):
    case = services.case_create(actor=as_verified(staff_a[Role.CASE_WORKER]), person_name="No Consent")
    assert not any(services.consent_allows(case, p) for p in ("services", "research", "referral"))


# --- Screening ------------------------------------------------------------------------------


def test_screening_suggests_and_records_the_list_version_but_decides_nothing(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    url = reverse("cases:screening_create", kwargs={"reference": case.reference})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert b"Servidumbre por deudas" in page.content
    response = client.post(url, {"present": ["deception", "debt_bondage", "isolation"]}, follow=True)
    assert b"Indicators present: 3 of 11" in response.content
    screening = case.screenings.get()
    assert (screening.version, screening.present, screening.total) == ("2012.1", 3, 11)
    case.refresh_from_db()
    assert case.trafficking_status == ""
    assert client.post(url, {"present": ["telepathy"]}).status_code == 400


# --- Notes, assignment, closure -------------------------------------------------------------


def test_notes_are_stamped_with_author_and_shown_on_the_case(staff_a, case):
    client = verified_client(staff_a[Role.LEGAL_ADVISER])
    url = reverse("cases:note_create", kwargs={"reference": case.reference})
    assert client.post(url, {"body": ""}).status_code == 400
    assert client.post(url, {"body": "Asesoría sobre la denuncia"}).status_code == 302
    note = case.notes.get()
    assert note.author == staff_a[Role.LEGAL_ADVISER] and note.created_at
    assert (
        "Asesoría sobre la denuncia".encode() in client.get(reverse("cases:case_detail", args=[case.reference])).content
    )


def test_cases_are_assigned_only_to_case_workers_of_the_same_organisation(staff_a, staff_b, case):
    actor = as_verified(staff_a[Role.CASE_WORKER])
    with pytest.raises(PermissionDenied):
        services.case_assign(actor=actor, case=case, assignee=staff_b[Role.CASE_WORKER])
    with pytest.raises(PermissionDenied):
        services.case_assign(actor=actor, case=case, assignee=staff_a[Role.ANALYST])
    client = verified_client(staff_a[Role.CASE_WORKER])
    url = reverse("cases:case_assign", kwargs={"reference": case.reference})
    assert client.post(url, {"assignee": staff_b[Role.CASE_WORKER].pk}).status_code == 400
    assert client.post(url, {"assignee": staff_a[Role.CASE_WORKER].pk}).status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == staff_a[Role.CASE_WORKER]


def test_closing_a_case_needs_an_administrators_approval_and_it_can_be_reopened(staff_a, staff_b, case):
    worker = verified_client(staff_a[Role.CASE_WORKER])
    ref = case.reference
    assert (
        worker.post(reverse("cases:closure_request_create", args=[ref]), {"reason": "services_completed"}).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE  # not closed until approved
    closure = case.closures.get()
    other_admin = verified_client(staff_b[Role.ORG_ADMIN])
    assert (
        other_admin.post(reverse("cases:closure_decide", args=[closure.pk]), {"decision": "approve"}).status_code == 404
    )
    admin = verified_client(staff_a[Role.ORG_ADMIN])
    listing = admin.get(reverse("cases:closure_list"))
    assert ref.encode() in listing.content and b"Yolanda" not in listing.content
    assert admin.post(reverse("cases:closure_decide", args=[closure.pk]), {"decision": "approve"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closure_reason == "services_completed"
    assert AuditEntry.objects.filter(action="case.close_approved", object_id=str(case.pk)).exists()
    assert worker.post(reverse("cases:case_reopen", args=[ref]), {"reason": ""}).status_code == 400
    assert worker.post(reverse("cases:case_reopen", args=[ref]), {"reason": "Volvió a pedir apoyo"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE and case.closure_reason == ""


def test_referred_closure_sets_closed_referred_and_rejection_keeps_the_case_open(staff_a, case):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    admin = as_verified(staff_a[Role.ORG_ADMIN])
    closure = services.closure_request(actor=worker, case=case, reason="referred")
    services.closure_decide(actor=admin, closure=closure, approve=False)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    closure = services.closure_request(actor=worker, case=case, reason="referred")
    services.closure_decide(actor=admin, closure=closure, approve=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED_REFERRED


# --- Break the glass ------------------------------------------------------------------------


def test_break_the_glass_opens_one_case_logs_it_tells_the_owner_and_expires(staff_a, case):
    advocate = verified_client(staff_a[Role.HOTLINE_ADVOCATE])
    detail = reverse("cases:case_detail", args=[case.reference])
    assert advocate.get(detail).status_code == 404
    url = reverse("cases:case_break_glass")
    short = advocate.post(url, {"reference": case.reference, "reason": "safety", "explanation": "help"})
    assert short.status_code == 400 and not BreakGlassAccess.objects.exists()
    missing = advocate.post(
        url, {"reference": "C-NOPE0000", "reason": "safety", "explanation": "She called from the bus terminal, scared"}
    )
    assert missing.status_code == 400 and b"No case of your organisation" in missing.content
    response = advocate.post(
        url,
        {"reference": case.reference, "reason": "safety", "explanation": "She called from the bus terminal, scared"},
    )
    assert response.status_code == 302 and response["Location"] == detail
    assert advocate.get(detail).status_code == 200
    assert AuditEntry.objects.filter(action="case.break_glass", reason="reason:safety").exists()
    assert AuditEntry.objects.filter(action="case.view", reason="break_glass").exists()
    # Read only: no edits through the emergency door.
    assert advocate.get(reverse("cases:case_person_edit", args=[case.reference])).status_code == 403
    # The case's creator sees the notice on the case page and on the home page.
    owner = verified_client(staff_a[Role.CASE_WORKER])
    assert b"bus terminal" in owner.get(detail).content
    assert b"Emergency access" in owner.get(reverse("core:home")).content
    # Expired: the case is closed to the advocate again.
    BreakGlassAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert advocate.get(detail).status_code == 404


def test_break_the_glass_cannot_reach_another_organisation(staff_a, staff_b, case):
    with pytest.raises(Exception, match="No case of your organisation"):
        services.break_glass_open(
            actor=as_verified(staff_b[Role.HOTLINE_ADVOCATE]),
            reference=case.reference,
            reason="safety",
            explanation="An emergency of another organisation",
        )
    assert not BreakGlassAccess.objects.exists()


# --- Support plan and overdue tasks ---------------------------------------------------------


def test_a_planned_service_past_its_due_date_is_an_overdue_task_until_done(staff_a, staff_b, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    url = reverse("cases:service_create", args=[case.reference])
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {"plan_type": "health", "service_type": "medical", "provider": "Clínica Fronteriza", "due_on": yesterday}
    assert client.post(url, {**data, "service_type": "teleport"}).status_code == 400
    assert client.post(url, {**data, "due_on": "3026-01-01"}).status_code == 400
    assert client.post(url, data).status_code == 302
    service = case.services.get()
    home = client.get(reverse("core:home"))
    assert b"Overdue tasks" in home.content and case.reference.encode() in home.content
    assert b"Overdue tasks" not in verified_client(staff_b[Role.CASE_WORKER]).get(reverse("core:home")).content
    update = reverse("cases:service_update", args=[case.reference, service.pk])
    assert client.post(update, {"status": "done"}).status_code == 400  # done needs a date
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert client.post(update, {"status": "done", "completed_on": tomorrow}).status_code == 400
    assert client.post(update, {"status": "done", "completed_on": yesterday}).status_code == 302
    assert b"Overdue tasks" not in client.get(reverse("core:home")).content
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    assert outsider.post(update, {"status": "cancelled"}).status_code == 404
    service.refresh_from_db()
    assert service.status == "done"


# --- Properties -----------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PURPOSES = ["services", "referral", "law_enforcement", "research", "tracing"]
BASES = ["consent", "legal_obligation", "vital_interests"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    conversations=st.lists(
        st.dictionaries(st.sampled_from(PURPOSES), st.tuples(st.sampled_from(BASES), st.booleans(), st.booleans())),
        min_size=0,
        max_size=3,
    )
)
def test_the_bulk_consent_query_always_agrees_with_consent_allows(staff_a, conversations):
    """Case.objects.consenting_to (for exports) and consent_allows (for one case) never disagree."""
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = services.case_create(actor=worker, person_name="Property Person")
    for minutes, conversation in enumerate(conversations):
        consent = services.consent_record(
            actor=worker,
            given_by="person",
            child_assent=False,
            text_language="en",
            purposes={purpose: (basis, agreed) for purpose, (basis, agreed, _w) in conversation.items()},
        )
        Consent.objects.filter(pk=consent.pk).update(case=case, recorded_at=timezone.now() + timedelta(minutes=minutes))
        for purpose, (_basis, _agreed, withdraw) in conversation.items():
            if withdraw and services.consent_allows(case, purpose):
                services.consent_withdraw(actor=worker, case=case, purpose=purpose)
    for purpose in PURPOSES:
        in_bulk = Case.objects.filter(pk=case.pk).consenting_to(purpose).exists()
        assert in_bulk == services.consent_allows(case, purpose), purpose


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    given_name=st.text(max_size=130),
    birth_date=st.one_of(st.just(""), st.dates().map(str), st.text(max_size=12)),
    estimated_age=st.one_of(st.just(""), st.integers(-5, 200).map(str)),
    citizenship=st.lists(st.sampled_from(["MEX", "GTM", "XXX", "", "mex"]), max_size=3),
    children=st.one_of(st.just(""), st.integers(-3, 60).map(str)),
)
def test_registration_never_fails_and_never_half_saves(
    staff_a, given_name, birth_date, estimated_age, citizenship, children
):
    client = verified_client(staff_a[Role.CASE_WORKER])
    before = Case.objects.count()
    step1 = client.post(reverse("cases:case_create"), consent_post())
    person = {
        "given_name": given_name,
        "birth_date": birth_date,
        "estimated_age": estimated_age,
        "citizenship": citizenship,
        "number_of_children": children,
        "confirm_new": "1",
    }
    response = client.post(step1["Location"], person)
    assert response.status_code in (200, 302, 400)
    created = Case.objects.count() - before
    assert created == (1 if response.status_code == 302 else 0)
    if created:
        case = Case.objects.order_by("-pk").first()
        assert case.consents.count() == 1 and 0 <= (case.number_of_children or 0) <= 30


def test_editing_the_person_is_audited_and_renames_are_searchable(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    url = reverse("cases:case_person_edit", args=[case.reference])
    page = client.get(url)
    assert b'value="Yolanda"' in page.content
    assert AuditEntry.objects.filter(action="case.view", reason="edit_form", object_id=str(case.pk)).exists()
    data = {"given_name": "Xochitl", "family_name": "Hernández", "birth_date": "1998-04-02", "phone": "+502 5555 0199"}
    assert client.post(url, data).status_code == 302
    assert case.reference.encode() in client.get(reverse("cases:case_list"), {"name": "Ernandes"}).content
    assert case.reference.encode() not in client.get(reverse("cases:case_list"), {"name": "Velazquez"}).content
    assert case.reference.encode() in client.get(reverse("cases:case_list"), {"q": "+50255550199"}).content
    entry = AuditEntry.objects.filter(action="case.person_update").get()
    assert entry.reason == "" and "Xochitl" not in entry.reason


def test_a_case_opened_before_names_were_split_can_be_edited(staff_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    legacy = Case.objects.create(organisation=worker.organisation, person_name="Dora Ficticia", created_by=worker)
    client = verified_client(staff_a[Role.CASE_WORKER])
    page = client.get(reverse("cases:case_person_edit", args=[legacy.reference]))
    assert b'value="Dora Ficticia"' in page.content


def test_a_service_refusal_on_a_field_the_form_lacks_is_shown_not_a_crash(staff_a, case, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"reference": "Refused by the model.", "given_name": "Name refused."})

    monkeypatch.setattr(services, "case_update_person", refuse)
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(reverse("cases:case_person_edit", args=[case.reference]), {"given_name": "Ana"})
    assert response.status_code == 400
    assert b"Refused by the model." in response.content and b"Name refused." in response.content


def test_a_duplicate_that_appears_later_raises_an_alert_on_both_cases_until_dismissed(staff_a, staff_b, case):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    later = services.case_create(
        actor=worker, person_name="Ana Torres", phone="+52 1 999 000 1111", duplicates_reviewed=True
    )
    assert not later.duplicate_alerts.exists()
    client = verified_client(staff_a[Role.CASE_WORKER])
    edit = client.post(
        reverse("cases:case_person_edit", args=[later.reference]), {"given_name": "Ana", "phone": "+502 5555 0101"}
    )
    assert edit.status_code == 302
    alert = later.duplicate_alerts.get()
    assert alert.other == case and alert.reasons == ["phone"]
    for shown_on, points_to in ((later, case), (case, later)):
        page = client.get(reverse("cases:case_detail", args=[shown_on.reference]))
        assert b"May be the same person as" in page.content and points_to.reference.encode() in page.content
    # Saving again does not raise it twice; another organisation never sees it.
    services.case_update_person(actor=worker, case=later, given_name="Ana", phone="+502 5555 0101")
    assert later.duplicate_alerts.count() + case.duplicate_alerts.count() == 1
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    dismiss = reverse("cases:duplicate_dismiss", args=[case.reference, alert.pk])
    assert outsider.post(dismiss, {"confirm": "on"}).status_code == 404
    assert client.post(dismiss, {}).status_code == 400
    assert client.post(dismiss, {"confirm": "on"}).status_code == 302
    assert b"May be the same person as" not in client.get(reverse("cases:case_detail", args=[later.reference])).content
    assert AuditEntry.objects.filter(action="case.duplicate_dismiss").exists()


def test_a_case_created_without_the_registration_check_raises_alerts(staff_a, case):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    other = services.case_create(actor=worker, given_name="Llolanda", family_name="Belasques")
    assert other.duplicate_alerts.get().reasons == ["name"]
