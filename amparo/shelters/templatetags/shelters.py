"""The shelter manager's part of the home page: their shelters' occupancy, waiting lists and
the admissions and discharges of the last days."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.db.models import Q

from amparo.core.permissions import Perm, can
from amparo.shelters import services
from amparo.shelters.models import Admission, Shelter, WaitingEntry, WaitingStatus

register = template.Library()

RECENT_DAYS = 14


@register.inclusion_tag("shelters/_home.html")
def shelter_dashboard(user: Any) -> dict[str, Any]:
    """Empty for users who do not admit people to shelters."""
    if not can(user, Perm.SHELTER_ADMIT):
        return {"shelters": [], "recent": []}
    rows = []
    for shelter in Shelter.objects.visible_to(user):
        beds = services.occupancy(shelter)
        rows.append(
            {
                "shelter": shelter,
                "occupied": sum(bed.occupied for bed in beds),
                "capacity": sum(bed.capacity for bed in beds),
                "waiting": WaitingEntry.objects.visible_to(user)
                .filter(shelter=shelter, status=WaitingStatus.WAITING)
                .count(),
            }
        )
    since = services.today() - datetime.timedelta(days=RECENT_DAYS)
    stays = services.with_case_reference(
        Admission.objects.visible_to(user)
        .filter(Q(admitted_on__gte=since) | Q(discharged_on__gte=since))
        .select_related("shelter")
        .order_by("-admitted_on")[:40]
    )
    recent = []
    for stay in stays:
        if stay.admitted_on >= since:
            recent.append({"day": stay.admitted_on, "stay": stay, "discharge": False})
        if stay.discharged_on and stay.discharged_on >= since:
            recent.append({"day": stay.discharged_on, "stay": stay, "discharge": True})
    recent.sort(key=lambda item: item["day"], reverse=True)
    return {"shelters": rows, "recent": recent[:20]}
