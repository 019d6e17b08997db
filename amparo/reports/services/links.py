"""A signal and a case, both ways: link a signal to a case of the organisation (a new one
opened from it, or one that exists), carry the places and facts over, unlink.

The reporter's consent to share (Signal.consent_police / consent_services) is not carried
into the case: it is a third person's permission to pass on what they saw, not the
survivor's consent to case management, which the case records itself (cases.Consent,
decision 0011).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.permissions import Perm, can
from amparo.reports.models import Signal
from amparo.reports.vocabularies import ExploitationType, SignalStatus

#: The reporter's plain-language type (Polaris typology) in the case's broader vocabulary.
SEXUAL = {
    ExploitationType.ESCORT_SERVICES,
    ExploitationType.ILLICIT_MASSAGE,
    ExploitationType.OUTDOOR_SOLICITATION,
    ExploitationType.RESIDENTIAL,
    ExploitationType.BARS_CANTINAS,
    ExploitationType.PORNOGRAPHY,
    ExploitationType.PERSONAL_SEXUAL_SERVITUDE,
    ExploitationType.REMOTE_SEXUAL_ACTS,
}
NOT_A_TYPE = {ExploitationType.NOT_SURE, ExploitationType.OTHER}


def case_exploitation_type(signal_type: str) -> str:
    """The case vocabulary's code for a signal's type of exploitation, or '' when not known."""
    if signal_type in NOT_A_TYPE or not signal_type:
        return ""
    if signal_type in SEXUAL:
        return "sexual_exploitation"
    if signal_type == ExploitationType.PEDDLING_BEGGING:
        return "forced_begging"
    if signal_type == ExploitationType.ILLICIT_ACTIVITIES:
        return "other"
    return "forced_labour"


def case_summary_from(signal: Signal, answers: dict[str, Any]) -> str:
    """A draft of the case summary from what the reporter said (the caller edits it before saving)."""
    lines = [_("From signal %(ref)s:") % {"ref": signal.reference}, answers.get("what_happened", "")]
    place = ", ".join(
        part for part in (answers.get("place", ""), answers.get("city", ""), answers.get("region_text", "")) if part
    )
    if place:
        lines.append(_("Place: %(place)s") % {"place": place})
    if answers.get("when"):
        lines.append(_("When: %(when)s") % {"when": answers["when"]})
    return "\n".join(line for line in lines if line)[:5000]


def _month(when: str) -> datetime.date | None:
    """The first day of the month the reporter gave ("2026-03"), unless it is missing or ahead."""
    try:
        year, month = (int(part) for part in when.split("-"))
        first = datetime.date(year, month, 1)
    except (ValueError, AttributeError):
        return None
    return first if first <= timezone.localdate() else None


def _carry_over(actor: Any, signal: Signal, case: Any, answers: dict[str, Any]) -> None:
    """The signal's place as a step of the case's route, its type among the case's types."""
    from amparo.cases import services as cases

    if signal.country:
        cases.event_add(
            actor=actor,
            case=case,
            event_type="exploitation",
            country=signal.country,
            region=(answers.get("region_text") or signal.region or "")[:120],
            city=(answers.get("city") or "")[:120],
            month=_month(answers.get("when") or ""),
            description="\n".join(
                line
                for line in (_("From signal %(ref)s") % {"ref": signal.reference}, answers.get("place", ""))
                if line
            ),
        )
    wanted = case_exploitation_type(signal.exploitation_type)
    if wanted and wanted not in case.exploitation_types:
        cases.case_update_context(actor=actor, case=case, exploitation_types=[*case.exploitation_types, wanted])


def signal_link_case(*, actor: Any, signal: Signal, case: Any, answers: dict[str, Any] | None = None) -> Signal:
    """Link a signal to a case the actor can see in their own organisation; the case file then
    lists the signal, and the retention purge keeps it.

    With `answers` (the signal opened in the actor's unlocked session, signal_open), the
    place becomes a step of the case's route and the type of exploitation one of its types.
    Refuses (PermissionDenied) without report.triage and case.edit, a signal or case of
    another organisation, a case the actor cannot see; an erased case (ValidationError).
    """
    from amparo.cases.models import Case
    from amparo.cases.services.common import _is_erased

    if not can(actor, Perm.REPORT_TRIAGE) or not can(actor, Perm.CASE_EDIT):
        raise PermissionDenied
    if signal.organisation_id != actor.organisation_id or case.organisation_id != actor.organisation_id:
        raise PermissionDenied
    if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied
    if _is_erased(case):
        raise ValidationError(_("This case was erased at the person's request; nothing can be added to it."))
    with transaction.atomic():
        signal.case, signal.status = case, SignalStatus.LINKED
        signal.save(update_fields=["case", "status"])
        audit.record(actor=actor, action="report.link_case", obj=signal, reason=f"case {case.pk}")
        audit.record(actor=actor, action="case.signal_link", obj=case, reason=f"signal {signal.pk}")
        if answers is not None:
            _carry_over(actor, signal, case, answers)
    return signal


def signal_unlink_case(*, actor: Any, signal: Signal) -> Signal:
    """Undo a link: the signal goes back to "In review" without a case (and the retention
    purge may delete it again). What was carried into the case stays there."""
    if not can(actor, Perm.REPORT_TRIAGE) or not can(actor, Perm.CASE_EDIT):
        raise PermissionDenied
    if signal.organisation_id != actor.organisation_id or signal.case_id is None:
        raise PermissionDenied
    with transaction.atomic():
        case_id = signal.case_id
        signal.case, signal.status = None, SignalStatus.IN_REVIEW
        signal.save(update_fields=["case", "status"])
        audit.record(actor=actor, action="report.unlink_case", obj=signal, reason=f"case {case_id}")
    return signal


def case_signals(*, actor: Any, case: Any) -> Any:
    """The signals linked to a case, as far as the actor may see signals (visible_to)."""
    return Signal.objects.visible_to(actor).filter(case=case).order_by("-arrived_on", "reference")
