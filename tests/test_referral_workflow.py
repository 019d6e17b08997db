"""The referral workflow between organisations (issue 9, part 4; decision 0020), through the
routes: need-to-know, access cut, host operator, no basis, both audit trails."""

from __future__ import annotations

import datetime

import nacl.exceptions
import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from nacl.public import PrivateKey, SealedBox

from amparo.accounts.models import Organisation, OrganisationType
from amparo.accounts.services import emergency_basis_record
from amparo.core import sealing
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals.models import Referral
from amparo.referrals.workflow_models import ReferralStatus
from tests.conftest import as_verified, make_user, verified_client
from tests.rawdb import plaintext_hits
from tests.referral_helpers import SHARED, agreement, planted_case, refer, shelter_of, unshared_markers
from tests.sealing_helpers import org_with_keys, sign_in_for_real

SHARED_VALUES = [v for k, v in SHARED.items() if k.startswith("f_immediate") or k.startswith("f_risk") or k == "note"]


@pytest.fixture
def org_c(db) -> Organisation:
    return Organisation.objects.create(name="Gamma Watch", org_type=OrganisationType.NGO, country="PER")


@pytest.fixture
def setup(staff_a, staff_b, org_a, org_b):
    org_with_keys(org_b)
    org_with_keys(org_a)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    agreement(org_a, org_b)
    case = planted_case(staff_a[Role.CASE_WORKER])
    return case, service


@pytest.fixture
def sent(setup, staff_a, django_capture_on_commit_callbacks):
    case, service = setup
    with django_capture_on_commit_callbacks(execute=True):
        response = refer(verified_client(staff_a[Role.CASE_WORKER]), case, service)
    assert response.status_code == 302, response.content[:2000]
    return Referral.objects.get(), case


def _pages(client, referral) -> bytes:
    out = b""
    for name in ("referral:waiting", "referral:sent", "referral:overdue"):
        out += client.get(reverse(name)).content
    out += client.get(reverse("referral:detail", kwargs={"pk": referral.pk})).content
    out += client.get(reverse("api:referral_list")).content
    out += client.get(reverse("api:referral_list") + "?box=sent").content
    out += client.get(reverse("api:referral_detail", kwargs={"pk": referral.pk})).content
    # The CSV exports of both lists (decision 0034): metadata only, whoever asks.
    for name in ("referral:waiting_csv", "referral:sent_csv"):
        out += client.get(reverse(name)).content
    return out


def test_the_form_prefills_only_the_chosen_fields(setup, staff_a):
    case, service = setup
    client = verified_client(staff_a[Role.CASE_WORKER])
    page = client.get(
        reverse("referral:create", kwargs={"reference": case.reference}),
        {"service": service.pk, "field_set": "shelter_intake"},
    )
    assert page.status_code == 200
    assert b"Yolanda" in page.content and "27–29".encode() in page.content
    leaked = [m for m in unshared_markers(case) if m.encode() in page.content and m != case.reference]
    assert not leaked


def test_need_to_know_every_role_of_the_receiver_sees_only_the_chosen_fields(sent, staff_b, org_c):
    referral, case = sent
    markers = unshared_markers(case)
    seen_shared = False
    for role in Role.values:
        client = sign_in_for_real(staff_b[role])
        content = _pages(client, referral).decode()
        leaked = [m for m in markers if m in content]
        assert not leaked, (role, leaked)
        seen_shared |= all(v in content for v in SHARED_VALUES)
    assert seen_shared, "the receiver's case worker should read the shared fields"
    # The e-mails carry no personal data at all: no marker, no shared value, no reference.
    for message in mail.outbox:
        body = message.subject + message.body
        assert not [m for m in markers + SHARED_VALUES + ["Yolanda"] if m in body], body
    assert mail.outbox and all("Alpha Refuge" in m.body for m in mail.outbox)


def test_a_third_organisation_gets_404_and_sees_nothing(sent, org_c):
    referral, case = sent
    for role in Role.values:
        client = verified_client(make_user(org_c, role))
        for name in ("referral:detail", "api:referral_detail"):
            got = client.get(reverse(name, kwargs={"pk": referral.pk}))
            missing = client.get(reverse(name, kwargs={"pk": 2**31 - 1}))
            assert got.status_code == missing.status_code, (role, name)
            assert got.status_code in (403, 404)
        for name in ("referral:accept", "referral:revoke", "api:referral_accept"):
            assert client.post(reverse(name, kwargs={"pk": referral.pk}), {"reason": "error"}).status_code in (403, 404)
        content = _pages(client, referral).decode()
        assert not [m for m in unshared_markers(case) + SHARED_VALUES + ["Casa Refugio"] if m in content], role
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT


