"""Referral figures (issue 9, part 6; decision 0031), through the routes: exact counts, rates
and times from planted referrals, on the page and in the CSV; a third organisation's referrals
never counted; nothing sealed and nothing about a person on the page or in the CSV; a bad
period gets a translated 400; the Spanish page; the page weight."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Organisation, OrganisationType
from amparo.core.permissions import Role
from amparo.referrals.models import Referral
from amparo.referrals.workflow_models import ReferralStatus
from tests.conftest import make_user, registered_case, verified_client
from tests.referral_helpers import SHARED, agreement, planted_case, shelter_of, unshared_markers

SEALED_MARKER = b"Qqsealedcontentmarker"
REPLY_MARKER = b"Qqsealedreplymarker"
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)


@pytest.fixture
def planted(staff_a, staff_b, org_a, org_b):
    """A sent to B: in the last 90 days, three accepted after 2, 4 and 10 hours (one done,
    one in progress, one accepted), one declined for no capacity, one waiting, one expired;
    100 days ago one more, done. B sent A one, declined as not eligible. A third
    organisation sent B five, all done: never A's business."""
    now = timezone.now()
    a_service = shelter_of(org_a, staff_a[Role.ORG_ADMIN])
    b_service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    deal = agreement(org_a, org_b)
    case = planted_case(staff_a[Role.CASE_WORKER])
    gamma = Organisation.objects.create(name="Gamma Zzthird", org_type=OrganisationType.NGO, country="PER")
    gamma_case = registered_case(make_user(gamma, Role.CASE_WORKER), referral=("consent", True))

    def make(sender, receiver, service, *, sent_ago, status, accepted_after=None, case=case, **extra):
        sent_at = now - sent_ago
        return Referral.objects.create(
            sender=sender,
            receiver=receiver,
            service=service,
            service_type_code="shelter",
            case=case,
            field_set="shelter_intake",
            field_sets_version="2026.1",
            basis="agreement",
            agreement=deal,
            sealed_content=SEALED_MARKER,
            sealed_reply=REPLY_MARKER,
            sent_at=sent_at,
            due_at=sent_at + 24 * H,
            status=status,
            decided_at=sent_at + accepted_after if accepted_after else None,
            **extra,
        )

    make(org_a, org_b, b_service, sent_ago=10 * D, status=ReferralStatus.DONE, accepted_after=2 * H, outcome="provided")
    make(org_a, org_b, b_service, sent_ago=20 * D, status=ReferralStatus.IN_PROGRESS, accepted_after=4 * H)
    make(org_a, org_b, b_service, sent_ago=5 * D, status=ReferralStatus.ACCEPTED, accepted_after=10 * H)
    make(
        org_a,
        org_b,
        b_service,
        sent_ago=3 * D,
        status=ReferralStatus.DECLINED,
        accepted_after=1 * H,
        decline_reason="no_capacity",
    )
    make(org_a, org_b, b_service, sent_ago=2 * H, status=ReferralStatus.SENT)
    make(org_a, org_b, b_service, sent_ago=3 * D, status=ReferralStatus.SENT)
    make(org_a, org_b, b_service, sent_ago=100 * D, status=ReferralStatus.DONE, accepted_after=30 * H, outcome="partly")
    make(
        org_b,
        org_a,
        a_service,
        sent_ago=1 * D,
        status=ReferralStatus.DECLINED,
        accepted_after=3 * H,
        decline_reason="not_eligible",
        case=None,
    )
    for _ in range(5):
        make(
            gamma,
            org_b,
            b_service,
            sent_ago=1 * D,
            status=ReferralStatus.DONE,
            accepted_after=50 * H,
            outcome="not_provided",
            case=gamma_case,
        )
    return case


