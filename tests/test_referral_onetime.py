"""Referral to a service not on Amparo (issue 9, part 4, last paragraph; decision 0032): the
one-time link with a passphrase given by phone, and the printed sheet, through the routes."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals import onetime
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.onetime_models import MAX_ATTEMPTS, ExternalReferral, ExternalStatus
from amparo.referrals.services import load_global_types
from tests.conftest import registered_case, verified_client
from tests.rawdb import plaintext_hits

SECRET_NEED = "Necesita abogada urgente 7Q3"
SECRET_NOTE = "Llamar solo por la tarde 5K8"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(staff_a, org_a, org_b):
    load_global_types()
    service = Service.objects.create(
        organisation=org_b,
        name="Clínica jurídica universitaria",
        on_amparo=False,
        provider_name="Universidad Central",
        service_type=ServiceType.objects.get(organisation=None, code="legal_aid"),
        intake_contact="+51 1 222 3333",
    )
    case = registered_case(staff_a[Role.CASE_WORKER], referral=("consent", True))
    return case, service


def _send(staff_a, case, service, kind="link", days="7"):
    client = verified_client(staff_a[Role.CASE_WORKER])
    path = reverse("referral:external_create", kwargs={"reference": case.reference})
    response = client.post(
        path,
        {
            "service": service.pk,
            "field_set": "legal_aid",
            "kind": kind,
            "days": days,
            "f_full_name": "Yolanda Velázquez",
            "f_proceedings": SECRET_NEED,
            "note": SECRET_NOTE,
        },
    )
    return client, response


@pytest.fixture
def issued(setup, staff_a):
    case, service = setup
    _client, response = _send(staff_a, case, service)
    assert response.status_code == 200, response.content[:2000]
    html = response.content.decode()
    token = re.search(r"/r/([A-Za-z0-9_-]+)/", html).group(1)
    passphrase = re.search(r"<strong><code>([A-Z2-7 ]+)</code></strong>", html).group(1)
    assert response["Cache-Control"].startswith("no-store")
    return ExternalReferral.objects.get(), token, passphrase


def _open(client, token, passphrase):
    return client.post(f"/r/{token}/", {"passphrase": passphrase})


def test_the_link_opens_once_with_the_passphrase_and_the_second_open_is_refused(issued, client):
    record, token, passphrase = issued
    first = _open(client, token, passphrase.lower())  # read forgivingly: case and spaces ignored
    assert first.status_code == 200
    assert SECRET_NEED.encode() in first.content and SECRET_NOTE.encode() in first.content
    record.refresh_from_db()
    assert record.current_status() == ExternalStatus.OPENED and record.ciphertext is None
    second = _open(client, token, passphrase)
    assert second.status_code == 400 and SECRET_NEED.encode() not in second.content


def _failure_body(response) -> bytes:
    return response.content


def test_every_failure_gets_the_same_status_and_page(issued, setup, staff_a, client):
    record, token, passphrase = issued
    case, service = setup
    answers = {}
    answers["wrong"] = _open(client, token, "AAAA BBBB CCCC DDDD EEEE")
    answers["unknown"] = _open(client, "x" * 22, passphrase)
    answers["empty"] = _open(client, token, "")
    # expired
    _c, _r = _send(staff_a, case, service)
    expired = ExternalReferral.objects.exclude(pk=record.pk).get()
    expired_token = re.search(r"/r/([A-Za-z0-9_-]+)/", _r.content.decode()).group(1)
    expired_pass = re.search(r"<strong><code>([A-Z2-7 ]+)</code></strong>", _r.content.decode()).group(1)
    ExternalReferral.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    answers["expired"] = _open(client, expired_token, expired_pass)
    # revoked
    sender, r = _send(staff_a, case, service)
    revoked = ExternalReferral.objects.exclude(pk__in=[record.pk, expired.pk]).get()
    revoked_token = re.search(r"/r/([A-Za-z0-9_-]+)/", r.content.decode()).group(1)
    revoked_pass = re.search(r"<strong><code>([A-Z2-7 ]+)</code></strong>", r.content.decode()).group(1)
    assert sender.post(reverse("referral:external_revoke", kwargs={"pk": revoked.pk})).status_code == 302
    answers["revoked"] = _open(client, revoked_token, revoked_pass)
    # opened already
    assert _open(client, token, passphrase).status_code == 200
    answers["opened"] = _open(client, token, passphrase)
    statuses = {name: r.status_code for name, r in answers.items()}
    assert set(statuses.values()) == {400}, statuses
    bodies = {_failure_body(r) for r in answers.values()}
    assert len(bodies) == 1, "the failures are told apart by their page"
    revoked.refresh_from_db()
    expired.refresh_from_db()
    assert revoked.current_status() == ExternalStatus.REVOKED
    assert expired.current_status() == ExternalStatus.EXPIRED


def test_wrong_passphrases_burn_the_link(issued, client):
    record, token, passphrase = issued
    for _ in range(MAX_ATTEMPTS):
        assert _open(client, token, "WRONG PASS WORD 2345 ABCD").status_code == 400
    record.refresh_from_db()
    assert record.current_status() == ExternalStatus.BURNT and record.ciphertext is None
    # Even the right passphrase no longer opens it.
    right = _open(client, token, passphrase)
    assert right.status_code == 400 and SECRET_NEED.encode() not in right.content
    assert AuditEntry.objects.filter(action="referral.external_burnt", organisation_id=record.organisation_id).exists()


def test_the_cache_throttle_refuses_even_the_right_passphrase_after_too_many_tries(issued, client):
    record, token, passphrase = issued
    for _ in range(onetime.OPENS_PER_HOUR):
        _open(client, "y" * 22, "WRONG")  # another link's counter: does not touch this one
    for _ in range(onetime.OPENS_PER_HOUR):
        onetime.abuse.hit("external_link_open", onetime.token_hash(token).hex())
    assert _open(client, token, passphrase).status_code == 400
    record.refresh_from_db()
    assert record.opened_at is None and record.failed_attempts == 0


def test_no_cookie_and_no_store_on_the_public_page(issued, client):
    _record, token, passphrase = issued
    for response in (client.get(f"/r/{token}/"), _open(client, token, "WRONG"), _open(client, token, passphrase)):
        assert not response.cookies, response.cookies
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/r/{token}/?lang=es").content.count(b"Frase de paso") >= 1


def test_nothing_shared_is_stored_in_clear_and_the_passphrase_is_not_stored(issued):
    _record, token, passphrase = issued
    assert not plaintext_hits(SECRET_NEED, SECRET_NOTE, "Yolanda Velázquez", passphrase.replace(" ", ""), token)


def test_the_opening_is_audited_in_the_senders_trail(issued, client):
    record, token, passphrase = issued
    _open(client, token, passphrase)
    entry = AuditEntry.objects.get(action="referral.external_opened")
    assert entry.organisation_id == record.organisation_id and entry.actor_id is None
    assert AuditEntry.objects.filter(action="referral.external_link", organisation_id=record.organisation_id).exists()


def test_the_sent_list_shows_the_status(issued, staff_a, client):
    record, token, passphrase = issued
    sender = verified_client(staff_a[Role.CASE_WORKER])
    page = sender.get(reverse("referral:sent")).content.decode()
    assert str(ExternalStatus.LINK_SENT.label) in page
    _open(client, token, passphrase)
    page = sender.get(reverse("referral:sent")).content.decode()
    assert str(ExternalStatus.OPENED.label) in page
    # An opened link can no longer be revoked.
    assert sender.post(reverse("referral:external_revoke", kwargs={"pk": record.pk})).status_code == 302
    record.refresh_from_db()
    assert record.revoked_at is None


def test_the_sender_may_choose_1_to_14_days_only(setup, staff_a):
    case, service = setup
    _c, too_long = _send(staff_a, case, service, days="15")
    assert too_long.status_code == 400 and not ExternalReferral.objects.exists()
    _c, one = _send(staff_a, case, service, days="1")
    assert one.status_code == 200
    record = ExternalReferral.objects.get()
    assert record.expires_at - record.created_at == datetime.timedelta(days=1)


def test_without_consent_to_referral_nothing_is_sent(staff_a, org_b):
    load_global_types()
    service = Service.objects.create(
        organisation=org_b,
        name="Clínica",
        on_amparo=False,
        service_type=ServiceType.objects.get(organisation=None, code="legal_aid"),
        intake_contact="+51 1 222 3333",
    )
    case = registered_case(staff_a[Role.CASE_WORKER])  # no consent to referral
    _c, response = _send(staff_a, case, service)
    assert response.status_code == 400 and not ExternalReferral.objects.exists()
    assert b"consent" in response.content


def test_the_printed_sheet_shows_the_fields_stores_none_and_is_audited(setup, staff_a):
    case, service = setup
    _c, response = _send(staff_a, case, service, kind="print")
    assert response.status_code == 200 and SECRET_NEED.encode() in response.content
    record = ExternalReferral.objects.get()
    assert record.current_status() == ExternalStatus.PRINTED
    assert not plaintext_hits(SECRET_NEED, SECRET_NOTE)
    assert AuditEntry.objects.filter(action="referral.external_print", organisation_id=record.organisation_id).exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    token=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%"), min_size=1, max_size=80
    ),
    passphrase=st.text(max_size=300),
)
def test_bad_input_never_500(issued, client, token, passphrase):
    from django.core.cache import cache

    cache.clear()
    response = client.post(f"/r/{token}/", {"passphrase": passphrase.replace("\x00", "")})
    assert response.status_code in (400, 404), response.status_code
    assert not response.cookies


def test_another_organisation_cannot_post_the_form_for_a_case_not_its_own(setup, staff_b):
    case, service = setup
    client = verified_client(staff_b[Role.CASE_WORKER])
    body = {"service": service.pk, "field_set": "legal_aid", "kind": "link", "days": "7", "f_full_name": "X"}
    refused = client.post(reverse("referral:external_create", kwargs={"reference": case.reference}), body)
    missing = client.post(reverse("referral:external_create", kwargs={"reference": "NOPE0000"}), body)
    assert refused.status_code == missing.status_code == 404
    assert not ExternalReferral.objects.exists()


def test_the_demo_shows_a_link_in_sent_by_us(settings, db):
    from django.core.management import call_command

    from amparo.accounts.models import User

    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # still one: created once
    record = ExternalReferral.objects.get()
    worker = User.objects.get(organisation_id=record.organisation_id, role=Role.CASE_WORKER)
    page = verified_client(worker).get(reverse("referral:sent")).content.decode()
    assert str(ExternalStatus.LINK_SENT.label) in page and "fuera de Amparo" in page