def _receiver_reads(client, referral) -> bool:
    page = client.get(reverse("referral:detail", kwargs={"pk": referral.pk}))
    api = client.get(reverse("api:referral_detail", kwargs={"pk": referral.pk}))
    assert page.status_code == api.status_code == 200
    return SHARED["f_immediate_needs"].encode() in page.content + api.content


def test_revocation_cuts_the_receivers_access_at_once(sent, staff_a, staff_b):
    referral, _case = sent
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    assert _receiver_reads(receiver, referral)
    done = verified_client(staff_a[Role.CASE_WORKER]).post(
        reverse("referral:revoke", kwargs={"pk": referral.pk}), {"reason": "safety"}
    )
    assert done.status_code == 302
    assert not _receiver_reads(receiver, referral)
    page = receiver.get(reverse("referral:detail", kwargs={"pk": referral.pk}))
    assert b"revoked" in page.content  # B still sees that the referral existed, and its status
    assert receiver.post(reverse("referral:accept", kwargs={"pk": referral.pk})).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REVOKED


def test_expiry_cuts_the_receivers_access(sent, staff_b):
    referral, _case = sent
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    assert _receiver_reads(receiver, referral)
    Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    assert not _receiver_reads(receiver, referral)
    overdue = receiver.get(reverse("referral:overdue"))
    assert b"Casa Refugio Norte" in overdue.content
    receiver.post(reverse("referral:accept", kwargs={"pk": referral.pk}))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT  # too late to accept


def test_consent_withdrawal_in_the_senders_case_cuts_access(sent, staff_a, staff_b):
    referral, case = sent
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    assert _receiver_reads(receiver, referral)
    withdrawn = verified_client(staff_a[Role.CASE_WORKER]).post(
        reverse("cases:consent_withdraw", kwargs={"reference": case.reference}), {"purpose": "referral"}
    )
    assert withdrawn.status_code == 302
    assert not _receiver_reads(receiver, referral)


def test_the_end_of_the_agreement_cuts_access(sent, staff_a, staff_b):
    referral, _case = sent
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    assert _receiver_reads(receiver, referral)
    ended = verified_client(staff_b[Role.ORG_ADMIN]).post(
        reverse("accounts:agreement_end", kwargs={"pk": referral.agreement_id}), {"reason": "Programme closed"}
    )
    assert ended.status_code == 302
    assert not _receiver_reads(receiver, referral)


def test_the_host_operator_cannot_read_the_shared_fields(sent, staff_b):
    referral, _case = sent
    # Raw scan of every table: neither the shared values nor the unshared markers in clear.
    assert not plaintext_hits(*SHARED_VALUES)
    # With the database row and the key file but no B password: no unlocked key, no content.
    request = RequestFactory().get("/")
    request.session = {}
    request.user = as_verified(staff_b[Role.CASE_WORKER])
    with pytest.raises(sealing.Locked):
        sealing.unseal(request, referral.receiver_id, bytes(referral.sealed_content))
    with pytest.raises(nacl.exceptions.CryptoError):
        SealedBox(PrivateKey.generate()).decrypt(bytes(referral.sealed_content))
    # The receiver's own unlocked session opens it: the blob is the content, sealed.
    assert _receiver_reads(sign_in_for_real(staff_b[Role.CASE_WORKER]), referral)


def test_no_basis_is_refused_with_a_message_and_nothing_is_stored(staff_a, staff_b, org_a, org_b):
    org_with_keys(org_b)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    case = planted_case(staff_a[Role.CASE_WORKER])
    before = AuditEntry.objects.count()
    response = refer(verified_client(staff_a[Role.CASE_WORKER]), case, service)
    assert response.status_code == 400
    assert b"no data-sharing agreement" in response.content
    assert not Referral.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="referral.").exists()
    assert AuditEntry.objects.count() == before


def test_a_field_set_outside_the_agreement_is_refused(setup, staff_a):
    case, service = setup
    response = refer(verified_client(staff_a[Role.CASE_WORKER]), case, service, field_set="legal_aid")
    assert response.status_code == 400
    assert b"does not cover this set of fields" in response.content
    assert not Referral.objects.exists()


