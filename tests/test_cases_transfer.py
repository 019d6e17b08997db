"""Transfer of a case's ownership to another organisation (issue 4, item 8): only with
consent to referral, decided by the receiver's administrator, audited on both sides."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from amparo.cases import services
from amparo.cases.models import Case, CaseTransfer
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, verified_client


def _case(staff_a, referral=True):
    actor = as_verified(staff_a[Role.CASE_WORKER])
    consent = services.consent_record(
        actor=actor,
        given_by="person",
        child_assent=False,
        text_language="es",
        purposes={"services": ("consent", True), "referral": ("consent", referral)},
    )
    return services.case_create(actor=actor, consent=consent, given_name="Marisol", family_name="Ixcot")


def _offer(staff_a, case, org_b):
    client = verified_client(staff_a[Role.CASE_WORKER])
    return client.post(
        reverse("cases:transfer_request", kwargs={"reference": case.reference}), {"to_organisation": org_b.pk}
    )


def test_a_transfer_is_offered_then_accepted_and_the_sender_loses_access(staff_a, staff_b, org_b):
    case = _case(staff_a)
    assert _offer(staff_a, case, org_b).status_code == 302
    transfer = CaseTransfer.objects.get(case=case)
    detail = reverse("cases:case_detail", kwargs={"reference": case.reference})

    # Until accepted, the receiver sees a notice with the reference, not the case file.
    receiver_admin = verified_client(staff_b[Role.ORG_ADMIN])
    notices = receiver_admin.get(reverse("cases:transfer_list"))
    assert case.reference.encode() in notices.content and b"Marisol" not in notices.content
    decide = receiver_admin.get(reverse("cases:transfer_decide", kwargs={"pk": transfer.pk}))
    assert decide.status_code == 200 and b"Marisol" not in decide.content
    assert verified_client(staff_b[Role.CASE_WORKER]).get(detail).status_code == 404
    assert verified_client(staff_a[Role.CASE_WORKER]).get(detail).status_code == 200

    response = receiver_admin.post(reverse("cases:transfer_decide", kwargs={"pk": transfer.pk}), {"decision": "accept"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.organisation_id == org_b.pk and case.assigned_to_id is None
    assert case.consents.get().organisation_id == org_b.pk
    assert verified_client(staff_a[Role.CASE_WORKER]).get(detail).status_code == 404
    page = verified_client(staff_b[Role.CASE_WORKER]).get(detail)
    assert page.status_code == 200 and b"Marisol" in page.content

    sides = set(AuditEntry.objects.filter(action="case.transfer_accepted").values_list("organisation_id", flat=True))
    assert sides == {staff_a[Role.CASE_WORKER].organisation_id, org_b.pk}
    offered = AuditEntry.objects.get(action="case.transfer_offered")
    assert offered.organisation_id == org_b.pk
    assert (
        AuditEntry.objects.get(action="case.transfer_request").organisation_id
        == staff_a[Role.CASE_WORKER].organisation_id
    )


def test_a_rejected_transfer_leaves_the_case_with_the_sender(staff_a, staff_b, org_a, org_b):
    case = _case(staff_a)
    _offer(staff_a, case, org_b)
    transfer = CaseTransfer.objects.get(case=case)
    client = verified_client(staff_b[Role.ORG_ADMIN])
    assert (
        client.post(reverse("cases:transfer_decide", kwargs={"pk": transfer.pk}), {"decision": "reject"}).status_code
        == 302
    )
    case.refresh_from_db()
    transfer.refresh_from_db()
    assert case.organisation_id == org_a.pk and transfer.decision == "rejected"
    assert set(
        AuditEntry.objects.filter(action="case.transfer_rejected").values_list("organisation_id", flat=True)
    ) == {
        org_a.pk,
        org_b.pk,
    }


def test_no_transfer_without_consent_to_referral(staff_a, org_b):
    refused = _case(staff_a, referral=False)
    response = _offer(staff_a, refused, org_b)
    assert response.status_code == 400 and b"not consented to referral" in response.content
    assert not CaseTransfer.objects.exists()


def test_consent_withdrawn_after_the_offer_blocks_the_acceptance(staff_a, staff_b, org_a, org_b):
    case = _case(staff_a)
    _offer(staff_a, case, org_b)
    services.consent_withdraw(actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, purpose="referral")
    transfer = CaseTransfer.objects.get(case=case)
    with pytest.raises(ValidationError):
        services.transfer_decide(actor=as_verified(staff_b[Role.ORG_ADMIN]), transfer=transfer, accept=True)
    case.refresh_from_db()
    assert case.organisation_id == org_a.pk and CaseTransfer.objects.get().decision == "pending"


def test_only_the_receiving_organisations_administrator_decides(staff_a, staff_b, org_b):
    case = _case(staff_a)
    _offer(staff_a, case, org_b)
    transfer = CaseTransfer.objects.get(case=case)
    for actor in (staff_a[Role.ORG_ADMIN], staff_b[Role.CASE_WORKER]):
        with pytest.raises(PermissionDenied):
            services.transfer_decide(actor=as_verified(actor), transfer=transfer, accept=True)
    sender_admin = verified_client(staff_a[Role.ORG_ADMIN])
    assert sender_admin.get(reverse("cases:transfer_decide", kwargs={"pk": transfer.pk})).status_code == 404
    assert Case.objects.get(pk=case.pk).organisation_id != org_b.pk


def test_one_pending_transfer_at_a_time(staff_a, org_b):
    case = _case(staff_a)
    _offer(staff_a, case, org_b)
    again = _offer(staff_a, case, org_b)
    assert again.status_code == 400 and b"already waiting for a transfer decision" in again.content
    assert CaseTransfer.objects.count() == 1


def test_after_a_transfer_the_receiver_does_not_see_the_senders_emergency_openings(staff_a, staff_b, org_b):
    case = _case(staff_a)
    services.break_glass_open(
        actor=as_verified(staff_a[Role.HOTLINE_ADVOCATE]),
        reference=case.reference,
        reason="safety",
        explanation="Alpha night shift: caller at the bus terminal",
    )
    detail = reverse("cases:case_detail", kwargs={"reference": case.reference})
    assert b"Alpha night shift" in verified_client(staff_a[Role.CASE_WORKER]).get(detail).content
    _offer(staff_a, case, org_b)
    transfer = CaseTransfer.objects.get(case=case)
    verified_client(staff_b[Role.ORG_ADMIN]).post(
        reverse("cases:transfer_decide", kwargs={"pk": transfer.pk}), {"decision": "accept"}
    )
    page = verified_client(staff_b[Role.CASE_WORKER]).get(detail)
    assert page.status_code == 200 and b"Marisol" in page.content
    assert b"Alpha night shift" not in page.content
    assert staff_a[Role.HOTLINE_ADVOCATE].email.encode() not in page.content


def test_after_a_transfer_the_receivers_export_holds_none_of_the_senders_emergency_openings(staff_a, staff_b, org_b):
    case = _case(staff_a)
    services.break_glass_open(
        actor=as_verified(staff_a[Role.HOTLINE_ADVOCATE]),
        reference=case.reference,
        reason="safety",
        explanation="Alpha night shift: caller at the bus terminal",
    )
    export = reverse("cases:case_export_json", kwargs={"reference": case.reference})
    before = verified_client(staff_a[Role.CASE_WORKER]).get(export, {"language": "en"})
    assert "Alpha night shift" in before.content.decode()  # the sender's own export still has it
    _offer(staff_a, case, org_b)
    transfer = CaseTransfer.objects.get(case=case)
    verified_client(staff_b[Role.ORG_ADMIN]).post(
        reverse("cases:transfer_decide", kwargs={"pk": transfer.pk}), {"decision": "accept"}
    )
    for name in ("case_export_json", "case_export"):
        response = verified_client(staff_b[Role.CASE_WORKER]).get(
            reverse(f"cases:{name}", kwargs={"reference": case.reference}), {"language": "en"}
        )
        assert response.status_code == 200 and "Marisol" in response.content.decode()
        assert "Alpha night shift" not in response.content.decode()
