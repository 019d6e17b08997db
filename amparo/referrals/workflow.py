"""Referral use cases (decision 0020): send, answer, progress, revoke, open.

Writes are keyword-only `referral_<verb>(*, actor, ...)`: permission and party first, then
a row lock, then the change, audited in BOTH organisations' trails, and the other side's
staff told by e-mail after the commit with the other organisation's name and a link only.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import AgreementStatus, Organisation, SharingAgreement, User
from amparo.accounts.services import agreement_allows
from amparo.accounts.sharing import FIELD_SETS_VERSION, sets_for
from amparo.cases.models import Case
from amparo.cases.services.consent import consent_allows
from amparo.cases.vocabularies import ConsentPurpose
from amparo.core import audit, sealing
from amparo.core.permissions import Perm, can, roles_with
from amparo.referrals import content
from amparo.referrals.models import Service
from amparo.referrals.workflow_models import (
    OPEN_STATUSES,
    OVERRIDING_BASES,
    Basis,
    DeclineReason,
    LegalBasis,
    Outcome,
    Referral,
    ReferralStatus,
    ReferralUpdate,
    RevokeReason,
    sla_for,
)
from amparo.reports.models import Signal
from amparo.reports.vocabularies import SignalStatus

PURPOSE = ConsentPurpose.REFERRAL.value

#: Why `agreement_allows` said no, in words for the sender.
REFUSALS = {
    "no_agreement": gettext_lazy(
        "There is no data-sharing agreement with this organisation and no emergency basis: "
        "your administrator can propose an agreement or record an emergency basis."
    ),
    "expired": gettext_lazy("The data-sharing agreement with this organisation has ended."),
    "not_started": gettext_lazy("The data-sharing agreement with this organisation has not started yet."),
    "purpose": gettext_lazy("The data-sharing agreement with this organisation does not cover referrals."),
    "field_set": gettext_lazy("The data-sharing agreement with this organisation does not cover this set of fields."),
}

#: Why the receiver can no longer read the shared content.
CUT_REASONS = {
    "revoked": gettext_lazy("The referring organisation revoked this referral."),
    "expired": gettext_lazy("This referral expired without an answer."),
    "closed": gettext_lazy("This referral is closed."),
    "agreement": gettext_lazy("The data-sharing agreement this referral rested on has ended."),
    "consent": gettext_lazy("The person's consent to referral is no longer in force."),
    "signal": gettext_lazy("The referring organisation no longer holds the signal this referral came from."),
    "reporter": gettext_lazy("The reporter's consent to pass the report on is no longer in force."),
}


def _party(actor: Any, perm: str, organisation_id: int) -> None:
    if not can(actor, perm) or actor.organisation_id != organisation_id:
        raise PermissionDenied


def _audit_both(*, actor: Any, action: str, referral: Referral, reason: str = "") -> None:
    for organisation_id in (referral.sender_id, referral.receiver_id):
        audit.record(actor=actor, action=action, obj=referral, organisation_id=organisation_id, reason=reason)


def _notify(referral: Referral, to_organisation_id: int, event: str) -> None:
    """E-mail the other side after the commit: the other organisation's name and a link, never
    a person's data (no reference, no field, no note)."""
    if to_organisation_id == referral.receiver_id:
        roles = roles_with(Perm.REFERRAL_DECIDE)
        # scoping: addresses of the receiving organisation's staff, used only to send a notice
        users = User.objects.filter(organisation_id=to_organisation_id, role__in=roles, is_active=True)
        other = referral.sender.name
    else:
        # scoping: addresses of the referring organisation's staff, used only to send a notice
        users = User.objects.filter(organisation_id=to_organisation_id, is_active=True)
        users = users.filter(pk=referral.sent_by_id) if referral.sent_by_id else users.none()
        if not users.exists():
            # scoping: addresses of the referring organisation's staff, used only to send a notice
            users = User.objects.filter(
                organisation_id=to_organisation_id, role__in=roles_with(Perm.REFERRAL_SEND), is_active=True
            )
        other = referral.receiver.name
    addresses = list(users.values_list("email", "language"))
    path = reverse("referral:detail", kwargs={"pk": referral.pk})

    def send() -> None:
        for email, language in addresses:
            with translation.override(language or settings.LANGUAGE_CODE):
                body = render_to_string(
                    "referrals/email/referral_notice.txt", {"other": other, "event": event, "path": path}
                )
                send_mail(str(_("A referral on Amparo needs your attention")), body, None, [email])

    transaction.on_commit(send)


