"""Which organisations' data a viewer's route aggregates cover (decision 0043).

The viewer's own organisation, plus every organisation with an agreement with it that is
active today (accepted, started, not ended or expired) and names the organisation-level
purpose "route aggregates". An agreement binds both parties both ways (as `agreement_allows`).
Ending or expiry of the agreement removes that organisation's data from the next request.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from amparo.accounts.models import AgreementStatus, SharingAgreement
from amparo.accounts.sharing import OrganisationPurpose


def covered_organisations(user: Any) -> set[int]:
    own = int(user.organisation_id)
    today = timezone.localdate()
    # scoping: which organisations share route aggregates with the viewer's; ids only, no agreement shown
    agreements = SharingAgreement.objects.filter(
        Q(proposer_id=own) | Q(receiver_id=own),
        status=AgreementStatus.ACTIVE,
        starts_on__lte=today,
        ends_on__gte=today,
    ).values_list("proposer_id", "receiver_id", "purposes")
    covered = {own}
    for proposer, receiver, purposes in agreements:
        if OrganisationPurpose.ROUTE_AGGREGATES in (purposes or []):
            covered.add(receiver if proposer == own else proposer)
    return covered
