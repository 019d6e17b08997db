"""Consent per purpose: recording the conversation before the case exists, withdrawal,
overrides on another lawful basis, and `consent_allows`, the one way to ask whether a
purpose is allowed."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.cases import texts
from amparo.cases.models import Case, Consent, ConsentGrant, ConsentOverride
from amparo.cases.services.common import _require
from amparo.cases.vocabularies import LawfulBasis
from amparo.core import audit
from amparo.core.permissions import Perm

CONSENT_OVERRIDE_HOURS = 24


def consent_record(
    *,
    actor: User,
    given_by: str,
    child_assent: bool,
    text_language: str,
    purposes: dict[str, tuple[str, bool]],
    text_version: str | None = None,
) -> Consent:
    """Record the consent conversation before the case exists: for each purpose, the lawful
    basis and whether the person agreed. Refuses without case.edit."""
    organisation_id = _require(actor, Perm.CASE_EDIT)
    text_version = text_version or texts.consent_text()["version"]
    if text_language not in texts.consent_text()["languages"]:
        raise ValidationError({"text_language": _("The consent text does not exist in this language.")})
    with transaction.atomic():
        consent = Consent(
            organisation_id=organisation_id,
            given_by=given_by,
            child_assent=child_assent,
            text_version=text_version,
            text_language=text_language,
            recorded_by=actor,
        )
        consent.full_clean()
        consent.save()
        for purpose, (basis, agreed) in purposes.items():
            row = ConsentGrant(consent=consent, purpose=purpose, lawful_basis=basis, agreed=agreed)
            row.full_clean()
            row.save()
        audit.record(actor=actor, action="case.consent_record", obj=consent, reason=f"text:{text_version}")
    return consent


def _latest_purpose(case: Case, purpose: str) -> ConsentGrant | None:
    return (
        # scoping: the consent rule for a case the caller holds (a yes or no, no content)
        ConsentGrant.objects.filter(consent__case=case, purpose=purpose)
        .order_by("-consent__recorded_at", "-consent_id")
        .first()
    )


def consent_allows(case: Case, purpose: str) -> bool:
    """True when `case`'s data may be used for `purpose` now.

    The latest consent conversation decides: the purpose was agreed (or rests on a lawful
    basis other than consent) and has not been withdrawn; or an authorised override for the
    purpose has not expired. Every use of a purpose calls this (or, for many cases at once,
    the case manager's `consenting_to(purpose)`, which applies the same rule). Ends in deny.
    """
    latest = _latest_purpose(case, purpose)
    if latest is not None and latest.effective and latest.withdrawn_at is None:
        return True
    # scoping: the consent rule for a case the caller holds (a yes or no, no content)
    return case.consent_overrides.filter(purpose=purpose, expires_at__gt=timezone.now()).exists()


def consent_withdraw(*, actor: User, case: Case, purpose: str, note: str = "") -> ConsentGrant:
    """Record that the person withdrew consent for `purpose`; from now on it is refused."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        latest = _latest_purpose(case, purpose)
        if latest is None or latest.withdrawn_at is not None or not latest.effective:
            raise ValidationError(_("There is no consent for this purpose to withdraw."), code="nothing_to_withdraw")
        latest.withdrawn_at = timezone.now()
        latest.withdrawn_by = actor
        latest.withdrawal_note = note
        latest.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
        audit.record(actor=actor, action="case.consent_withdraw", obj=case, reason=f"purpose:{purpose}")
    return latest


def consent_override(*, actor: User, case: Case, purpose: str, lawful_basis: str, reason: str) -> ConsentOverride:
    """Authorise the use of `purpose` without consent for a day, on a lawful basis other than
    consent, with a reason (stored encrypted). Refuses without case.consent_override."""
    _require(actor, Perm.CASE_CONSENT_OVERRIDE, case)
    if lawful_basis == LawfulBasis.CONSENT or not reason.strip():
        raise ValidationError(_("An override needs a lawful basis other than consent and a reason."))
    with transaction.atomic():
        override = ConsentOverride.objects.create(
            case=case,
            purpose=purpose,
            lawful_basis=lawful_basis,
            reason=reason,
            authorised_by=actor,
            expires_at=timezone.now() + timedelta(hours=CONSENT_OVERRIDE_HOURS),
        )
        audit.record(
            actor=actor, action="case.consent_override", obj=case, reason=f"purpose:{purpose} basis:{lawful_basis}"
        )
    return override