# --- sending ---------------------------------------------------------------------------------


def referable_services(actor: Any) -> QuerySet[Service]:
    """Published services of other organisations on Amparo: where a referral can go."""
    if not (can(actor, Perm.REFERRAL_SEND) or can(actor, Perm.REFERRAL_SEND_SIGNAL)):
        return Service.objects.none()
    return (
        Service.objects.directory_visible_to(actor)
        .filter(on_amparo=True)
        .exclude(organisation_id=actor.organisation_id)
        .select_related("organisation", "service_type")
    )


def may_refer(actor: Any, case: Case) -> bool:
    """Whether the case page offers "Refer": the permission, an open case of one's own, consent."""
    return (
        can(actor, Perm.REFERRAL_SEND)
        and case.organisation_id == actor.organisation_id
        and case.is_open
        and consent_allows(case, PURPOSE)
    )


def check_basis(*, sender_id: int, receiver_id: int, field_set: str) -> tuple[str, int | None, int | None]:
    """(basis, agreement id, emergency basis id), or ValidationError with the reason in words."""
    decision = agreement_allows(from_org=sender_id, to_org=receiver_id, purpose=PURPOSE, field_set=field_set)
    if not decision:
        raise ValidationError(str(REFUSALS.get(decision.refusal, REFUSALS["no_agreement"])), code="no_basis")
    if decision.agreement_id is not None:
        return Basis.AGREEMENT, decision.agreement_id, None
    return Basis.EMERGENCY, None, decision.emergency_basis_id


def referral_send(
    *, actor: Any, case: Case, service: Service, field_set: str, values: dict[str, str], note: str = ""
) -> Referral:
    """Refer the person of `case` to `service`: consent to referral, a basis (agreement or
    emergency), exactly the chosen set's fields (reviewed by the sender) sealed to the receiver."""
    _party(actor, Perm.REFERRAL_SEND, case.organisation_id)
    if not case.is_open:
        raise ValidationError(_("Only an open case can be referred."))
    if field_set not in sets_for("case"):
        raise ValidationError(_("Choose a set of fields from the list."))
    # scoping: the one service named, among the published services of other organisations on Amparo
    if not referable_services(actor).filter(pk=service.pk).exists():
        raise ValidationError(_("Choose a service of another organisation on Amparo."))
    if not consent_allows(case, PURPOSE):
        raise ValidationError(
            _("The person has not consented to referral (or withdrew consent): record consent first."),
            code="no_consent",
        )
    basis, agreement_id, emergency_id = check_basis(
        sender_id=case.organisation_id, receiver_id=service.organisation_id, field_set=field_set
    )
    try:
        sealed = sealing.seal(service.organisation_id, content.encode(field_set, values, note.strip()))
    except sealing.NoKeys as exc:
        raise ValidationError(
            _("The receiving organisation has not set up its keys yet, so nothing can be sealed to it."),
            code="no_keys",
        ) from exc
    now = timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            sender_id=case.organisation_id,
            receiver_id=service.organisation_id,
            service=service,
            service_type_code=service.service_type.code,
            case=case,
            purpose=PURPOSE,
            field_set=field_set,
            field_sets_version=FIELD_SETS_VERSION,
            basis=basis,
            agreement_id=agreement_id,
            emergency_basis_id=emergency_id,
            sealed_content=sealed,
            sent_by=actor,
            sent_at=now,
            due_at=now + sla_for(service.service_type.code),
        )
        _audit_both(actor=actor, action="referral.send", referral=referral, reason=f"basis:{basis} set:{field_set}")
        audit.record(actor=actor, action="case.refer", obj=case, reason=f"referral:{referral.pk}")
        _notify(referral, referral.receiver_id, "sent")
    return referral


