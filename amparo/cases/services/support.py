"""The support plan: services with due dates, the follow-up allowed after closure, and the
overdue services shown on the home page."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.cases.models import OPEN_SERVICE_STATUSES, Case, SupportService
from amparo.cases.services.common import _require
from amparo.cases.vocabularies import ServiceType
from amparo.core import audit
from amparo.core.permissions import Perm

#: Services that go on after a case is closed: the reintegration plan is followed up.
FOLLOW_UP_SERVICES = (ServiceType.REINTEGRATION,)


def _require_open_unless_follow_up(case: Case, service_type: str) -> None:
    """A closed case takes no new or changed services except the follow-up after closure."""
    if not case.is_open and service_type not in FOLLOW_UP_SERVICES:
        raise ValidationError(
            _("This case is closed: only reintegration can be followed up. Reopen the case to change other services."),
            code="closed",
        )


def service_plan(*, actor: User, case: Case, **fields: Any) -> SupportService:
    """Add a service to the support plan, with a due date. On a closed case only a
    reintegration service (the follow-up after closure)."""
    _require(actor, Perm.CASE_EDIT, case)
    _require_open_unless_follow_up(case, fields.get("service_type", ""))
    with transaction.atomic():
        service = SupportService(case=case, created_by=actor, **fields)
        service.full_clean()
        service.save()
        audit.record(actor=actor, action="case.service_plan", obj=case, reason=f"service:{service.service_type}")
    return service


def service_update(
    *, actor: User, service: SupportService, status: str, completed_on: datetime.date | None = None
) -> SupportService:
    """Change a service's status; done needs the date it was done. On a closed case only a
    reintegration service (the follow-up after closure)."""
    _require(actor, Perm.CASE_EDIT, service.case)
    _require_open_unless_follow_up(service.case, service.service_type)
    with transaction.atomic():
        service.status, service.completed_on = status, completed_on
        service.full_clean()
        service.save(update_fields=["status", "completed_on"])
        audit.record(actor=actor, action="case.service_update", obj=service.case, reason=f"status:{status}")
    return service


def overdue_services(*, user: User) -> QuerySet[SupportService]:
    """Open services past their due date on the visible cases the user created or is assigned to."""
    mine = Case.objects.visible_to(user).filter(Q(assigned_to=user) | Q(assigned_to__isnull=True, created_by=user))
    return (
        SupportService.objects.visible_to(user)
        .filter(case__in=mine, status__in=OPEN_SERVICE_STATUSES, due_on__lt=timezone.localdate())
        .select_related("case")
        .order_by("due_on", "id")
    )
