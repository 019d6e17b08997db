"""Issue 8, items 7, 8, 10 and 11 (follow-up): a signal becomes a case and the case shows
it; the reporter consents to passing it on (or staff record it later); the reporter sees
and chooses who receives the report; co-recipients see each other's names; the follow-up
page shows the report, each holder and its status."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from amparo.cases.models import Case, TraffickingEvent
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.reports import services
from amparo.reports.models import Receipt, RoutingRule, Signal
from tests.conftest import as_verified, verified_client
from tests.sealing_helpers import org_with_keys, unlocked_client
from tests.test_cases import consent_post
from tests.test_reports import (  # noqa: F401
    STORY,
    _cheap_crypto_and_puzzles,
    followup,
    receiving_fixture,
    recipients_kept,
    solved_form,
    submit,
)


def _signal_page(client: Client, signal: Signal):
    return client.get(reverse("reports:signal_detail", args=[signal.reference]))


# --- item 7: a signal becomes a case -----------------------------------------------------------


def test_linked_to_a_case_cannot_be_set_without_a_case(receiving, staff_a):
    submit()
    signal = Signal.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Signal.objects.filter(pk=signal.pk).update(status="linked")
    worker = as_verified(staff_a[Role.CASE_WORKER])
    with pytest.raises(services.StatusNeedsCase):
        services.signal_update(actor=worker, signal=signal, status="linked")
    client = unlocked_client(staff_a[Role.CASE_WORKER])
    url = reverse("reports:signal_detail", args=[signal.reference])
    refused = client.post(url, {"action": "triage", "status": "linked", "urgency": "normal"})
    assert refused.status_code == 400
    assert Signal.objects.get().status == "new"


def test_opening_a_case_from_a_signal_carries_place_type_and_facts_and_links_both_ways(receiving, staff_a):
    submit(city="Santa Lucía", place="The workshop behind the market", when_month="3", when_year="2025")
    signal = Signal.objects.get()
    client = unlocked_client(staff_a[Role.CASE_WORKER])
    page = _signal_page(client, signal)
    start = reverse("cases:case_create") + f"?signal={signal.reference}"
    assert start.encode() in page.content.replace(b"&amp;", b"&")
    step1 = client.post(start, consent_post())
    assert step1.status_code == 302 and f"signal={signal.reference}" in step1["Location"]
    form = client.get(step1["Location"])
    assert form.status_code == 200
    assert STORY.encode() in form.content  # the summary is drafted from the report (opened in this session)
    assert b"The workshop behind the market" in form.content
    summary = re.search(rb'<textarea name="summary"[^>]*>\s*(.*?)</textarea>', form.content, re.S).group(1)
    done = client.post(step1["Location"], {"given_name": "Ana", "summary": summary.decode()})
    assert done.status_code == 302, done.content[:2000]
    case = Case.objects.get()
    signal.refresh_from_db()
    assert signal.case == case and signal.status == "linked"
    event = TraffickingEvent.objects.get(case=case)
    assert (event.event_type, event.country, event.region, event.city) == (
        "exploitation",
        "MEX",
        "Oaxaca",
        "Santa Lucía",
    )
    assert event.month == datetime.date(2025, 3, 1) and "The workshop behind the market" in event.description
    assert case.exploitation_types == ["forced_labour"]  # "factories" in the case's vocabulary
    assert AuditEntry.objects.filter(action="report.link_case").exists()
    assert AuditEntry.objects.filter(action="case.signal_link", object_id=str(case.pk)).exists()
    file = client.get(reverse("cases:case_detail", args=[case.reference]))
    assert reverse("reports:signal_detail", args=[signal.reference]).encode() in file.content
    back = _signal_page(client, signal)
    assert reverse("cases:case_detail", args=[case.reference]).encode() in back.content


def test_opening_a_case_from_a_signal_needs_an_unlocked_session_and_the_triage_permission(receiving, staff_a):
    submit()
    signal = Signal.objects.get()
    locked = verified_client(staff_a[Role.CASE_WORKER])
    page = locked.get(reverse("cases:case_create") + f"?signal={signal.reference}")
    assert b"sealed" in page.content and STORY.encode() not in page.content
    adviser = verified_client(staff_a[Role.LEGAL_ADVISER])
    assert adviser.get(reverse("cases:case_create") + f"?signal={signal.reference}").status_code == 403
    assert not Case.objects.exists()


def test_linking_to_an_existing_case_goes_through_visible_to_and_unlinking_returns_to_review(
    receiving, staff_a, staff_b, org_b
):
    submit()
    signal = Signal.objects.get()
    worker = staff_a[Role.CASE_WORKER]
    own = Case.objects.create(organisation=receiving, person_name="Own Person", created_by=worker)
    foreign = Case.objects.create(organisation=org_b, person_name="Foreign", created_by=staff_b[Role.CASE_WORKER])
    client = unlocked_client(worker)
    url = reverse("reports:signal_detail", args=[signal.reference])
    refused = client.post(url, {"action": "link_case", "case_reference": foreign.reference})
    assert refused.status_code == 400 and b"No case of your organisation has this reference" in refused.content
    assert Signal.objects.get().status == "new"
    with pytest.raises(PermissionDenied):
        services.signal_link_case(actor=as_verified(worker), signal=signal, case=foreign)
    done = client.post(url, {"action": "link_case", "case_reference": own.reference.lower()})
    assert done.status_code == 302
    signal.refresh_from_db()
    assert signal.case == own and signal.status == "linked"
    assert TraffickingEvent.objects.filter(case=own, country="MEX").exists()
    advocate = unlocked_client(staff_a[Role.HOTLINE_ADVOCATE])  # triages, but may not edit cases
    assert advocate.post(url, {"action": "unlink_case"}).status_code == 403
    assert Signal.objects.get().status == "linked"
    assert client.post(url, {"action": "unlink_case"}).status_code == 302
    signal.refresh_from_db()
    assert signal.case is None and signal.status == "in_review"
    assert AuditEntry.objects.filter(action="report.unlink_case").exists()


def test_the_purge_keeps_linked_signals_and_deletes_unlinked_ones(receiving, staff_a):
    submit()
    submit(what_happened="Another report about the same workshop on the corner")
    kept, gone = Signal.objects.order_by("reference")
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = Case.objects.create(organisation=receiving, person_name="Kept Person", created_by=worker)
    services.signal_link_case(actor=worker, signal=kept, case=case)
    later = kept.arrived_on + datetime.timedelta(days=400)
    assert services.signals_purge_expired(on=later) == 1
    assert list(Signal.objects.values_list("pk", flat=True)) == [kept.pk]
    services.signal_unlink_case(actor=worker, signal=Signal.objects.get())
    assert services.signals_purge_expired(on=later) == 1
    assert not Signal.objects.exists()


# --- item 8: consent to pass the report on ------------------------------------------------------


def test_the_web_form_asks_consent_and_a_referral_then_needs_no_more(receiving, staff_a):
    form = Client().get(reverse("report:report_create"))
    assert b'name="consent_police"' in form.content and b'name="consent_services"' in form.content
    submit(consent_services="on")
    signal = Signal.objects.get()
    assert (signal.consent_services, signal.consent_police) == (True, False)
    client = unlocked_client(staff_a[Role.CASE_WORKER])
    url = reverse("reports:signal_detail", args=[signal.reference])
    base = {"action": "triage", "status": "referred", "urgency": "normal"}
    assert client.post(url, {**base, "referred_to": "police"}).status_code == 400
    assert client.post(url, {**base, "referred_to": "services"}).status_code == 302


def test_staff_record_consent_given_later_in_the_conversation(receiving, staff_a):
    submit()
    signal = Signal.objects.get()
    assert (signal.consent_services, signal.consent_police) == (False, False)
    client = unlocked_client(staff_a[Role.HOTLINE_ADVOCATE])
    url = reverse("reports:signal_detail", args=[signal.reference])
    base = {"action": "triage", "status": "referred", "urgency": "normal", "referred_to": "police"}
    assert client.post(url, base).status_code == 400
    assert client.post(url, {"action": "consent", "consent_police": "maybe"}).status_code == 400
    assert client.post(url, {"action": "consent", "consent_police": "yes"}).status_code == 302
    signal.refresh_from_db()
    assert (signal.consent_police, signal.consent_services) == (True, False)
    entry = AuditEntry.objects.get(action="report.consent")
    assert entry.reason == "police:yes"
    assert client.post(url, base).status_code == 302
    assert Signal.objects.get().status == "referred"
    outsider = verified_client(staff_a[Role.ORG_ADMIN])  # reads signals, does not triage
    assert outsider.post(url, {"action": "consent", "consent_services": "yes"}).status_code == 403


# --- item 10: who receives the report ----------------------------------------------------------


@pytest.fixture(name="two_receivers")
def two_receivers_fixture(receiving, org_b, staff_b):
    org_with_keys(org_b)
    RoutingRule.objects.create(organisation=org_b, country="MEX", exploitation_type="factories")
    return receiving, org_b


def test_the_form_shows_who_receives_the_report_before_sending_and_sends_to_those_kept(two_receivers):
    org_a, org_b = two_receivers
    client = Client()
    data = solved_form(client)
    data.pop("recipients"), data.pop("recipients_for")
    shown = client.post(reverse("report:report_create"), data)
    assert shown.status_code == 200 and not Signal.objects.exists()
    assert org_a.name.encode() in shown.content and org_b.name.encode() in shown.content
    assert b'name="recipients"' in shown.content and b"Nothing has been sent yet" in shown.content
    for_key = re.search(rb'name="recipients_for" value="([^"]+)"', shown.content).group(1).decode()
    none = client.post(reverse("report:report_create"), {**data, "recipients_for": for_key})
    assert none.status_code == 400 and b"Choose at least one organisation" in none.content
    assert not Signal.objects.exists()
    sent = client.post(reverse("report:report_create"), {**data, "recipients_for": for_key, "recipients": [org_b.pk]})
    assert sent.status_code == 200 and b'id="receipt"' in sent.content
    assert list(Signal.objects.values_list("organisation_id", flat=True)) == [org_b.pk]


def test_changing_the_answers_shows_the_recipients_again(two_receivers):
    org_a, _org_b = two_receivers
    client = Client()
    data = solved_form(client)
    again = client.post(reverse("report:report_create"), {**data, "exploitation_type": "agriculture"})
    assert again.status_code == 200 and not Signal.objects.exists()
    assert org_a.name.encode() in again.content and b"Nothing has been sent yet" in again.content


def test_co_recipients_see_each_others_names_and_nothing_else(two_receivers, staff_a, staff_b):
    org_a, org_b = two_receivers
    submit()
    assert Signal.objects.count() == 2
    theirs = Signal.objects.get(organisation=org_b)
    ours = Signal.objects.get(organisation=org_a)
    page = _signal_page(unlocked_client(staff_a[Role.CASE_WORKER]), ours)
    assert b"Also received by" in page.content and org_b.name.encode() in page.content
    assert theirs.reference.encode() not in page.content
    other = _signal_page(unlocked_client(staff_b[Role.CASE_WORKER]), theirs)
    assert org_a.name.encode() in other.content and ours.reference.encode() not in other.content


def test_the_api_lists_the_recipients_and_sends_to_those_chosen(two_receivers):
    from amparo.reports import abuse

    org_a, org_b = two_receivers
    api = Client()
    where = {"country": "MEX", "region_text": "Oaxaca", "exploitation_type": "factories"}
    listed = api.post(reverse("api:report_recipients"), where, content_type="application/json")
    assert listed.status_code == 200
    assert sorted(r["id"] for r in listed.json()["recipients"]) == sorted([org_a.pk, org_b.pk])
    assert {r["name"] for r in listed.json()["recipients"]} == {org_a.name, org_b.name}
    bad = api.post(reverse("api:report_recipients"), {"country": "XXX"}, content_type="application/json")
    assert bad.status_code == 400

    def send(**extra):
        challenge = api.post(reverse("api:report_challenge")).json()["challenge"]
        body = {"what_happened": STORY, **where, "pow_challenge": challenge, "pow_nonce": abuse.solve(challenge)}
        return api.post(reverse("api:report_submit"), {**body, **extra}, content_type="application/json")

    refused = send(recipients=[999_999])
    assert refused.status_code == 400 and "recipients" in refused.json()
    assert send(recipients=[]).status_code == 400
    assert not Signal.objects.exists()
    sent = send(recipients=[org_a.pk], consent_police=True)
    assert sent.status_code == 201 and sent.json()["recipients"] == [org_a.name]
    assert list(Signal.objects.values_list("organisation_id", "consent_police")) == [(org_a.pk, True)]
    schema = api.get(reverse("api:schema")).content
    assert b"/api/v1/report/recipients/" in schema and b"consent_police" in schema and b"holders" in schema


# --- item 11: the follow-up page ----------------------------------------------------------------


def test_the_follow_up_page_shows_the_report_the_holders_and_their_status_in_plain_words(two_receivers, staff_a):
    org_a, org_b = two_receivers
    receipt = submit(place="The workshop behind the market", consent_services="on")
    ours = Signal.objects.get(organisation=org_a)
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = Case.objects.create(organisation=org_a, person_name="Someone", created_by=worker)
    services.signal_link_case(actor=worker, signal=ours, case=case)
    page = followup(receipt)
    assert page.status_code == 200
    assert STORY.encode() in page.content and b"The workshop behind the market" in page.content
    assert b"You agreed that it may be passed on to support services." in page.content
    holders = re.search(rb'<table class="holders">(.*?)</table>', page.content, re.S).group(1)
    assert org_a.name.encode() in holders and org_b.name.encode() in holders
    assert b"Being followed up" in holders and b"Received, not read yet" in holders
    assert b"case" not in holders.lower()  # whoever holds the receipt does not learn a case was opened
    assert b"Someone" not in page.content
    wrong = followup(receipt[:-1] + ("A" if receipt[-1] != "A" else "B"))
    assert STORY.encode() not in wrong.content and org_a.name.encode() not in wrong.content


def test_the_reporters_copy_is_sealed_to_the_receipt_and_survives_a_receipt_change(receiving):
    receipt = submit()
    stored = bytes(Receipt.objects.get().sealed_report)
    assert stored and STORY.encode() not in stored
    changed = followup(receipt, action="change_receipt")
    shown = re.search(r'class="secret receipt"><strong>(.+?)</strong>', changed.content.decode()).group(1)
    new = re.sub(r"<[^>]+>", "", shown)  # the groups are spans (no wrap mid-group)
    assert STORY.encode() in followup(new).content
    assert bytes(Receipt.objects.get().sealed_report) != stored


def test_the_api_thread_carries_the_report_and_the_holders(receiving):
    receipt = submit()
    from tests.test_reports_api import post  # follows the receipt puzzle protocol (428, then solved)

    data = post("report_followup", {"receipt": receipt}).json()
    assert data["report"]["what_happened"] == STORY
    assert data["holders"] == [{"organisation": receiving.name, "status": "Received, not read yet"}]