# --- from a triaged signal (decision 0034) -----------------------------------------------------

#: Signal statuses that count as triaged and still open: a referral starts only from these.
REFERABLE_SIGNAL_STATUSES = (SignalStatus.IN_REVIEW, SignalStatus.NEEDS_INFO, SignalStatus.REFERRED)


def reporter_destination(service_type_code: str) -> str:
    """Which of the reporter's two consents a service answers to: the police or services."""
    return "police" if service_type_code == "law_enforcement" else "services"


def reporter_consent(signal: Signal, service_type_code: str) -> bool | None:
    """The reporter's recorded answer for this destination: True, False (refused) or None."""
    if reporter_destination(service_type_code) == "police":
        return signal.consent_police
    return signal.consent_services


def signal_refusal(signal: Signal) -> str:
    """'' when the signal may be referred, else why not, in words."""
    if signal.held:
        return str(_("Release the signal from the held queue and triage it first."))
    if signal.status == SignalStatus.LINKED:
        return str(_("This signal is linked to a case: refer the person from the case."))
    if signal.status not in REFERABLE_SIGNAL_STATUSES:
        return str(_("Only a signal in review, waiting for information or referred can be referred."))
    return ""


def may_refer_signal(actor: Any, signal: Signal) -> bool:
    """Whether the signal page offers "Refer": the permission, a triaged signal of one's own."""
    return (
        can(actor, Perm.REFERRAL_SEND_SIGNAL)
        and can(actor, Perm.REPORT_TRIAGE)
        and signal.organisation_id == actor.organisation_id
        and not signal_refusal(signal)
    )


def check_signal_basis(*, signal: Signal, service: Service, field_set: str, legal_basis: str) -> None:
    """The reporter's word where it counts, or ValidationError in words (decision 0034).

    The reporter's own words travel only with the reporter's consent for this destination;
    "the reporter agreed" needs that consent recorded; a refusal is overridden only by
    immediate danger or a legal duty to report; a public task is for an authority."""
    if legal_basis not in LegalBasis.values:
        raise ValidationError(_("Choose a legal basis from the list."), code="legal_basis")
    answer = reporter_consent(signal, service.service_type.code)
    if field_set in content.REPORTER_WORDS_SETS and answer is not True:
        raise ValidationError(
            _("The reporter's own words are passed on only with the reporter's consent: choose the set without them."),
            code="reporter",
        )
    if legal_basis == LegalBasis.REPORTER_CONSENT and answer is not True:
        raise ValidationError(
            _("The reporter's consent to pass the report on to this kind of service is not recorded."),
            code="reporter",
        )
    if answer is False and legal_basis not in OVERRIDING_BASES:
        raise ValidationError(
            _(
                "The reporter refused to have the report passed on to this kind of service: only immediate "
                "danger or a legal duty to report overrides that."
            ),
            code="reporter",
        )
    if legal_basis == LegalBasis.PUBLIC_TASK and service.service_type.code != "law_enforcement":
        raise ValidationError(_("A public task is a basis for referring to an authority only."), code="legal_basis")


def signal_answers(*, request: HttpRequest, actor: Any, signal: Signal) -> dict[str, Any]:
    """The signal's questionnaire, opened to prefill a referral (audited as a read of the
    signal). Raises sealing.Locked without an unlocked key."""
    if not may_refer_signal(actor, signal):
        raise PermissionDenied
    answers = json.loads(sealing.unseal(request, signal.organisation_id, bytes(signal.sealed)))
    audit.record(actor=actor, action="report.view", obj=signal, reason="referral")
    return answers if isinstance(answers, dict) else {}