def test_an_emergency_basis_is_recorded_as_the_basis(staff_a, staff_b, org_a, org_b):
    org_with_keys(org_b)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    case = planted_case(staff_a[Role.CASE_WORKER])
    emergency_basis_record(
        actor=as_verified(staff_a[Role.ORG_ADMIN]),
        recipient=org_b,
        purpose="referral",
        field_set="shelter_intake",
        reason="Imminent danger tonight",
    )
    assert refer(verified_client(staff_a[Role.CASE_WORKER]), case, service).status_code == 302
    assert Referral.objects.get().basis == "emergency"


def test_without_consent_to_referral_it_is_refused(setup, staff_a):
    case, service = setup
    verified_client(staff_a[Role.CASE_WORKER]).post(
        reverse("cases:consent_withdraw", kwargs={"reference": case.reference}), {"purpose": "referral"}
    )
    page = verified_client(staff_a[Role.CASE_WORKER]).get(
        reverse("cases:case_detail", kwargs={"reference": case.reference})
    )
    assert reverse("referral:create", kwargs={"reference": case.reference}).encode() not in page.content
    response = refer(verified_client(staff_a[Role.CASE_WORKER]), case, service)
    assert response.status_code == 400
    assert b"not consented to referral" in response.content
    assert not Referral.objects.exists()


