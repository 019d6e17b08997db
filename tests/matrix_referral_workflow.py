"""Permission-matrix expectations for referrals between organisations (decision 0020).

A referral has two parties. The matrix's referrals are between organisation A and a third
organisation, Gamma Casa, so that organisation B's staff are a third party: every one of
B's roles must get, for A's referrals, exactly what a missing referral gets. Referrals A
sent are acted on by A as the sender (revoke, update); referrals Gamma sent to A's service
are acted on by A as the receiver (accept, decline, start, complete).
"""

from __future__ import annotations

import base64
import datetime

from django.utils import timezone
from nacl.public import PrivateKey

from amparo.accounts.models import AgreementStatus, Organisation, OrganisationType, SharingAgreement
from amparo.core.models import OrganisationKeys
from amparo.core.permissions import Perm, Role
from amparo.referrals.models import Referral, Service, ServiceType
from amparo.referrals.services import load_global_types
from amparo.referrals.workflow_models import ReferralStatus
from amparo.reports.models import Signal
from amparo.reports.vocabularies import SignalStatus
from tests.conftest import make_user, registered_case

EXPECTATIONS = {
    "referral:waiting": ("GET", Perm.REFERRAL_VIEW, None),
    "referral:sent": ("GET", Perm.REFERRAL_VIEW, None),
    "referral:overdue": ("GET", Perm.REFERRAL_VIEW, None),
    "referral:figures": ("GET", Perm.REFERRAL_VIEW, None),
    "referral:figures_csv": ("GET", Perm.REFERRAL_VIEW, None),
    "referral:network": ("GET", Perm.NETWORK_FIGURES, None),
    "referral:network_csv": ("GET", Perm.NETWORK_FIGURES, None),
    "referral:create": ("POST", Perm.REFERRAL_SEND, "referral_case"),
    "referral:create_signal": ("POST", Perm.REFERRAL_SEND_SIGNAL, "referral_signal"),
    "referral:waiting_csv": ("GET", Perm.REFERRAL_VIEW, None),
    "referral:sent_csv": ("GET", Perm.REFERRAL_VIEW, None),
    "referral:detail": ("GET", Perm.REFERRAL_VIEW, "referral_out"),
    "referral:accept": ("POST", Perm.REFERRAL_DECIDE, "referral_in_accept"),
    "referral:decline": ("POST", Perm.REFERRAL_DECIDE, "referral_in_decline"),
    "referral:start": ("POST", Perm.REFERRAL_DECIDE, "referral_in_start"),
    "referral:complete": ("POST", Perm.REFERRAL_DECIDE, "referral_in_complete"),
    "referral:revoke": ("POST", Perm.REFERRAL_SEND, "referral_out_revoke"),
    "referral:update": ("POST", Perm.REFERRAL_SEND, "referral_out_update"),
    "api:referral_list": ("GET", Perm.REFERRAL_VIEW, None),
    "api:referral_detail": ("GET", Perm.REFERRAL_VIEW, "referral_out"),
    "api:referral_accept": ("POST", Perm.REFERRAL_DECIDE, "referral_in_api_accept"),
    "api:referral_decline": ("POST", Perm.REFERRAL_DECIDE, "referral_in_api_decline"),
}

READ_ONLY = {"referral:detail", "api:referral_detail"}


def _gamma_service_pk(ctx) -> int:
    return Service.objects.get(name="Gamma Casa de acogida").pk


POST_BODIES = {
    "referral:create": lambda ctx: {
        "service": _gamma_service_pk(ctx),
        "field_set": "shelter_intake",
        "f_first_name": "Yolanda",
        "f_immediate_needs": "A bed tonight",
        "note": "Call first",
    },
    "referral:create_signal": lambda ctx: {
        "service": _gamma_service_pk(ctx),
        "field_set": "signal_alert",
        "legal_basis": "vital_interests",
        "f_area": "Lima",
        "f_triage_summary": "Three women kept in a house",
        "note": "Urgent",
    },
    "referral:accept": lambda ctx: {},
    "referral:decline": lambda ctx: {"reason": "no_capacity", "note": "Full this week"},
    "referral:start": lambda ctx: {},
    "referral:complete": lambda ctx: {"outcome": "provided", "note": "Done"},
    "referral:revoke": lambda ctx: {"reason": "error"},
    "referral:update": lambda ctx: {"text": "She arrives at nine"},
    "api:referral_accept": lambda ctx: {},
    "api:referral_decline": lambda ctx: {"reason": "no_capacity"},
}