def referral_send_signal(
    *,
    actor: Any,
    signal: Signal,
    service: Service,
    field_set: str,
    legal_basis: str,
    values: dict[str, str],
    note: str = "",
) -> Referral:
    """Refer a triaged signal to a service or an authority: a legal basis (no person consented
    to an anonymous tip), a data-sharing basis (agreement or emergency), exactly the chosen
    set's fields (reviewed by the sender) sealed to the receiver. Same statuses and SLA as a
    referral from a case; audited in both trails and against the signal."""
    if not can(actor, Perm.REFERRAL_SEND_SIGNAL) or not can(actor, Perm.REPORT_TRIAGE):
        raise PermissionDenied
    if signal.organisation_id != actor.organisation_id:
        raise PermissionDenied
    refusal = signal_refusal(signal)
    if refusal:
        raise ValidationError(refusal, code="signal_state")
    if field_set not in sets_for("signal"):
        raise ValidationError(_("Choose a set of fields from the list."))
    # scoping: the one service named, among the published services of other organisations on Amparo
    if not referable_services(actor).filter(pk=service.pk).exists():
        raise ValidationError(_("Choose a service of another organisation on Amparo."))
    check_signal_basis(signal=signal, service=service, field_set=field_set, legal_basis=legal_basis)
    basis, agreement_id, emergency_id = check_basis(
        sender_id=signal.organisation_id, receiver_id=service.organisation_id, field_set=field_set
    )
    try:
        sealed = sealing.seal(service.organisation_id, content.encode(field_set, values, note.strip()))
    except sealing.NoKeys as exc:
        raise ValidationError(
            _("The receiving organisation has not set up its keys yet, so nothing can be sealed to it."),
            code="no_keys",
        ) from exc
    now = timezone.now()
    with transaction.atomic():
        referral = Referral.objects.create(
            sender_id=signal.organisation_id,
            receiver_id=service.organisation_id,
            service=service,
            service_type_code=service.service_type.code,
            signal=signal,
            legal_basis=legal_basis,
            purpose=PURPOSE,
            field_set=field_set,
            field_sets_version=FIELD_SETS_VERSION,
            basis=basis,
            agreement_id=agreement_id,
            emergency_basis_id=emergency_id,
            sealed_content=sealed,
            sent_by=actor,
            sent_at=now,
            due_at=now + sla_for(service.service_type.code),
        )
        _audit_both(
            actor=actor,
            action="referral.send",
            referral=referral,
            reason=f"basis:{basis} set:{field_set} legal:{legal_basis}",
        )
        audit.record(actor=actor, action="report.refer", obj=signal, reason=f"referral:{referral.pk}")
        _notify(referral, referral.receiver_id, "sent")
    return referral


def _signal_cut(referral: Referral) -> str:
    """The signal side of `receiver_access_cut`: the sender still holds the signal (not purged,
    not found to be spam), and the reporter's consent still stands where the referral rests
    on it (the reporter's own words, or "the reporter agreed")."""
    if referral.signal_id is None:
        return "signal"
    # scoping: the sender's signal, read for a yes or no; nothing of it is shown
    signal = Signal.objects.filter(pk=referral.signal_id).first()
    if signal is None or signal.status == SignalStatus.SPAM:
        return "signal"
    needs_reporter = referral.legal_basis == LegalBasis.REPORTER_CONSENT or (
        referral.field_set in content.REPORTER_WORDS_SETS
    )
    if needs_reporter and reporter_consent(signal, referral.service_type_code) is not True:
        return "reporter"
    return ""


# --- access to the shared content -------------------------------------------------------------


