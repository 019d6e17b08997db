"""Who opened a case: the audited read of a case file, break-the-glass emergency access and
the notices it leaves for the case's owners."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.cases.models import BREAK_GLASS_HOURS, BreakGlassAccess, Case
from amparo.cases.services.common import _require
from amparo.core import audit
from amparo.core.permissions import Perm, can


def case_read(*, actor: User, case: Case, reason: str = "") -> Case:
    """Record that `actor` opened `case` (the case must come from visible_to)."""
    if not reason and not can(actor, Perm.CASE_VIEW):
        reason = "break_glass"
    audit.record(actor=actor, action="case.view", obj=case, reason=reason)
    return case


def break_glass_open(*, actor: User, reference: str, reason: str, explanation: str) -> Case:
    """Give the actor read access to one case of their own organisation for a few hours.

    Only for roles with case.break_glass that cannot read cases anyway. The lookup ignores
    visibility on purpose (that is the point) but stays inside the actor's organisation;
    a case of another organisation is reported exactly like a missing one. The access is
    audited and shown to the case's creator and case worker.
    """
    organisation_id = _require(actor, Perm.CASE_BREAK_GLASS)
    if can(actor, Perm.CASE_VIEW):
        raise PermissionDenied
    if len(explanation.strip()) < 20:
        raise ValidationError({"explanation": _("Explain the emergency in a sentence or more.")})
    # scoping: break the glass: outside the actor's scope by design; reason asked, audited, owner notified
    case = Case.objects.filter(organisation_id=organisation_id, reference=reference.strip().upper()).first()
    if case is None:
        raise ValidationError({"reference": _("No case of your organisation has this reference.")})
    with transaction.atomic():
        BreakGlassAccess.objects.create(
            organisation_id=case.organisation_id,
            case=case,
            user=actor,
            reason=reason,
            explanation=explanation,
            expires_at=timezone.now() + timedelta(hours=BREAK_GLASS_HOURS),
        )
        audit.record(actor=actor, action="case.break_glass", obj=case, reason=f"reason:{reason}")
    return case


def emergency_notices(*, user: User) -> QuerySet[BreakGlassAccess]:
    """Emergency accesses of the last 30 days to cases the user created or is assigned to."""
    since = timezone.now() - timedelta(days=30)
    return (
        BreakGlassAccess.objects.visible_to(user)
        .filter(Q(case__created_by=user) | Q(case__assigned_to=user), started_at__gte=since)
        .select_related("case", "user")
    )
