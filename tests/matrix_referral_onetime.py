"""Permission-matrix expectations for referrals to services not on Amparo (decision 0032).

The staff routes belong to the sending organisation only (`ExternalReferral` is scoped to
it): another organisation's staff get the same 404 as for a missing one. `/r/<token>/` is
public: it asks for the passphrase and answers every failure alike.
"""

from __future__ import annotations

from amparo.core.permissions import Perm, Role
from amparo.referrals import onetime
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import load_global_types
from tests.conftest import registered_case

PUBLIC = "public"

EXPECTATIONS = {
    # The form's POST answers 200 with the passphrase, shown once (no redirect could carry it
    # without storing it): its POST is tested in tests/test_referral_onetime.py.
    "referral:external_create": ("GET", Perm.REFERRAL_SEND, "external_case"),
    "referral:external_detail": ("GET", Perm.REFERRAL_VIEW, "external_link"),
    "referral:external_revoke": ("POST", Perm.REFERRAL_SEND, "external_link_revoke"),
    "onetime_open": ("GET", PUBLIC, "external_token"),
}

#: external_create's POST answers 200 with the passphrase shown once, never a redirect, so the
#: matrix's "valid body answers 302" check cannot hold for it: its POST (A's staff succeed,
#: another organisation's get the 404 of a missing case and nothing is stored) is in
#: tests/test_referral_onetime.py.
READ_ONLY = {"referral:external_detail", "referral:external_create"}

POST_BODIES = {"referral:external_revoke": lambda ctx: {}}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    load_global_types()
    legal = ServiceType.objects.get(organisation=None, code="legal_aid")
    service = Service.objects.create(
        organisation=org_b,
        name="Clínica jurídica Matriz",
        on_amparo=False,
        provider_name="Universidad (no en Amparo)",
        service_type=legal,
        intake_contact="+51 1 111 1111",
    )
    worker = staff_a[Role.CASE_WORKER]
    case = registered_case(worker, referral=("consent", True))

    def link() -> onetime.Issued:
        return onetime.link_issue(
            actor=worker, case=case, service=service, field_set="legal_aid", values={"full_name": "Matrix Person"}
        )

    first = link()
    return {
        "external_case": {"reference": case.reference},
        "external_link": {"pk": first.referral.pk},
        "external_link_revoke": {"pk": link().referral.pk},
        "external_token": {"token": first.token},
    }
