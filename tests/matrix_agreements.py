"""Permission-matrix expectations for data-sharing agreements (see tests/test_permission_matrix.py).

An agreement has two parties. The matrix's agreements are between organisation A and a
third organisation, Gamma Shelter, so that organisation B's staff are the third
organisation: every one of B's roles must get, for A's agreements, exactly what a missing
agreement gets (decision 0019).
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from amparo.accounts.models import AgreementStatus, Organisation, OrganisationType, SharingAgreement
from amparo.core.permissions import Perm

EXPECTATIONS = {
    "accounts:agreement_list": ("GET", Perm.AGREEMENT_VIEW, None),
    "accounts:agreement_propose": ("GET", Perm.AGREEMENT_MANAGE, None),
    "accounts:emergency_basis_create": ("GET", Perm.AGREEMENT_MANAGE, None),
    "accounts:agreement_detail": ("GET", Perm.AGREEMENT_VIEW, "agreement"),
    "accounts:agreement_accept": ("POST", Perm.AGREEMENT_MANAGE, "agreement_proposed"),
    "accounts:agreement_decline": ("POST", Perm.AGREEMENT_MANAGE, "agreement_to_decline"),
    "accounts:agreement_end": ("POST", Perm.AGREEMENT_MANAGE, "agreement_active"),
}

READ_ONLY = {"accounts:agreement_detail"}

POST_BODIES = {
    "accounts:agreement_accept": lambda ctx: {},
    "accounts:agreement_decline": lambda ctx: {"reason": "No capacity this year"},
    "accounts:agreement_end": lambda ctx: {"reason": "The programme closed"},
}

#: Pages that list other organisations by name (only the name) to choose a party: the one
#: place where organisation A's name may appear to another organisation's staff.
ORGANISATION_NAMES_LISTED = {"accounts:agreement_propose", "accounts:emergency_basis_create"}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    gamma = Organisation.objects.create(name="Gamma Shelter", org_type=OrganisationType.NGO, country="MEX")
    today = timezone.localdate()
    common = {
        "purposes": ["referral"],
        "field_sets": ["shelter_intake"],
        "field_sets_version": "2026.1",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=90),
    }
    proposed = SharingAgreement.objects.create(proposer=gamma, receiver=org_a, **common)
    to_decline = SharingAgreement.objects.create(proposer=gamma, receiver=org_a, **common)
    active = SharingAgreement.objects.create(proposer=org_a, receiver=gamma, status=AgreementStatus.ACTIVE, **common)
    return {
        "agreement": {"pk": active.pk},
        "agreement_proposed": {"pk": proposed.pk},
        "agreement_to_decline": {"pk": to_decline.pk},
        "agreement_active": {"pk": active.pk},
    }