def _keys_for(org: Organisation) -> None:
    private = PrivateKey.generate()
    OrganisationKeys.objects.create(
        organisation=org, public_key=base64.b64encode(bytes(private.public_key)).decode(), recovery_box="-"
    )


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    load_global_types()
    gamma = Organisation.objects.create(name="Gamma Casa", org_type=OrganisationType.NGO, country="PER")
    _keys_for(gamma)
    shelter = ServiceType.objects.get(organisation=None, code="shelter")
    gamma_service = Service.objects.create(
        organisation=gamma, name="Gamma Casa de acogida", service_type=shelter, intake_contact="+51 1 000 0000"
    )
    a_service = Service.objects.create(
        organisation=org_a,
        name="Refugio Matriz",
        service_type=shelter,
        intake_contact="+52 1 000 0000",
        is_published=False,
    )
    today = timezone.localdate()
    agreement = SharingAgreement.objects.create(
        proposer=org_a,
        receiver=gamma,
        purposes=["referral"],
        field_sets=["shelter_intake", "signal_alert"],
        field_sets_version="2026.1",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=90),
        status=AgreementStatus.ACTIVE,
    )
    case = registered_case(staff_a[Role.CASE_WORKER], referral=("consent", True))
    gamma_case = registered_case(make_user(gamma, Role.CASE_WORKER), referral=("consent", True))
    now = timezone.now()
    common = {
        "field_set": "shelter_intake",
        "field_sets_version": "2026.1",
        "basis": "agreement",
        "sealed_content": b"sealed",
        "sent_at": now,
        "due_at": now + datetime.timedelta(hours=72),
    }

    def out() -> int:
        return Referral.objects.create(
            sender=org_a,
            receiver=gamma,
            service=gamma_service,
            service_type_code="shelter",
            case=case,
            agreement=agreement,
            **common,
        ).pk

    def received(status: str = ReferralStatus.SENT) -> int:
        return Referral.objects.create(
            sender=gamma,
            receiver=org_a,
            service=a_service,
            service_type_code="shelter",
            status=status,
            case=gamma_case,
            agreement=agreement,
            **common,
        ).pk

    signal = Signal.objects.create(
        organisation=org_a, channel="call", arrived_on=today, sealed=b"x", status=SignalStatus.IN_REVIEW
    )
    return {
        "referral_case": {"reference": case.reference},
        "referral_signal": {"reference": signal.reference},
        "referral_out": {"pk": out()},
        "referral_out_revoke": {"pk": out()},
        "referral_out_update": {"pk": out()},
        "referral_in_accept": {"pk": received()},
        "referral_in_decline": {"pk": received()},
        "referral_in_api_accept": {"pk": received()},
        "referral_in_api_decline": {"pk": received()},
        "referral_in_start": {"pk": received(ReferralStatus.ACCEPTED)},
        "referral_in_complete": {"pk": received(ReferralStatus.IN_PROGRESS)},
        "referral_in_open_case": {"pk": received(ReferralStatus.ACCEPTED)},
    }


#: Opening one's own case needs case.edit (case workers, who also decide referrals).
EXPECTATIONS["referral:open_case"] = ("GET", Perm.CASE_EDIT, "referral_in_open_case")
POST_BODIES["referral:open_case"] = lambda ctx: {
    "explained": "on",
    "given_by": "person",
    "text_language": "en",
    "agreed_services": "on",
    **{f"basis_{p}": "consent" for p in ("services", "referral", "law_enforcement", "research", "tracing")},
    "given_name": "Yolanda",
    "summary": "Needs a bed",
}