def _csv(client, **params) -> dict[tuple[str, str, str], str]:
    response = client.get(reverse("referral:figures_csv"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["direction", "series", "code", "label", "value"]
    return {(r[0], r[1], r[2]): r[4] for r in rows[1:]}


def test_the_csv_has_the_exact_counts_rates_and_times(planted, staff_a):
    figures = _csv(verified_client(staff_a[Role.CASE_WORKER]), period="90")
    sent = {k[2]: v for k, v in figures.items() if k[0] == "sent" and k[1] == "summary"}
    assert sent == {
        "total": "6",
        "accepted": "3",
        "declined": "1",
        "done": "1",
        "acceptance_rate_percent": "75.0",
        "completion_rate_percent": "33.3",
        "median_hours_to_acceptance": "4.0",
        "p90_hours_to_acceptance": "10.0",
    }
    assert figures["sent", "status", "expired"] == "1"
    assert figures["sent", "status", "sent"] == "1"
    assert figures["sent", "status", "done"] == "1"
    assert figures["sent", "decline_reasons", "no_capacity"] == "1"
    assert figures["sent", "outcomes", "provided"] == "1"
    assert ("sent", "outcomes", "partly") not in figures  # 100 days ago: outside the period
    received = {k[2]: v for k, v in figures.items() if k[0] == "received" and k[1] == "summary"}
    assert received["total"] == "1" and received["declined"] == "1" and received["acceptance_rate_percent"] == "0.0"
    assert received["median_hours_to_acceptance"] == ""
    assert figures["received", "decline_reasons", "not_eligible"] == "1"
    # By partner: the other party named; by type of service.
    partner = [k for k in figures if k[0] == "sent" and k[1] == "by_partner:total"]
    assert len(partner) == 1 and figures[partner[0]] == "6"
    assert figures["sent", "by_type:acceptance_rate", "shelter"] == "75.0"


def test_a_longer_period_counts_the_older_referral(planted, staff_a):
    figures = _csv(verified_client(staff_a[Role.ORG_ADMIN]), period="365")
    assert figures["sent", "summary", "total"] == "7"
    assert figures["sent", "summary", "median_hours_to_acceptance"] == "7.0"  # 2, 4, 10, 30
    assert figures["sent", "summary", "p90_hours_to_acceptance"] == "30.0"
    assert figures["sent", "summary", "completion_rate_percent"] == "50.0"


def test_the_page_shows_the_same_figures_with_charts_and_tables(planted, staff_a):
    page = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("referral:figures"), {"period": "90"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "75.0 %" in text and "33.3 %" in text and "4.0 hours" in text and "10.0 hours" in text
    assert "No capacity now" in text and "Service provided" in text
    assert text.count("<svg") >= 4 and "<script" not in text
    assert "Beta Police Unit" in text  # the partner, by name
    assert len(page.content) <= 100 * 1024


def test_a_third_organisations_referrals_are_never_counted(planted, staff_a, staff_b):
    page = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("referral:figures"))
    figures = _csv(verified_client(staff_a[Role.CASE_WORKER]))
    assert "Gamma" not in page.content.decode()
    assert not any("Gamma" in label for label in figures)
    assert ("sent", "outcomes", "not_provided") not in figures
    assert ("received", "outcomes", "not_provided") not in figures
    # B, the receiver of Gamma's five, counts them: the figures are each organisation's own.
    b_figures = _csv(verified_client(staff_b[Role.CASE_WORKER]))
    assert b_figures["received", "summary", "total"] == "11"
    assert b_figures["received", "outcomes", "not_provided"] == "5"


def test_no_sealed_content_and_nothing_about_a_person(planted, staff_a, staff_b):
    markers = [m.encode() for m in unshared_markers(planted)] + [v.encode() for v in SHARED.values()]
    markers += [SEALED_MARKER, REPLY_MARKER, b"Yolanda"]
    for user in (staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN], staff_b[Role.SHELTER_MANAGER]):
        client = verified_client(user)
        for period in ("30", "90", "365"):
            out = client.get(reverse("referral:figures"), {"period": period}).content
            out += client.get(reverse("referral:figures_csv"), {"period": period}).content
            leaked = [m for m in markers if m in out]
            assert not leaked, (user.role, period, leaked)


@pytest.mark.parametrize("period", ["7", "abc", "-30", "9" * 40, "30.0", "٣٠"])
def test_a_bad_period_gets_a_translated_400(planted, staff_a, period):
    client = verified_client(staff_a[Role.CASE_WORKER])
    for name in ("referral:figures", "referral:figures_csv"):
        response = client.get(reverse(name), {"period": period})
        assert response.status_code == 400
        assert b"Choose a period of 30, 90 or 365 days." in response.content
    es = client.get(reverse("referral:figures"), {"period": period}, headers={"accept-language": "es"})
    assert es.status_code == 400 and "Elija un periodo de 30, 90 o 365 días.".encode() in es.content


def test_a_bad_or_foreign_agreement_is_refused(planted, staff_a, org_b, staff_b):
    client = verified_client(staff_a[Role.CASE_WORKER])
    assert client.get(reverse("referral:figures"), {"agreement": "x1"}).status_code == 400
    assert client.get(reverse("referral:figures_csv"), {"series": "nope"}).status_code == 400
    gamma = Organisation.objects.get(name="Gamma Zzthird")
    foreign = agreement(gamma, org_b)
    assert client.get(reverse("referral:figures"), {"agreement": foreign.pk}).status_code == 404


def test_per_agreement_figures_count_only_that_agreements_referrals(planted, staff_a, org_a, org_b):
    client = verified_client(staff_a[Role.CASE_WORKER])
    deal = Referral.objects.filter(sender=org_a).first().agreement
    other = agreement(org_a, org_b, starts_on=timezone.localdate() - datetime.timedelta(days=5))
    Referral.objects.filter(sender=org_a, status=ReferralStatus.SENT).update(agreement=other)
    figures = _csv(client, agreement=deal.pk)
    assert figures["sent", "summary", "total"] == "4"
    assert figures["sent", "summary", "acceptance_rate_percent"] == "75.0"
    page = client.get(reverse("referral:figures"), {"agreement": other.pk})
    assert page.status_code == 200 and "Only the referrals made under the agreement" in page.content.decode()
    assert _csv(client, agreement=other.pk)["sent", "summary", "total"] == "2"


def test_the_spanish_page_has_spanish_labels(planted, staff_a):
    page = verified_client(staff_a[Role.CASE_WORKER]).get(
        reverse("referral:figures"), headers={"accept-language": "es"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Cifras de derivaciones" in text and "Tasa de aceptación" in text and "Sin capacidad" in text
    assert "Acceptance rate" not in text
    assert len(page.content) <= 100 * 1024
