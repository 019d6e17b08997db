"""Data-sharing agreements between organisations (issue 9, part 3; decision 0019)."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from amparo.accounts import services
from amparo.accounts.models import (
    AgreementStatus,
    EmergencySharingBasis,
    Organisation,
    OrganisationType,
    SharingAgreement,
)
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, make_user

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def org_c(db) -> Organisation:
    return Organisation.objects.create(name="Gamma Shelter", org_type=OrganisationType.NGO, country="MEX")


@pytest.fixture
def admin_a(staff_a):
    return as_verified(staff_a[Role.ORG_ADMIN])


@pytest.fixture
def admin_b(staff_b):
    return as_verified(staff_b[Role.ORG_ADMIN])


def propose(actor, receiver, **overrides):
    values = {
        "purposes": ["referral"],
        "field_sets": ["shelter_intake"],
        "starts_on": TODAY,
        "ends_on": TODAY + 30 * DAY,
    }
    values.update(overrides)
    return services.agreement_propose(actor=actor, receiver=receiver, **values)


def test_propose_accept_end_audited_in_both_organisations_and_mailed_without_personal_data(
    admin_a, admin_b, org_a, org_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = propose(admin_a, org_b)
    assert agreement.status == AgreementStatus.PROPOSED
    assert [m.to for m in mail.outbox] == [[admin_b.email]]
    assert "Alpha Refuge" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_accept(actor=admin_b, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE and agreement.decided_by == admin_b
    assert mail.outbox[-1].to == [admin_a.email]
    with django_capture_on_commit_callbacks(execute=True):
        services.agreement_end(actor=admin_a, agreement=agreement, reason="Programme closed")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ENDED and agreement.ended_by_organisation == org_a
    assert mail.outbox[-1].to == [admin_b.email]
    assert all("Programme closed" not in m.body for m in mail.outbox)
    for org in (org_a, org_b):
        actions = set(
            AuditEntry.objects.filter(organisation=org, object_id=str(agreement.pk)).values_list("action", flat=True)
        )
        assert actions == {"agreement.propose", "agreement.accept", "agreement.end"}, org


def test_decline_needs_a_reason_and_is_audited(admin_a, admin_b, org_b):
    agreement = propose(admin_a, org_b)
    with pytest.raises(ValidationError):
        services.agreement_decline(actor=admin_b, agreement=agreement, reason="  ")
    services.agreement_decline(actor=admin_b, agreement=agreement, reason="No capacity")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DECLINED and agreement.decline_reason == "No capacity"
    assert AuditEntry.objects.filter(action="agreement.decline", object_id=str(agreement.pk)).count() == 2


@pytest.mark.parametrize(
    "overrides",
    [
        {"ends_on": TODAY - DAY, "starts_on": TODAY},
        {"ends_on": TODAY - 2 * DAY, "starts_on": TODAY - 5 * DAY},
        {"purposes": []},
        {"purposes": ["research"]},
        {"field_sets": []},
        {"field_sets": ["full_case"]},
    ],
)
def test_propose_refuses_bad_input_and_changes_nothing(admin_a, org_b, overrides):
    with pytest.raises(ValidationError):
        propose(admin_a, org_b, **overrides)
    assert not SharingAgreement.objects.exists() and not AuditEntry.objects.exists()


def test_proposing_to_ones_own_organisation_is_refused(admin_a, org_a):
    with pytest.raises(ValidationError):
        propose(admin_a, org_a)
    assert not SharingAgreement.objects.exists()


def test_accepting_or_declining_ones_own_proposal_is_refused(admin_a, org_b):
    agreement = propose(admin_a, org_b)
    with pytest.raises(ValidationError):
        services.agreement_accept(actor=admin_a, agreement=agreement)
    with pytest.raises(ValidationError):
        services.agreement_decline(actor=admin_a, agreement=agreement, reason="x")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PROPOSED


def test_acting_on_an_ended_or_declined_agreement_is_refused(admin_a, admin_b, org_b):
    ended = propose(admin_a, org_b)
    services.agreement_accept(actor=admin_b, agreement=ended)
    services.agreement_end(actor=admin_b, agreement=ended, reason="Done")
    for call in (
        lambda: services.agreement_accept(actor=admin_b, agreement=ended),
        lambda: services.agreement_decline(actor=admin_b, agreement=ended, reason="x"),
        lambda: services.agreement_end(actor=admin_a, agreement=ended, reason="again"),
    ):
        with pytest.raises(ValidationError):
            call()
    declined = propose(admin_a, org_b)
    services.agreement_decline(actor=admin_b, agreement=declined, reason="No")
    with pytest.raises(ValidationError):
        services.agreement_accept(actor=admin_b, agreement=declined)
    with pytest.raises(ValidationError):
        services.agreement_end(actor=admin_b, agreement=declined, reason="x")


def test_the_proposer_may_withdraw_a_proposal_the_receiver_may_not_end_it(admin_a, admin_b, org_b):
    agreement = propose(admin_a, org_b)
    with pytest.raises(ValidationError):
        services.agreement_end(actor=admin_b, agreement=agreement, reason="x")
    services.agreement_end(actor=admin_a, agreement=agreement, reason="Withdrawn")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ENDED


def test_an_expired_proposal_can_no_longer_be_accepted(admin_a, admin_b, org_b):
    agreement = propose(admin_a, org_b)
    SharingAgreement.objects.filter(pk=agreement.pk).update(starts_on=TODAY - 10 * DAY, ends_on=TODAY - DAY)
    agreement.refresh_from_db()
    assert agreement.current_status() == AgreementStatus.EXPIRED
    with pytest.raises(ValidationError):
        services.agreement_accept(actor=admin_b, agreement=agreement)


def test_expired_is_computed_from_the_end_date(admin_a, admin_b, org_b):
    agreement = propose(admin_a, org_b, ends_on=TODAY + DAY)
    services.agreement_accept(actor=admin_b, agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.current_status() == AgreementStatus.ACTIVE
    assert agreement.current_status(on=TODAY + 2 * DAY) == AgreementStatus.EXPIRED


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ORG_ADMIN])
def test_only_administrators_propose_and_decide(staff_a, staff_b, org_b, admin_a, role):
    with pytest.raises(PermissionDenied):
        propose(as_verified(staff_a[role]), org_b)
    agreement = propose(admin_a, org_b)
    with pytest.raises(PermissionDenied):
        services.agreement_accept(actor=as_verified(staff_b[role]), agreement=agreement)
    with pytest.raises(PermissionDenied):
        services.emergency_basis_record(
            actor=as_verified(staff_a[role]), recipient=org_b, purpose="referral", field_set="legal_aid", reason="x"
        )


def test_a_third_organisations_administrator_cannot_act_or_see(admin_a, org_b, org_c):
    agreement = propose(admin_a, org_b)
    outsider = as_verified(make_user(org_c, Role.ORG_ADMIN))
    assert not SharingAgreement.objects.visible_to(outsider).exists()
    for call in (
        lambda: services.agreement_accept(actor=outsider, agreement=agreement),
        lambda: services.agreement_decline(actor=outsider, agreement=agreement, reason="x"),
        lambda: services.agreement_end(actor=outsider, agreement=agreement, reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_both_parties_see_the_agreement_case_workers_read_only_others_nothing(
    admin_a, admin_b, staff_a, staff_b, org_b
):
    agreement = propose(admin_a, org_b)
    for user in (admin_a, admin_b, as_verified(staff_a[Role.CASE_WORKER]), as_verified(staff_b[Role.CASE_WORKER])):
        assert list(SharingAgreement.objects.visible_to(user)) == [agreement]
    for role in (Role.ANALYST, Role.AUTHORITY, Role.HOTLINE_ADVOCATE):
        assert not SharingAgreement.objects.visible_to(as_verified(staff_b[role])).exists()


# --- agreement_allows: the truth table ---------------------------------------------------


@pytest.fixture
def active(admin_a, admin_b, org_b):
    agreement = propose(admin_a, org_b, purposes=["referral", "services"], field_sets=["shelter_intake"])
    services.agreement_accept(actor=admin_b, agreement=agreement)
    agreement.refresh_from_db()
    return agreement


def allows(org_from, org_to, purpose="referral", field_set="shelter_intake", on=None):
    return services.agreement_allows(from_org=org_from, to_org=org_to, purpose=purpose, field_set=field_set, on=on)


def test_allows_an_active_agreement_both_ways(active, org_a, org_b):
    for from_org, to_org in ((org_a, org_b), (org_b, org_a)):
        decision = allows(from_org, to_org)
        assert decision.allowed and decision.agreement_id == active.pk and decision.emergency_basis_id is None


def test_refuses_before_start_and_after_end(active, org_a, org_b):
    SharingAgreement.objects.filter(pk=active.pk).update(starts_on=TODAY + DAY, ends_on=TODAY + 9 * DAY)
    assert allows(org_a, org_b).refusal == "not_started"
    assert allows(org_a, org_b, on=TODAY + 2 * DAY).allowed
    SharingAgreement.objects.filter(pk=active.pk).update(starts_on=TODAY - 9 * DAY, ends_on=TODAY - DAY)
    decision = allows(org_a, org_b)
    assert not decision and decision.refusal == "expired"


def test_refuses_ended_declined_and_proposed(admin_a, admin_b, active, org_a, org_b):
    services.agreement_end(actor=admin_b, agreement=active, reason="Done")
    assert allows(org_a, org_b).refusal == "no_agreement"
    declined = propose(admin_a, org_b)
    assert allows(org_a, org_b).refusal == "no_agreement"  # proposed, not accepted
    services.agreement_decline(actor=admin_b, agreement=declined, reason="No")
    assert allows(org_a, org_b).refusal == "no_agreement"


def test_refuses_a_purpose_or_field_set_the_agreement_does_not_name(active, org_a, org_b):
    assert allows(org_a, org_b, purpose="tracing").refusal == "purpose"
    assert allows(org_a, org_b, field_set="legal_aid").refusal == "field_set"


def test_refuses_a_third_organisation(active, org_a, org_c):
    assert allows(org_a, org_c).refusal == "no_agreement"
    assert allows(org_a, org_a).refusal == "no_agreement"


def test_emergency_basis_allows_for_72_hours_one_way_for_its_purpose_and_field_set(
    admin_a, admin_b, org_a, org_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        basis = services.emergency_basis_record(
            actor=admin_a, recipient=org_b, purpose="referral", field_set="legal_aid", reason="Imminent danger"
        )
    assert basis.expires_at - basis.recorded_at == datetime.timedelta(hours=72)
    decision = allows(org_a, org_b, field_set="legal_aid")
    assert decision.allowed and decision.emergency_basis_id == basis.pk and decision.agreement_id is None
    assert not allows(org_b, org_a, field_set="legal_aid")  # the basis is the sharing organisation's
    assert not allows(org_a, org_b, field_set="shelter_intake")
    assert not allows(org_a, org_b, purpose="services", field_set="legal_aid")
    assert AuditEntry.objects.filter(action="agreement.emergency_basis").count() == 2
    assert mail.outbox[0].to == [admin_b.email] and "Imminent danger" not in mail.outbox[0].body
    EmergencySharingBasis.objects.filter(pk=basis.pk).update(expires_at=timezone.now() - DAY)
    assert allows(org_a, org_b, field_set="legal_aid").refusal == "no_agreement"


def test_emergency_basis_refuses_bad_input(admin_a, org_a, org_b):
    for kwargs in (
        {"recipient": org_a, "purpose": "referral", "field_set": "legal_aid", "reason": "x"},
        {"recipient": org_b, "purpose": "research", "field_set": "legal_aid", "reason": "x"},
        {"recipient": org_b, "purpose": "referral", "field_set": "full_case", "reason": "x"},
        {"recipient": org_b, "purpose": "referral", "field_set": "legal_aid", "reason": " "},
    ):
        with pytest.raises(ValidationError):
            services.emergency_basis_record(actor=admin_a, **kwargs)
    assert not EmergencySharingBasis.objects.exists()


# --- Pages -------------------------------------------------------------------------------


def _without_csrf(html: bytes) -> bytes:
    import re

    return re.sub(rb'name="(csrfmiddlewaretoken|next)" value="[^"]+"', b"", html)


@pytest.mark.parametrize("role", Role.values)
def test_a_third_organisations_every_role_gets_the_404_of_a_missing_agreement(admin_a, org_b, org_c, role):
    from django.urls import reverse

    from tests.conftest import verified_client

    agreement = propose(admin_a, org_b)
    client = verified_client(make_user(org_c, role))
    for name in ("agreement_detail", "agreement_accept", "agreement_decline", "agreement_end"):
        get = client.get if name == "agreement_detail" else client.post
        other = get(reverse(f"accounts:{name}", kwargs={"pk": agreement.pk}), {"reason": "x"})
        missing = get(reverse(f"accounts:{name}", kwargs={"pk": 2**31 - 1}), {"reason": "x"})
        assert other.status_code == missing.status_code == 404, (name, role)
        assert _without_csrf(other.content) == _without_csrf(missing.content), (name, role)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.PROPOSED


def test_pages_journey_and_bad_input_in_spanish(admin_a, admin_b, org_a, org_b, settings):
    from django.urls import reverse

    from tests.conftest import verified_client

    settings.LANGUAGE_CODE = "es"
    a = verified_client(admin_a)
    b = verified_client(admin_b)
    a.cookies["django_language"] = b.cookies["django_language"] = "es"
    body = {
        "receiver": org_b.pk,
        "purposes": ["referral"],
        "field_sets": ["shelter_intake"],
        "starts_on": (TODAY + 5 * DAY).isoformat(),
        "ends_on": TODAY.isoformat(),
    }
    page = a.post(reverse("accounts:agreement_propose"), body, HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 400 and "La fecha de fin" in page.content.decode()
    page = a.post(reverse("accounts:agreement_propose"), {**body, "receiver": org_a.pk}, HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 400
    assert not SharingAgreement.objects.exists()
    page = a.post(
        reverse("accounts:agreement_propose"), {**body, "starts_on": TODAY.isoformat()}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert page.status_code == 302
    agreement = SharingAgreement.objects.get()
    # The proposer sees no accept button and cannot accept by posting.
    detail = a.get(reverse("accounts:agreement_detail", kwargs={"pk": agreement.pk}))
    assert reverse("accounts:agreement_accept", kwargs={"pk": agreement.pk}).encode() not in detail.content
    refused = a.post(reverse("accounts:agreement_accept", kwargs={"pk": agreement.pk}), follow=True)
    assert "Solo la organización que recibió la propuesta" in refused.content.decode()
    b.post(reverse("accounts:agreement_accept", kwargs={"pk": agreement.pk}))
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    for client in (a, b):
        assert "Activo" in client.get(reverse("accounts:agreement_list")).content.decode()
    empty = a.post(reverse("accounts:agreement_end", kwargs={"pk": agreement.pk}), {"reason": ""})
    assert empty.status_code == 400
    a.post(reverse("accounts:agreement_end", kwargs={"pk": agreement.pk}), {"reason": "Fin del programa"})
    again = b.post(reverse("accounts:agreement_end", kwargs={"pk": agreement.pk}), {"reason": "otra vez"}, follow=True)
    assert "Solo un acuerdo activo puede terminarse" in again.content.decode()
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ENDED and agreement.end_reason == "Fin del programa"
    form = a.get(reverse("accounts:emergency_basis_create"))
    assert form.status_code == 200
    done = a.post(
        reverse("accounts:emergency_basis_create"),
        {"recipient": org_b.pk, "purpose": "referral", "field_set": "legal_aid", "reason": "Peligro inminente"},
    )
    assert done.status_code == 302
    assert "Peligro inminente" in b.get(reverse("accounts:agreement_list")).content.decode()


def test_seed_demo_makes_one_active_referral_agreement_and_one_that_shares_only_routes(settings, db):
    from django.core.management import call_command

    from amparo.routes.models import RouteLeg

    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    agreements = list(SharingAgreement.objects.all())
    assert len(agreements) == 2
    agreement = next(a for a in agreements if "referral" in a.purposes)
    assert agreement.current_status() == AgreementStatus.ACTIVE
    assert services.agreement_allows(
        from_org=agreement.receiver, to_org=agreement.proposer, purpose="referral", field_set="legal_aid"
    ).allowed
    # The route agreement (issue 11) shares aggregates only: no person's data may pass under it.
    routes = SharingAgreement.objects.exclude(pk=agreement.pk).get()
    assert routes.purposes == ["route_aggregates"] and routes.current_status() == AgreementStatus.ACTIVE
    assert not services.agreement_allows(
        from_org=routes.proposer, to_org=routes.receiver, purpose="referral", field_set="shelter_intake"
    ).allowed
    assert RouteLeg.objects.exists()
