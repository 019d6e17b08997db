"""Referral from a triaged signal (issue 9, part 4; decision 0034) and the referral CSV
exports, through the routes: need-to-know markers in everything the referral did not share,
the reporter's word where it counts, access cut, both audit trails, bad input."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from django.core import mail
from django.urls import reverse

from amparo.accounts.models import Organisation, OrganisationType
from amparo.core import sealing
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals.models import Referral, Service, ServiceType
from amparo.referrals.workflow_models import ReferralStatus
from amparo.reports.models import Message, Receipt, Signal
from amparo.reports.services import signal_consent_record, signals_mark_spam
from amparo.reports.services.common import today
from amparo.reports.vocabularies import SignalStatus
from tests.conftest import as_verified, make_user, verified_client
from tests.referral_helpers import agreement, shelter_of
from tests.sealing_helpers import org_with_keys, sign_in_for_real

SIGNAL_SETS = ["signal_alert", "signal_alert_account"]

#: Planted in what a signal referral never shares (the reporter's words only in the set with them).
UNSHARED = {
    "what_happened": "Zzrelato del denunciante",
    "contact": "zzcontacto@example.test",
    "message": "Zzmensaje en la conversacion",
    "receipt": "QZRC7777",
}
#: Prefilled from the signal and shared (signal_alert).
PREFILLED = {"city": "Qqciudad Norte", "place": "Qqbar La Estrella, calle 8"}
TRIAGE_SUMMARY = "Qqthree women kept in the back rooms"


@pytest.fixture
def org_c(db) -> Organisation:
    return Organisation.objects.create(name="Gamma Watch", org_type=OrganisationType.NGO, country="PER")


def _police_unit(org: Organisation, creator) -> Service:
    return Service.objects.create(
        organisation=org,
        name="Unidad contra la trata",
        on_amparo=True,
        service_type=ServiceType.objects.get(organisation=None, code="law_enforcement"),
        intake_contact="+57 1 000 1111",
        created_by=creator,
    )


def _signal(org: Organisation, **extra) -> Signal:
    answers = {
        "what_happened": UNSHARED["what_happened"],
        "country": "COL",
        "region_text": "Antioquia",
        "city": PREFILLED["city"],
        "place": PREFILLED["place"],
        "when": "2026-11",
        "people_count": 3,
        "age_groups": ["adult"],
        "genders": ["women"],
        "exploitation_type": "bars_cantinas",
        "indicators": ["cannot_leave", "documents_taken"],
        "danger": "yes",
        "contact": UNSHARED["contact"],
    }
    receipt = Receipt.objects.create(
        public_id=UNSHARED["receipt"],
        salt=b"s" * 16,
        verifier=b"v" * 32,
        reporter_public_key=b"k" * 32,
        issued_on=today(),
    )
    values = {
        "organisation": org,
        "receipt": receipt,
        "channel": "web",
        "country": "COL",
        "exploitation_type": "bars_cantinas",
        "arrived_on": today(),
        "status": SignalStatus.IN_REVIEW,
        "sealed": sealing.seal(org.pk, json.dumps(answers).encode()),
        **extra,
    }
    signal = Signal.objects.create(**values)
    Message.objects.create(
        signal=signal,
        author="reporter",
        sealed_for_org=sealing.seal(org.pk, json.dumps({"text": UNSHARED["message"]}).encode()),
        sent_on=today(),
    )
    return signal


@pytest.fixture
def setup(staff_a, staff_b, org_a, org_b):
    org_with_keys(org_b)
    org_with_keys(org_a)
    shelter_of(org_b, staff_b[Role.ORG_ADMIN])  # loads the service types
    police = _police_unit(org_b, staff_b[Role.ORG_ADMIN])
    agreement(org_a, org_b, field_sets=["shelter_intake", *SIGNAL_SETS])
    return police


def _markers(signal: Signal) -> list[str]:
    return [*UNSHARED.values(), signal.reference]


def _form_values(page: bytes) -> dict[str, str]:
    """The prefilled values of the review form, as the sender's browser would send them."""
    text = page.decode()
    values = {
        name: html.unescape(value.strip("\n"))
        for name, value in re.findall(r'<textarea name="(f_\w+|note)"[^>]*>(.*?)</textarea>', text, re.S)
    }
    assert values, "the review form was not shown"
    return values


