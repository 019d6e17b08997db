"""Use cases for case files. Each checks permission first and writes the audit entry."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet

from amparo.accounts.models import User
from amparo.cases.models import Case
from amparo.core import audit
from amparo.core.fields import index_for
from amparo.core.permissions import Perm, can


def case_create(*, actor: User, person_name: str, phone: str = "", summary: str = "") -> Case:
    """Open a case in the actor's organisation. Refuses actors without case.edit."""
    if not can(actor, Perm.CASE_EDIT):
        raise PermissionDenied
    with transaction.atomic():
        case = Case.objects.create(
            organisation_id=actor.organisation_id,
            person_name=person_name,
            phone=phone,
            summary=summary,
            created_by=actor,
        )
        audit.record(actor=actor, action="case.create", obj=case)
    return case


def case_read(*, actor: User, case: Case, reason: str = "") -> Case:
    """Record that `actor` opened `case` (the case must come from visible_to)."""
    audit.record(actor=actor, action="case.view", obj=case, reason=reason)
    return case


def case_search(*, actor: User, query: str) -> QuerySet[Case]:
    """Cases visible to the actor whose reference or phone number matches `query` exactly."""
    cases = Case.objects.visible_to(actor)
    query = query.strip()
    audit.record(actor=actor, action="case.list", reason="search" if query else "")
    if not query:
        return cases
    return cases.filter(reference__iexact=query) | cases.filter(phone_index=index_for(Case, "phone", query))
