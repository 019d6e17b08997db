"""What every case use case shares: the permission check `_require` and whether a case was
erased at the person's request."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.cases.models import Case, CaseErasure
from amparo.core.permissions import Perm, can


def _require(actor: User, perm: str, case: Case | None = None) -> int:
    """Refuse unless the actor holds `perm` and, for a case, works in its organisation.
    Returns the actor's organisation id."""
    if not can(actor, perm) or actor.organisation_id is None:
        raise PermissionDenied
    if case is not None and case.organisation_id != actor.organisation_id:
        raise PermissionDenied
    if case is not None and perm not in (Perm.CASE_VIEW, Perm.CASE_ERASE) and _is_erased(case):
        raise ValidationError(_("This case was erased at the person's request; nothing can be added to it."))
    return actor.organisation_id


def _is_erased(case: Case) -> bool:
    return CaseErasure.objects.filter(case_id=case.pk).exists()  # scoping: of a case the caller holds; no content
