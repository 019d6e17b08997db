"""Legal assistance given to the person and the proceedings linked to the case."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from amparo.accounts.models import User
from amparo.cases.models import Case, LegalAssistance, LegalProceeding
from amparo.cases.services.common import _require
from amparo.core import audit
from amparo.core.permissions import Perm

PROCEEDING_FIELDS = [
    "kind",
    "stage",
    "court",
    "case_number",
    "person_role",
    "started_on",
    "outcome",
    "compensation_awarded",
    "compensation_paid",
    "currency",
]


def legal_assistance_add(*, actor: User, case: Case, **fields: Any) -> LegalAssistance:
    """Record legal help given to the person. Refuses without case.legal."""
    _require(actor, Perm.CASE_LEGAL, case)
    with transaction.atomic():
        assistance = LegalAssistance(case=case, recorded_by=actor, **fields)
        assistance.full_clean()
        assistance.save()
        audit.record(
            actor=actor, action="case.legal_assistance_add", obj=case, reason=f"type:{assistance.assistance_type}"
        )
    return assistance


def proceeding_add(*, actor: User, case: Case, **fields: Any) -> LegalProceeding:
    """Link a criminal, civil, labour or administrative proceeding to the case.
    Refuses without case.legal. The audit entry names the kind, never the case number."""
    _require(actor, Perm.CASE_LEGAL, case)
    with transaction.atomic():
        proceeding = LegalProceeding(case=case, recorded_by=actor, **fields)
        proceeding.full_clean()
        proceeding.save()
        audit.record(actor=actor, action="case.proceeding_add", obj=case, reason=f"kind:{proceeding.kind}")
    return proceeding


def proceeding_update(*, actor: User, proceeding: LegalProceeding, **fields: Any) -> LegalProceeding:
    """Change a proceeding's stage, outcome, compensation or other details. Refuses without case.legal."""
    _require(actor, Perm.CASE_LEGAL, proceeding.case)
    with transaction.atomic():
        for name in PROCEEDING_FIELDS:
            if name in fields:
                setattr(proceeding, name, fields[name])
        proceeding.full_clean()
        proceeding.save()
        audit.record(
            actor=actor,
            action="case.proceeding_update",
            obj=proceeding.case,
            reason=f"proceeding:{proceeding.pk} stage:{proceeding.stage} outcome:{proceeding.outcome}",
        )
    return proceeding