def receiver_access_cut(referral: Referral) -> str:
    """'' when the receiver may read the shared content now, else why not (a CUT_REASONS key).

    Revocation, expiry, a closed referral, the end of the agreement it rested on, or the
    person's consent to referral withdrawn in the sender's case cut access at once: this is
    asked on every read, nothing has to run first."""
    status = referral.current_status()
    if status == ReferralStatus.REVOKED:
        return "revoked"
    if status == ReferralStatus.EXPIRED:
        return "expired"
    if status not in OPEN_STATUSES:
        return "closed"
    if referral.agreement_id is not None:
        # scoping: the agreement this referral rests on, a yes or no for the referral's parties
        agreement = SharingAgreement.objects.filter(pk=referral.agreement_id).first()
        if agreement is None or agreement.current_status() != AgreementStatus.ACTIVE:
            return "agreement"
    if referral.from_signal:
        return _signal_cut(referral)
    if referral.case_id is None:
        return "consent"
    # scoping: the sender's case, read for a yes or no on consent; nothing of it is shown
    case = Case.objects.filter(pk=referral.case_id).first()
    if case is None or not consent_allows(case, PURPOSE):
        return "consent"
    return ""


def referral_open(*, request: HttpRequest, actor: Any, referral: Referral) -> content.Opened:
    """The receiver opens the shared content with its unlocked organisation key. Audited in the
    receiver's trail (who) and in the sender's (that the receiving organisation opened it, at
    what time; not who). Refuses (PermissionDenied) when access was cut; Locked without a key."""
    _party(actor, Perm.REFERRAL_VIEW, referral.receiver_id)
    if receiver_access_cut(referral):
        raise PermissionDenied
    opened = content.decode(sealing.unseal(request, referral.receiver_id, bytes(referral.sealed_content)))
    with transaction.atomic():
        audit.record(actor=actor, action="referral.content_read", obj=referral, organisation_id=referral.receiver_id)
        audit.record(
            actor=None,
            action="referral.content_read_by_receiver",
            obj=referral,
            organisation_id=referral.sender_id,
            reason=f"organisation:{referral.receiver_id}",
        )
    return opened


def updates_open(*, request: HttpRequest, actor: Any, referral: Referral) -> list[tuple[Any, str]]:
    """(sent at, text) of each update, for either side with its own key (the receiver only while
    it has access). Audited as a read on the reader's side."""
    is_sender = actor.organisation_id == referral.sender_id
    if not is_sender and receiver_access_cut(referral):
        return []
    updates = list(ReferralUpdate.objects.visible_to(actor).filter(referral=referral))
    opened = []
    for update in updates:
        blob = update.sealed_for_sender if is_sender else update.sealed_for_receiver
        if not blob:
            continue
        opened.append((update.sent_at, sealing.unseal(request, actor.organisation_id, bytes(blob)).decode()))
    return opened


def reply_open(*, request: HttpRequest, actor: Any, referral: Referral) -> str:
    """The receiver's note for the sender (decline or outcome), opened by the sender's key."""
    _party(actor, Perm.REFERRAL_VIEW, referral.sender_id)
    if not referral.sealed_reply:
        return ""
    text = sealing.unseal(request, referral.sender_id, bytes(referral.sealed_reply)).decode()
    audit.record(actor=actor, action="referral.reply_read", obj=referral, organisation_id=referral.sender_id)
    return text


# --- transitions ------------------------------------------------------------------------------


def _locked(actor: Any, referral: Referral) -> Referral:
    # scoping: the same referral, read through visible_to under lock
    locked = Referral.objects.visible_to(actor).select_for_update().filter(pk=referral.pk).first()
    if locked is None:
        raise PermissionDenied
    return locked


def _receiver_step(actor: Any, referral: Referral, allowed_from: tuple[str, ...]) -> Referral:
    _party(actor, Perm.REFERRAL_DECIDE, referral.receiver_id)
    locked = _locked(actor, referral)
    if locked.current_status() not in allowed_from:
        raise ValidationError(_("This referral is no longer in a state where this can be done."), code="state")
    if receiver_access_cut(locked) and locked.current_status() != ReferralStatus.IN_PROGRESS:
        raise ValidationError(str(CUT_REASONS[receiver_access_cut(locked)]), code="cut")
    return locked


def _seal_reply(referral: Referral, note: str) -> bytes | None:
    note = note.strip()[: content.MAX_VALUE_LENGTH]
    if not note:
        return None
    try:
        return sealing.seal(referral.sender_id, note.encode())
    except sealing.NoKeys as exc:
        raise ValidationError(
            _("The referring organisation has not set up its keys yet: send this without a note."), code="no_keys"
        ) from exc