def test_accept_progress_done_outcome_back_to_the_sender_audited_in_both(sent, staff_a, staff_b, org_a, org_b):
    referral, case = sent
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    pk = {"pk": referral.pk}
    assert _receiver_reads(receiver, referral)
    assert receiver.post(reverse("referral:accept", kwargs=pk)).status_code == 302
    assert receiver.post(reverse("referral:start", kwargs=pk)).status_code == 302
    done = receiver.post(
        reverse("referral:complete", kwargs=pk), {"outcome": "provided", "note": "Qqoutcome she is safe"}
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DONE and referral.outcome == "provided"
    assert b"Qqoutcome" not in bytes(referral.sealed_reply)
    sender = sign_in_for_real(staff_a[Role.CASE_WORKER])
    page = sender.get(reverse("referral:detail", kwargs=pk))
    assert b"Service provided" in page.content and b"Qqoutcome she is safe" in page.content
    case_page = sender.get(reverse("cases:case_detail", kwargs={"reference": case.reference}))
    assert b"Service provided" in case_page.content
    for action in ("referral.send", "referral.accept", "referral.start", "referral.complete"):
        orgs = set(AuditEntry.objects.filter(action=action).values_list("organisation_id", flat=True))
        assert orgs == {org_a.pk, org_b.pk}, action
    # The receiver's read is in B's trail with its name; in A's, that B opened it, not who.
    b_reads = AuditEntry.objects.filter(action="referral.content_read", organisation_id=org_b.pk)
    assert b_reads.exists() and all(e.actor_id == staff_b[Role.CASE_WORKER].pk for e in b_reads)
    a_side = AuditEntry.objects.filter(action="referral.content_read_by_receiver", organisation_id=org_a.pk)
    assert a_side.exists() and all(e.actor_id is None and "case_worker@" not in e.actor_label for e in a_side)


def test_decline_needs_a_reason_from_the_list(sent, staff_b):
    referral, _case = sent
    receiver = verified_client(staff_b[Role.CASE_WORKER])
    bad = receiver.post(reverse("referral:decline", kwargs={"pk": referral.pk}), {"reason": "nonsense"})
    assert bad.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT
    decline_api = reverse("api:referral_decline", kwargs={"pk": referral.pk})
    api = receiver.post(decline_api, {"reason": "nonsense"}, content_type="application/json")
    assert api.status_code == 400 and "detail" in api.json()
    ok = receiver.post(decline_api, {"reason": "no_capacity"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "declined"


def test_updates_are_sealed_and_reach_the_receiver(sent, staff_a, staff_b):
    referral, _case = sent
    sender = verified_client(staff_a[Role.CASE_WORKER])
    assert (
        sender.post(
            reverse("referral:update", kwargs={"pk": referral.pk}), {"text": "Qqupdate she arrives at 9"}
        ).status_code
        == 302
    )
    assert not plaintext_hits("Qqupdate she arrives at 9")
    page = sign_in_for_real(staff_b[Role.CASE_WORKER]).get(reverse("referral:detail", kwargs={"pk": referral.pk}))
    assert b"Qqupdate she arrives at 9" in page.content


def test_the_overdue_task_alerts_both_sides_once_without_personal_data(sent, django_capture_on_commit_callbacks):
    from amparo.referrals.workflow import overdue_alert

    referral, case = sent
    Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert overdue_alert() == 1
    assert overdue_alert() == 0
    assert len(mail.outbox) >= 2
    for message in mail.outbox:
        assert not [m for m in unshared_markers(case) + SHARED_VALUES if m in message.body]


def test_the_receiver_opens_its_own_case_which_survives_revocation(sent, staff_a, staff_b):
    referral, _case = sent
    receiver = sign_in_for_real(staff_b[Role.CASE_WORKER])
    pk = {"pk": referral.pk}
    receiver.post(reverse("referral:accept", kwargs=pk))
    form = receiver.get(reverse("referral:open_case", kwargs=pk))
    assert form.status_code == 200
    assert b"Yolanda" in form.content and SHARED["f_immediate_needs"].encode() in form.content
    body = {
        "explained": "on",
        "given_by": "person",
        "text_language": "es",
        "agreed_services": "on",
        **{f"basis_{p}": "consent" for p in ("services", "referral", "law_enforcement", "research", "tracing")},
        "given_name": "Yolanda",
        "summary": "Needs: " + SHARED["f_immediate_needs"],
    }
    opened = receiver.post(reverse("referral:open_case", kwargs=pk), body)
    assert opened.status_code == 302, opened.content[:3000]
    referral.refresh_from_db()
    own = referral.receiver_case
    assert own is not None and own.organisation_id == referral.receiver_id
    assert own.consents.get().purposes.get(purpose="services").agreed
    # A revokes: B loses the shared content, but keeps its own case (its record).
    verified_client(staff_a[Role.CASE_WORKER]).post(reverse("referral:revoke", kwargs=pk), {"reason": "safety"})
    assert not _receiver_reads(receiver, referral)
    case_page = receiver.get(reverse("cases:case_detail", kwargs={"reference": own.reference}))
    assert case_page.status_code == 200 and SHARED["f_immediate_needs"].encode() in case_page.content
    # A never sees B's case.
    assert (
        verified_client(staff_a[Role.CASE_WORKER])
        .get(reverse("cases:case_detail", kwargs={"reference": own.reference}))
        .status_code
        == 404
    )


def test_seed_demo_sends_one_sealed_referral_between_the_first_two_demo_organisations(settings, db):
    from django.core.management import call_command

    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    referral = Referral.objects.get()
    assert referral.basis == "agreement" and referral.field_set == "legal_aid"
    assert b"Ana Ejemplo" not in bytes(referral.sealed_content)


def test_referral_pages_weigh_under_100_kb_on_first_load(sent, staff_a, staff_b):
    """Each page's HTML plus every stylesheet, script and icon it links (all same-origin)."""
    import re
    from pathlib import Path

    referral, case = sent
    for _ in range(30):  # a full first page of the inbox
        Referral.objects.create(
            sender_id=referral.sender_id,
            receiver_id=referral.receiver_id,
            service=referral.service,
            service_type_code="shelter",
            field_set="shelter_intake",
            field_sets_version="2026.1",
            basis="agreement",
            sealed_content=b"x",
            due_at=timezone.now() + datetime.timedelta(hours=1),
        )
    static = Path(__file__).resolve().parent.parent / "amparo" / "static"
    receiver, sender = sign_in_for_real(staff_b[Role.CASE_WORKER]), verified_client(staff_a[Role.CASE_WORKER])
    pages = [
        receiver.get(reverse("referral:waiting")),
        receiver.get(reverse("referral:detail", kwargs={"pk": referral.pk})),
        sender.get(reverse("referral:sent")),
        sender.get(
            reverse("referral:create", kwargs={"reference": case.reference}),
            {"service": referral.service_id, "field_set": "shelter_intake"},
        ),
    ]
    for page in pages:
        assert page.status_code == 200
        assets = set(re.findall(rb'(?:href|src)="/static/([^"?]+)', page.content))
        total = len(page.content) + sum((static / a.decode()).stat().st_size for a in assets)
        assert total < 100_000, (page.wsgi_request.path, total)


@pytest.mark.parametrize(
    "query",
    [{"status": "bogus"}, {"status": "sent\x00"}, {"service_type": "shel\x00ter"}, {"page": "x"}, {"box": "all"}],
)
def test_bad_list_filters_get_a_clear_400_never_a_500(sent, staff_b, query):
    client = verified_client(staff_b[Role.CASE_WORKER])
    response = client.get(reverse("api:referral_list"), query)
    assert response.status_code == 400  # a NUL is refused before the view, the rest by it with a message
    if not any("\x00" in value for value in query.values()):
        assert response.json()["detail"]
    page = client.get(reverse("referral:waiting"), query)
    assert page.status_code in (200, 400)
