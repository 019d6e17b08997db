"""What an administrator sees before deciding on a case they may not read (closure approval,
erasure, transfer acceptance), and the notice the case worker gets of the decision.

The summary is need-to-know: the case's status, the state of its support plan, the reason
given and how many records of each kind an erasure would destroy. It never carries what
identifies the person unless the actor's role already lets them read the case file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import User
from amparo.cases.models import OPEN_SERVICE_STATUSES, Case, CaseTransfer, TransferDecision
from amparo.cases.services.consent import consent_allows
from amparo.cases.vocabularies import ServiceStatus
from amparo.core import audit
from amparo.core.permissions import Perm, can

#: What a decision is about, and the permission that lets an administrator take it.
PURPOSES = {
    "closure": Perm.CASE_CLOSE_APPROVE,
    "erasure": Perm.CASE_ERASE,
    "transfer": Perm.CASE_TRANSFER_DECIDE,
}
#: The records an erasure destroys, counted for the summary: (accessor, label).
ERASED_RECORDS = [
    ("consents", gettext_lazy("Consent records")),
    ("decisions", gettext_lazy("Decisions on trafficking status")),
    ("events", gettext_lazy("Steps of the route")),
    ("screenings", gettext_lazy("Screenings")),
    ("services", gettext_lazy("Services in the support plan")),
    ("legal_assistance", gettext_lazy("Legal assistance records")),
    ("proceedings", gettext_lazy("Legal proceedings")),
    ("notes", gettext_lazy("Notes")),
    ("attachments", gettext_lazy("Attached files")),
    ("closures", gettext_lazy("Closure requests")),
    ("reopenings", gettext_lazy("Reopenings")),
    ("emergency_accesses", gettext_lazy("Emergency accesses")),
]


@dataclass
class DecisionSummary:
    reference: str
    status: str
    opened_on: Any
    services_open: int
    services_overdue: int
    services_done: int
    services_cancelled: int
    referral_consent: bool
    records: list[tuple[str, int]] = field(default_factory=list)
    #: Only for an actor whose role reads case files; None for everyone else.
    person_name: str | None = None


def decision_summary(*, actor: User, case: Case, purpose: str) -> DecisionSummary:
    """The need-to-know summary of `case` for an administrator deciding `purpose`
    (closure, erasure or transfer). Refuses without the decision's permission, for another
    organisation's case (for a transfer: unless a pending transfer offers it to the actor's
    organisation). Audited as a read of the case, with the purpose."""
    perm = PURPOSES.get(purpose)
    if perm is None or not can(actor, perm) or actor.organisation_id is None:
        raise PermissionDenied
    if purpose == "transfer":
        # scoping: a pending transfer offered to the actor's organisation names this case
        offered = CaseTransfer.objects.filter(
            case_id=case.pk, organisation_id=actor.organisation_id, decision=TransferDecision.PENDING
        ).exists()
        if not offered:
            raise PermissionDenied
    elif case.organisation_id != actor.organisation_id:
        raise PermissionDenied
    today = timezone.localdate()
    # scoping: counts only, of the case this decision is about (the permission is checked above)
    services = list(case.services.values_list("status", "due_on"))
    summary = DecisionSummary(
        reference=case.reference,
        status=case.get_status_display(),
        opened_on=case.created_at,
        services_open=sum(status in OPEN_SERVICE_STATUSES for status, _due in services),
        services_overdue=sum(status in OPEN_SERVICE_STATUSES and due < today for status, due in services),
        services_done=sum(status == ServiceStatus.DONE for status, _due in services),
        services_cancelled=sum(status == ServiceStatus.CANCELLED for status, _due in services),
        referral_consent=consent_allows(case, "referral"),
    )
    if purpose == "erasure":
        summary.records = [(str(label), getattr(case, accessor).count()) for accessor, label in ERASED_RECORDS]
    if can(actor, Perm.CASE_VIEW) and case.organisation_id == actor.organisation_id:
        summary.person_name = case.person_name
    with transaction.atomic():
        audit.record(actor=actor, action="case.summary_view", obj=case, reason=f"for:{purpose}")
    return summary


# --- Notices of decisions to the case worker --------------------------------------------------


def notify_decision(*, recipient: User | None, reference: str, decision: str, decided_by: User) -> None:
    """After the current transaction commits, e-mail `recipient` (the colleague who asked,
    or the case's worker) that a decision was taken on case `reference`. The e-mail names
    the case by reference, the decision, who took it and when; nothing about the person.
    `decision` is one of NOTICES."""
    if recipient is None or not recipient.is_active or not recipient.email or recipient.pk == decided_by.pk:
        return
    when = timezone.localtime(timezone.now())
    send = partial(_send_notice, recipient.email, recipient.language, reference, decision, decided_by.full_name, when)
    transaction.on_commit(send)


NOTICES = {
    "closure_approved": gettext_lazy("%(who)s approved the closure of case %(ref)s that you asked for, on %(when)s."),
    "closure_rejected": gettext_lazy(
        "%(who)s did not approve the closure of case %(ref)s that you asked for, on %(when)s. The case stays open."
    ),
    "transfer_accepted": gettext_lazy(
        "The receiving organisation accepted the transfer of case %(ref)s on %(when)s. "
        "The case is now theirs and your organisation no longer has access to it."
    ),
    "transfer_rejected": gettext_lazy(
        "The receiving organisation rejected the transfer of case %(ref)s on %(when)s. The case stays yours."
    ),
    "erased": gettext_lazy(
        "%(who)s erased case %(ref)s on %(when)s at the person's request. "
        "Only the reference and the audit trail remain."
    ),
}


def _send_notice(email: str, language: str, reference: str, decision: str, who: str, when: Any) -> None:
    from django.core.mail import send_mail

    with translation.override(language or settings.LANGUAGE_CODE):
        body = NOTICES[decision] % {
            "who": who,
            "ref": reference,
            "when": formats.date_format(when, "DATETIME_FORMAT"),
        }
        body += "\n\n" + _("This e-mail contains nothing about the person on purpose. Sign in to Amparo for more.")
        send_mail(_("Amparo: a decision on case %(ref)s") % {"ref": reference}, body, None, [email])