def referral_accept(*, actor: Any, referral: Referral) -> Referral:
    with transaction.atomic():
        locked = _receiver_step(actor, referral, (ReferralStatus.SENT,))
        locked.status = ReferralStatus.ACCEPTED
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_at", "updated_at"])
        _audit_both(actor=actor, action="referral.accept", referral=locked)
        _notify(locked, locked.sender_id, "accepted")
    return locked


def referral_decline(*, actor: Any, referral: Referral, reason: str, note: str = "") -> Referral:
    if reason not in DeclineReason.values:
        raise ValidationError(_("Choose a reason from the list."))
    with transaction.atomic():
        locked = _receiver_step(actor, referral, (ReferralStatus.SENT,))
        locked.status = ReferralStatus.DECLINED
        locked.decided_at = timezone.now()
        locked.decline_reason = reason
        locked.sealed_reply = _seal_reply(locked, note)
        locked.save(update_fields=["status", "decided_at", "decline_reason", "sealed_reply", "updated_at"])
        _audit_both(actor=actor, action="referral.decline", referral=locked, reason=f"reason:{reason}")
        _notify(locked, locked.sender_id, "declined")
    return locked


def referral_start(*, actor: Any, referral: Referral) -> Referral:
    with transaction.atomic():
        locked = _receiver_step(actor, referral, (ReferralStatus.ACCEPTED,))
        locked.status = ReferralStatus.IN_PROGRESS
        locked.save(update_fields=["status", "updated_at"])
        _audit_both(actor=actor, action="referral.start", referral=locked)
        _notify(locked, locked.sender_id, "in_progress")
    return locked


def referral_complete(*, actor: Any, referral: Referral, outcome: str, note: str = "") -> Referral:
    if outcome not in Outcome.values:
        raise ValidationError(_("Choose an outcome from the list."))
    _party(actor, Perm.REFERRAL_DECIDE, referral.receiver_id)
    with transaction.atomic():
        locked = _locked(actor, referral)
        if locked.current_status() not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
            raise ValidationError(_("This referral is no longer in a state where this can be done."), code="state")
        locked.status = ReferralStatus.DONE
        locked.completed_at = timezone.now()
        locked.outcome = outcome
        locked.sealed_reply = _seal_reply(locked, note)
        locked.save(update_fields=["status", "completed_at", "outcome", "sealed_reply", "updated_at"])
        _audit_both(actor=actor, action="referral.complete", referral=locked, reason=f"outcome:{outcome}")
        _notify(locked, locked.sender_id, "done")
    return locked


def referral_revoke(*, actor: Any, referral: Referral, reason: str) -> Referral:
    """The sender takes the referral back: the receiver loses the shared content at once."""
    if reason not in RevokeReason.values:
        raise ValidationError(_("Choose a reason from the list."))
    _party(actor, Perm.REFERRAL_SEND, referral.sender_id)
    with transaction.atomic():
        locked = _locked(actor, referral)
        if locked.status not in OPEN_STATUSES:
            raise ValidationError(_("This referral is no longer in a state where this can be done."), code="state")
        locked.status = ReferralStatus.REVOKED
        locked.revoked_at = timezone.now()
        locked.revoke_reason = reason
        locked.save(update_fields=["status", "revoked_at", "revoke_reason", "updated_at"])
        _audit_both(actor=actor, action="referral.revoke", referral=locked, reason=f"reason:{reason}")
        _notify(locked, locked.receiver_id, "revoked")
    return locked


def _seal_if_keys(organisation_id: int, data: bytes) -> bytes | None:
    try:
        return sealing.seal(organisation_id, data)
    except sealing.NoKeys:
        return None


