"""The victim context (HTCDS): context fields, trafficking-status decisions, the route
(trafficking events) and screenings."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.cases import texts
from amparo.cases.models import Case, Screening, TraffickingEvent, TraffickingStatusDecision
from amparo.cases.screening import assess
from amparo.cases.services.common import _require
from amparo.core import audit
from amparo.core.permissions import Perm

CONTEXT_FIELDS = [
    "relationship_to_trafficker",
    "age_when_trafficked",
    "recruitment_method",
    "means_of_control",
    "exploitation_types",
    "forced_labour_industries",
    "sexual_exploitation_types",
    "perpetrator_roles",
]


def case_update_context(*, actor: User, case: Case, **context: Any) -> Case:
    """Change the victim context (HTCDS). Refuses without case.edit."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        for name in CONTEXT_FIELDS:
            if name in context:
                value = context[name]
                setattr(case, name, value if value is not None or name == "age_when_trafficked" else "")
        case.full_clean()
        case.save()
        audit.record(actor=actor, action="case.context_update", obj=case)
    return case


def decision_record(
    *, actor: User, case: Case, status: str, deciding_organisation_type: str, decided_on: datetime.date, note: str = ""
) -> TraffickingStatusDecision:
    """Record a human decision on trafficking status; the latest decision is the case's status."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        decision = TraffickingStatusDecision(
            case=case,
            status=status,
            deciding_organisation_type=deciding_organisation_type,
            decided_on=decided_on,
            decided_by=actor,
            note=note,
        )
        decision.full_clean()
        decision.save()
        # scoping: the latest decision of the case being changed becomes its status
        case.trafficking_status = case.decisions.order_by("-decided_on", "-recorded_at", "-id")[0].status
        case.save(update_fields=["trafficking_status", "updated_at"])
        audit.record(actor=actor, action="case.decision_record", obj=case, reason=f"status:{status}")
    return decision


def event_add(*, actor: User, case: Case, **fields: Any) -> TraffickingEvent:
    """Add a step of the route (recruitment, transit, exploitation)."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        event = TraffickingEvent(case=case, recorded_by=actor, **fields)
        event.full_clean()
        event.save()
        audit.record(actor=actor, action="case.event_add", obj=case, reason=f"type:{event.event_type}")
    return event


def screening_record(
    *, actor: User, case: Case, present: Iterable[str], note: str = "", tool: str = texts.DEFAULT_TOOL
) -> Screening:
    """Record a screening with the current version of `tool`'s list: which indicators are present
    and, for lists with a combination rule, what the rule suggests. Refuses an unknown tool or
    indicator (nothing stored). The result is a suggestion; it changes no status."""
    _require(actor, Perm.CASE_EDIT, case)
    if tool not in texts.INDICATOR_LISTS:
        raise ValidationError({"tool": _("Choose one of the indicator lists offered.")})
    data = texts.indicator_list_for(tool)
    ids = [item["id"] for item in data["indicators"]]
    present = set(present)
    if present - set(ids):
        raise ValidationError(_("Choose only indicators from the list."))
    result = assess(data, present).as_json() if "rule" in data else {}
    with transaction.atomic():
        record = Screening.objects.create(
            case=case,
            tool=data["tool"],
            version=data["version"],
            answers={indicator: indicator in present for indicator in ids},
            present=len(present),
            total=len(ids),
            result=result,
            screened_by=actor,
            note=note,
        )
        suggests = f" possible:{int(result['possible_victim'])}" if result else ""
        audit.record(
            actor=actor,
            action="case.screen",
            obj=case,
            reason=f"{data['tool']}:{data['version']} {len(present)}{suggests}",
        )
    return record


def screening_read(*, actor: User, screening: Screening) -> Screening:
    """Record that `actor` opened a screening's answers (the screening must come from a visible case)."""
    with transaction.atomic():
        audit.record(actor=actor, action="case.screening_view", obj=screening.case, reason=f"screening:{screening.pk}")
    return screening