def _refer(client, signal, service, field_set="signal_alert", legal_basis="vital_interests", **edits):
    """Choose, read the prefilled form, edit, send: the sender's journey through the pages."""
    url = reverse("referral:create_signal", kwargs={"reference": signal.reference})
    choice = {"service": service.pk, "field_set": field_set, "legal_basis": legal_basis}
    page = client.get(url, choice)
    if page.status_code != 200 or b'name="f_area"' not in page.content:
        return page
    return client.post(url, {**choice, **_form_values(page.content), **edits})


@pytest.fixture
def sent(setup, staff_a, org_a, django_capture_on_commit_callbacks):
    signal = _signal(org_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = _refer(sign_in_for_real(staff_a[Role.CASE_WORKER]), signal, setup, note=TRIAGE_SUMMARY)
    assert response.status_code == 302, response.content[:3000]
    return Referral.objects.get(), signal


def _pages(client, referral) -> str:
    out = b""
    for name in ("referral:waiting", "referral:sent", "referral:overdue", "referral:waiting_csv", "referral:sent_csv"):
        out += client.get(reverse(name)).content
    out += client.get(reverse("referral:detail", kwargs={"pk": referral.pk})).content
    out += client.get(reverse("api:referral_list")).content
    out += client.get(reverse("api:referral_list") + "?box=sent").content
    out += client.get(reverse("api:referral_detail", kwargs={"pk": referral.pk})).content
    return out.decode()


def test_the_signal_page_offers_refer_only_to_roles_that_may(setup, staff_a, org_a):
    signal = _signal(org_a)
    url = reverse("reports:signal_detail", kwargs={"reference": signal.reference})
    refer = reverse("referral:create_signal", kwargs={"reference": signal.reference})
    assert refer.encode() in sign_in_for_real(staff_a[Role.CASE_WORKER]).get(url).content
    # A hotline advocate triages signals but does not refer them; an administrator sees them.
    for role in (Role.HOTLINE_ADVOCATE, Role.ORG_ADMIN):
        page = sign_in_for_real(staff_a[role]).get(url)
        assert page.status_code == 200 and refer.encode() not in page.content, role
        assert verified_client(staff_a[role]).get(refer).status_code == 403


def test_the_form_prefills_the_signals_need_to_know_fields_and_nothing_of_the_reporter(setup, staff_a, org_a):
    signal = _signal(org_a)
    client = sign_in_for_real(staff_a[Role.CASE_WORKER])
    page = client.get(
        reverse("referral:create_signal", kwargs={"reference": signal.reference}),
        {"service": setup.pk, "field_set": "signal_alert", "legal_basis": "vital_interests"},
    )
    assert page.status_code == 200
    values = _form_values(page.content)
    assert PREFILLED["city"] in values["f_area"] and values["f_place"] == PREFILLED["place"]
    assert "passport" in values["f_indicators"].lower() and values["f_when"] == "2026-11"
    leaked = [m for m in UNSHARED.values() if m in page.content.decode()]
    assert not leaked
    # The opening of the signal for the prefill is audited as a read of the signal.
    assert AuditEntry.objects.filter(action="report.view", object_id=str(signal.pk), reason="referral").exists()


def test_need_to_know_every_role_of_the_receiver_sees_only_the_chosen_fields(sent, staff_b):
    referral, signal = sent
    assert referral.signal_id == signal.pk and referral.case_id is None and referral.legal_basis == "vital_interests"
    markers = _markers(signal)
    shared_seen = False
    for role in Role.values:
        content = _pages(sign_in_for_real(staff_b[role]), referral)
        leaked = [m for m in markers if m in content]
        assert not leaked, (role, leaked)
        shared_seen |= TRIAGE_SUMMARY in content and PREFILLED["place"] in content
    assert shared_seen, "the receiver's case worker should read the shared fields"
    # E-mails carry no personal data at all: no marker, no shared value.
    assert mail.outbox
    for message in mail.outbox:
        body = message.subject + message.body
        assert not [m for m in [*markers, TRIAGE_SUMMARY, *PREFILLED.values()] if m in body], body


def test_a_third_organisation_sees_nothing_of_a_signal_referral(sent, org_c):
    referral, signal = sent
    for role in Role.values:
        client = verified_client(make_user(org_c, role))
        for name in ("referral:detail", "api:referral_detail"):
            got = client.get(reverse(name, kwargs={"pk": referral.pk}))
            missing = client.get(reverse(name, kwargs={"pk": 2**31 - 1}))
            assert got.status_code == missing.status_code and got.status_code in (403, 404), (role, name)
        content = _pages(client, referral)
        seen = [m for m in [*_markers(signal), TRIAGE_SUMMARY, *PREFILLED.values(), "Unidad contra"] if m in content]
        assert not seen, role
    assert referral.status == ReferralStatus.SENT


def test_the_sender_sees_where_it_came_from_the_receiver_never_the_signals_reference(sent, staff_a, staff_b):
    referral, signal = sent
    url = reverse("referral:detail", kwargs={"pk": referral.pk})
    sender_page = verified_client(staff_a[Role.CASE_WORKER]).get(url).content.decode()
    assert signal.reference in sender_page
    receiver_page = sign_in_for_real(staff_b[Role.CASE_WORKER]).get(url).content.decode()
    assert "anonymous tip" in receiver_page and "immediate danger" in receiver_page
    assert signal.reference not in receiver_page
    api = verified_client(staff_b[Role.CASE_WORKER]).get(reverse("api:referral_detail", kwargs={"pk": referral.pk}))
    assert api.json()["source"] == "signal" and api.json()["legal_basis"] == "vital_interests"


def test_sending_is_audited_on_both_sides_and_against_the_signal(sent, org_a, org_b):
    referral, signal = sent
    sends = AuditEntry.objects.filter(action="referral.send", object_id=str(referral.pk))
    assert {e.organisation_id for e in sends} == {org_a.pk, org_b.pk}
    assert all("legal:vital_interests" in e.reason and "set:signal_alert" in e.reason for e in sends)
    assert AuditEntry.objects.filter(action="report.refer", object_id=str(signal.pk), organisation_id=org_a.pk).exists()


def test_the_reporters_words_travel_only_with_the_reporters_consent(setup, staff_a, staff_b, org_a):
    client = sign_in_for_real(staff_a[Role.CASE_WORKER])
    signal = _signal(org_a)  # the reporter was not asked
    refused = _refer(client, signal, setup, field_set="signal_alert_account")
    assert refused.status_code == 200 and b"only with the reporter&#x27;s consent" in refused.content
    assert b'name="f_reporter_account"' not in refused.content
    assert not Referral.objects.exists()
    # With the reporter's consent to pass it on to the police, the words go.
    signal_consent_record(actor=as_verified(staff_a[Role.CASE_WORKER]), signal=signal, police=True)
    response = _refer(client, signal, setup, field_set="signal_alert_account", legal_basis="reporter_consent")
    assert response.status_code == 302, response.content[:3000]
    referral = Referral.objects.get()
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    detail = reverse("referral:detail", kwargs={"pk": referral.pk})
    assert UNSHARED["what_happened"].encode() in receiver.get(detail).content
    # The reporter takes it back (recorded in triage): the receiver loses the words at once.
    signal_consent_record(actor=as_verified(staff_a[Role.CASE_WORKER]), signal=signal, police=False)
    page = receiver.get(detail)
    api = receiver.get(reverse("api:referral_detail", kwargs={"pk": referral.pk}))
    assert UNSHARED["what_happened"].encode() not in page.content + api.content
    assert b"consent to pass the report on is no longer in force" in page.content
    assert api.json()["content_available"] is False


def test_a_reporters_refusal_is_overridden_only_by_danger_or_a_legal_duty(setup, staff_a, org_a):
    client = sign_in_for_real(staff_a[Role.CASE_WORKER])
    signal = _signal(org_a, consent_police=False)
    for basis in ("reporter_consent", "public_task"):
        response = _refer(client, signal, setup, legal_basis=basis)
        assert response.status_code == 200 and b'role="alert"' in response.content, basis
    assert not Referral.objects.exists()
    assert _refer(client, signal, setup, legal_basis="legal_duty").status_code == 302
    assert Referral.objects.get().legal_basis == "legal_duty"


def test_a_public_task_is_a_basis_for_an_authority_only(setup, staff_a, staff_b, org_a, org_b):
    client = sign_in_for_real(staff_a[Role.CASE_WORKER])
    shelter = Service.objects.get(organisation=org_b, service_type__code="shelter")
    signal = _signal(org_a)
    response = _refer(client, signal, shelter, legal_basis="public_task")
    assert response.status_code == 200 and b"to an authority only" in response.content
    assert _refer(client, signal, setup, legal_basis="public_task").status_code == 302


@pytest.mark.parametrize(
    "status, held",
    [(SignalStatus.NEW, False), (SignalStatus.SPAM, False), (SignalStatus.CLOSED, False), ("in_review", True)],
)
def test_only_a_triaged_open_signal_can_be_referred(setup, staff_a, org_a, status, held):
    signal = _signal(org_a, status=status, held=held)
    client = sign_in_for_real(staff_a[Role.CASE_WORKER])
    url = reverse("referral:create_signal", kwargs={"reference": signal.reference})
    assert b'role="alert"' in client.get(url).content
    body = {"service": setup.pk, "field_set": "signal_alert", "legal_basis": "vital_interests", "f_area": "x"}
    assert client.post(url, body).status_code == 400
    assert not Referral.objects.exists()
    page = client.get(reverse("reports:signal_detail", kwargs={"reference": signal.reference}))
    assert url.encode() not in page.content


def test_no_data_sharing_basis_is_refused_with_a_message(staff_a, staff_b, org_a, org_b):
    org_with_keys(org_b)
    org_with_keys(org_a)
    shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    police = _police_unit(org_b, staff_b[Role.ORG_ADMIN])
    agreement(org_a, org_b)  # covers the shelter-intake set only
    response = _refer(sign_in_for_real(staff_a[Role.CASE_WORKER]), _signal(org_a), police)
    assert response.status_code == 200 and b"does not cover this set of fields" in response.content
    assert not Referral.objects.exists()


def test_spam_or_purge_of_the_signal_cuts_the_receivers_access(sent, staff_a, staff_b):
    referral, signal = sent
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    detail = reverse("referral:detail", kwargs={"pk": referral.pk})
    assert TRIAGE_SUMMARY.encode() in receiver.get(detail).content
    signals_mark_spam(actor=as_verified(staff_a[Role.CASE_WORKER]), signal=signal)
    page = receiver.get(detail)
    assert TRIAGE_SUMMARY.encode() not in page.content and b"no longer holds the signal" in page.content
    Signal.objects.filter(pk=signal.pk).delete()
    referral.refresh_from_db()
    assert referral.signal_id is None
    assert TRIAGE_SUMMARY.encode() not in receiver.get(detail).content


def test_statuses_and_sla_are_those_of_a_case_referral(sent, staff_b, staff_a):
    referral, _signal_ = sent
    assert (referral.due_at - referral.sent_at).total_seconds() == 48 * 3600  # law enforcement
    receiver = verified_client(staff_b[Role.AUTHORITY])
    assert receiver.post(reverse("referral:accept", kwargs={"pk": referral.pk})).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    sender = verified_client(staff_a[Role.CASE_WORKER])
    assert sender.post(reverse("referral:revoke", kwargs={"pk": referral.pk}), {"reason": "error"}).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVOKED


@pytest.mark.parametrize(
    "body",
    [
        {"service": "x", "field_set": "signal_alert", "legal_basis": "vital_interests"},
        {"service": "999999", "field_set": "signal_alert", "legal_basis": "vital_interests"},
        {"field_set": "shelter_intake", "legal_basis": "vital_interests"},  # a case set
        {"field_set": "signal_alert", "legal_basis": "because"},
        {"field_set": "signal_alert", "legal_basis": ""},
        {"field_set": "signal_alert", "legal_basis": "vital_interests", "f_area": "x" * 5000},
        {"field_set": ["signal_alert", "legal_aid"], "legal_basis": "vital_interests"},
    ],
)
def test_bad_input_gets_a_clear_400_and_stores_nothing(setup, staff_a, org_a, body):
    signal = _signal(org_a)
    body = {"service": setup.pk, **body}
    response = verified_client(staff_a[Role.CASE_WORKER]).post(
        reverse("referral:create_signal", kwargs={"reference": signal.reference}), body
    )
    assert response.status_code == 400
    assert b"errorlist" in response.content or b'role="alert"' in response.content
    assert not Referral.objects.exists()


def test_a_case_referral_cannot_use_a_signal_set(staff_a, staff_b, org_a, org_b):
    from tests.referral_helpers import planted_case, refer

    org_with_keys(org_b)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    agreement(org_a, org_b, field_sets=SIGNAL_SETS)
    case = planted_case(staff_a[Role.CASE_WORKER])
    response = refer(verified_client(staff_a[Role.CASE_WORKER]), case, service, field_set="signal_alert")
    assert response.status_code == 400 and not Referral.objects.exists()


# --- exports ----------------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_exports_list_metadata_of_both_boxes_and_are_audited(sent, staff_a, staff_b, org_a, org_b):
    referral, _signal_ = sent
    received = _rows(verified_client(staff_b[Role.SHELTER_MANAGER]).get(reverse("referral:waiting_csv")))
    assert len(received) == 2 and received[1][0] == str(referral.pk)
    assert "Alpha Refuge" in received[1] and "a signal" in received[1]
    sent_rows = _rows(verified_client(staff_a[Role.ORG_ADMIN]).get(reverse("referral:sent_csv")))
    assert [r[0] for r in sent_rows[1:]] == [str(referral.pk)]
    # Filters as on the page: a status that no referral has gives the header only.
    assert (
        len(_rows(verified_client(staff_a[Role.ORG_ADMIN]).get(reverse("referral:sent_csv"), {"status": "done"}))) == 1
    )
    exports = AuditEntry.objects.filter(action="referral.export")
    assert {(e.organisation_id, e.reason.split()[0]) for e in exports} >= {
        (org_b.pk, "box:waiting"),
        (org_a.pk, "box:sent"),
    }
    assert any("rows:1" in e.reason for e in exports)


def test_an_export_cell_is_never_read_as_a_formula(sent, staff_b):
    referral, _signal_ = sent
    Service.objects.filter(pk=referral.service_id).update(name='=HYPERLINK("http://evil.test","x")')
    rows = _rows(verified_client(staff_b[Role.CASE_WORKER]).get(reverse("referral:waiting_csv")))
    assert rows[1][4].startswith("'=")
    assert not any(cell[:1] in ("=", "+", "@") for row in rows for cell in row)


@pytest.mark.parametrize("query", [{"status": "bogus"}, {"page": "x"}, {"service_type": "y" * 500}])
def test_a_bad_export_filter_gets_a_clear_400_and_exports_nothing(sent, staff_b, query):
    response = verified_client(staff_b[Role.CASE_WORKER]).get(reverse("referral:waiting_csv"), query)
    assert response.status_code == 400 and b"Nothing was exported" in response.content
    assert not AuditEntry.objects.filter(action="referral.export").exists()


def test_exports_are_refused_to_roles_without_referral_view(sent, staff_b):
    for role in (Role.ANALYST, Role.HOTLINE_ADVOCATE, Role.LEGAL_ADVISER):
        assert verified_client(staff_b[role]).get(reverse("referral:waiting_csv")).status_code == 403


def test_the_signal_referral_form_is_described_for_a_screen_reader_and_light(setup, staff_a, org_a):
    from tests.test_page_structure import _dangling_descriptions

    signal = _signal(org_a)
    client = sign_in_for_real(staff_a[Role.CASE_WORKER])
    url = reverse("referral:create_signal", kwargs={"reference": signal.reference})
    pages = [
        client.get(url),
        client.get(url, {"service": setup.pk, "field_set": "signal_alert", "legal_basis": "vital_interests"}),
        client.post(url, {"service": setup.pk, "field_set": "signal_alert"}),  # no legal basis: errors
    ]
    assert b"errorlist" in pages[2].content or b'role="alert"' in pages[2].content
    for page in pages:
        text = page.content.decode()
        assert "aria-describedby=" in text and not _dangling_descriptions(text), page.wsgi_request.get_full_path()
        assert len(page.content) < 100_000