def referral_update_send(*, actor: Any, referral: Referral, text: str) -> ReferralUpdate:
    """The sender appends an update, sealed to the receiver (and a copy to the sender)."""
    _party(actor, Perm.REFERRAL_SEND, referral.sender_id)
    text = text.strip()[: content.MAX_VALUE_LENGTH]
    if not text:
        raise ValidationError(_("Write the update."))
    with transaction.atomic():
        locked = _locked(actor, referral)
        if locked.status not in OPEN_STATUSES or locked.current_status() == ReferralStatus.EXPIRED:
            raise ValidationError(_("This referral is no longer in a state where this can be done."), code="state")
        update = ReferralUpdate.objects.create(
            referral=locked,
            sealed_for_receiver=sealing.seal(locked.receiver_id, text.encode()),
            sealed_for_sender=_seal_if_keys(locked.sender_id, text.encode()),
            sent_by=actor,
        )
        _audit_both(actor=actor, action="referral.update", referral=locked)
        _notify(locked, locked.receiver_id, "update")
    return update


# --- overdue alerts (beat task) ---------------------------------------------------------------


def overdue_alert() -> int:
    """E-mail both sides once about each referral past its answer time; returns how many."""
    count = 0
    # scoping: a system task over every organisation's overdue referrals; mails name no person
    overdue = Referral.objects.overdue().filter(overdue_alerted_at__isnull=True).select_related("sender", "receiver")
    for referral in overdue[:500]:
        with transaction.atomic():
            # Idempotent (decision 0036): only the run that sets the mark tells; a second run at
            # the same time waits on the row's lock, then finds it set and skips it.
            unmarked = Referral.objects.filter(pk=referral.pk, overdue_alerted_at__isnull=True)  # scoping: system task
            marked = unmarked.update(overdue_alerted_at=timezone.now())
            if not marked:
                continue
            audit.record(actor=None, action="referral.overdue", obj=referral, organisation_id=referral.receiver_id)
            audit.record(actor=None, action="referral.overdue", obj=referral, organisation_id=referral.sender_id)
            _notify(referral, referral.receiver_id, "overdue")
            _notify(referral, referral.sender_id, "overdue")
        count += 1
    return count


def organisation_names(ids: set[int]) -> dict[int, str]:
    # scoping: names of the parties of referrals the user already sees
    return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))


# --- the receiver's own case ------------------------------------------------------------------


def referral_open_case(
    *, request: HttpRequest, actor: Any, referral: Referral, consent: Any, given_name: str, summary: str
) -> Case:
    """The receiver opens its own case from an accepted referral, with the consent its case
    worker recorded again (the existing consent model), and keeps the link. What is copied is
    then the receiver's record: a later revocation does not reach into it."""
    from amparo.cases.services import case_create

    _party(actor, Perm.REFERRAL_DECIDE, referral.receiver_id)
    if not can(actor, Perm.CASE_EDIT):
        raise PermissionDenied
    with transaction.atomic():
        locked = _locked(actor, referral)
        if locked.current_status() not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
            raise ValidationError(_("Accept the referral before opening a case from it."), code="state")
        if locked.receiver_case_id is not None:
            raise ValidationError(_("A case was already opened from this referral."), code="state")
        if receiver_access_cut(locked):
            raise ValidationError(str(CUT_REASONS[receiver_access_cut(locked)]), code="cut")
        case = case_create(actor=actor, consent=consent, given_name=given_name, summary=summary)
        locked.receiver_case = case
        locked.save(update_fields=["receiver_case", "updated_at"])
        audit.record(actor=actor, action="referral.open_case", obj=locked, organisation_id=locked.receiver_id)
        audit.record(actor=actor, action="case.from_referral", obj=case, reason=f"referral:{locked.pk}")
    return case


def case_prefill(opened: content.Opened) -> tuple[str, str]:
    """(given name, summary) for the receiver's new case, from the shared fields."""
    values = {key: value for key, _label, value in opened.rows}
    name = values.get("first_name") or values.get("full_name") or ""
    lines = [
        f"{label}: {value}" for key, label, value in opened.rows if value and key not in ("first_name", "full_name")
    ]
    if opened.note:
        lines.append(opened.note)
    return name, "\n".join(lines)
