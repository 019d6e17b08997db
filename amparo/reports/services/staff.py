"""Staff use cases on signals: open (audited), reply, triage, spam, link, hotline intake."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from amparo.core import audit, blobs, sealing
from amparo.core.permissions import Perm, can
from amparo.reports import receipts
from amparo.reports.models import Attachment, Message, Signal
from amparo.reports.services.common import (
    _dump,
    _new_receipt,
    _seal_for_reporter,
    fingerprint,
    today,
)
from amparo.reports.vocabularies import (
    ExploitationType,
    MessageAuthor,
    SignalStatus,
    Urgency,
)

# --- staff -----------------------------------------------------------------------------------


@dataclass
class OpenedSignal:
    answers: dict[str, Any]
    messages: list[dict[str, Any]]
    attachments: list[dict[str, Any]]


def signal_open(*, request: HttpRequest, actor: Any, signal: Signal) -> OpenedSignal:
    """Decrypt a signal (from visible_to) for the actor; audit `report.view`; mark the
    reporter's messages read. Raises sealing.Locked when this session holds no unlocked key."""
    org_id = signal.organisation_id
    answers = json.loads(sealing.unseal(request, org_id, bytes(signal.sealed)))
    messages = []
    for message in signal.messages.visible_to(actor).select_related("staff_member"):
        data = json.loads(sealing.unseal(request, org_id, bytes(message.sealed_for_org)))
        messages.append(
            {
                "author": message.author,
                "kind": message.kind,
                "text": data.get("text", ""),
                "sent_on": message.sent_on,
                "staff_member": message.staff_member,
            }
        )
    attachments = []
    for attachment in signal.attachments.visible_to(actor):
        meta = json.loads(sealing.unseal(request, org_id, bytes(attachment.sealed_name)))
        attachments.append({"pk": attachment.pk, "name": meta.get("name", "")})
    with transaction.atomic():
        audit.record(actor=actor, action="report.view", obj=signal)
        signal.messages.visible_to(actor).filter(author=MessageAuthor.REPORTER, read_by_org=False).update(
            read_by_org=True
        )
    return OpenedSignal(answers=answers, messages=messages, attachments=attachments)


def attachment_open(*, request: HttpRequest, actor: Any, attachment: Attachment) -> tuple[str, str, bytes]:
    """(name, content type, content) of an attachment of a visible signal; audited."""
    org_id = attachment.signal.organisation_id
    meta = json.loads(sealing.unseal(request, org_id, bytes(attachment.sealed_name)))
    content = sealing.unseal(request, org_id, blobs.sealed_content(attachment))
    audit.record(actor=actor, action="report.attachment_view", obj=attachment.signal)
    return meta.get("name", "file"), meta.get("content_type", "application/octet-stream"), content


def signal_reply(*, actor: Any, signal: Signal, text: str) -> Message:
    """A question or answer to the reporter, readable by the organisation and the reporter."""
    if not can(actor, Perm.REPORT_TRIAGE) or signal.organisation_id != actor.organisation_id:
        raise PermissionDenied
    payload = _dump({"text": text, "key": receipts.new_secret()})
    with transaction.atomic():
        message = Message.objects.create(
            signal=signal,
            author=MessageAuthor.STAFF,
            staff_member=actor,
            sealed_for_org=sealing.seal(signal.organisation_id, payload),
            sealed_for_reporter=_seal_for_reporter(signal.receipt, payload),
            sent_on=today(),
            read_by_org=True,
        )
        if signal.status == SignalStatus.NEW:
            signal.status = SignalStatus.NEEDS_INFO
            signal.save(update_fields=["status"])
        audit.record(actor=actor, action="report.reply", obj=signal)
    return message


class ConsentMissing(Exception):
    """A referral to police or services without the reporter's recorded consent."""


class StatusNeedsCase(Exception):
    """ "Linked to a case" is set and left only by linking and unlinking a case (services.links)."""


def signal_update(
    *,
    actor: Any,
    signal: Signal,
    status: str | None = None,
    assignee: Any = None,
    urgency: str | None = None,
    release: bool = False,
    referred_to: str = "",
) -> Signal:
    """Change status, assignee, urgency, or release from the held queue; one audit entry per change.

    "Linked to a case" is neither set nor left here (StatusNeedsCase): see services.links.
    Setting the status to "referred" needs `referred_to` ("police" or "services") and the
    matching consent recorded on the signal; otherwise ConsentMissing and nothing changes.
    """
    if not can(actor, Perm.REPORT_TRIAGE) or signal.organisation_id != actor.organisation_id:
        raise PermissionDenied
    if assignee is not None and assignee.organisation_id != actor.organisation_id:
        raise PermissionDenied
    if status and status != signal.status and SignalStatus.LINKED in (status, signal.status):
        raise StatusNeedsCase
    if status == SignalStatus.REFERRED and status != signal.status:
        consent = {"police": signal.consent_police, "services": signal.consent_services}.get(referred_to)
        if consent is not True:
            raise ConsentMissing(referred_to)
    with transaction.atomic():
        changes = []
        if status and status != signal.status:
            signal.status = status
            reason = f"{status} to {referred_to} with consent" if status == SignalStatus.REFERRED else status
            changes.append(("report.status", reason))
        if assignee is not None and assignee.pk != signal.assignee_id:
            signal.assignee = assignee
            changes.append(("report.assign", f"user {assignee.pk}"))
        if urgency and urgency != signal.urgency:
            signal.urgency = urgency
            changes.append(("report.urgency", urgency))
        if release and signal.held:
            signal.held = False
            changes.append(("report.release", ""))
        if changes:
            signal.save(update_fields=["status", "assignee", "urgency", "held"])
        for action, reason in changes:
            audit.record(actor=actor, action=action, obj=signal, reason=reason)
    return signal


def signal_consent_record(
    *, actor: Any, signal: Signal, police: bool | None = None, services: bool | None = None
) -> Signal:
    """Record the reporter's consent to share with the police or support services, given or
    refused later in the conversation (None: unchanged). Audited without content."""
    if not can(actor, Perm.REPORT_TRIAGE) or signal.organisation_id != actor.organisation_id:
        raise PermissionDenied
    changes = {}
    if police is not None and police != signal.consent_police:
        changes["consent_police"] = police
    if services is not None and services != signal.consent_services:
        changes["consent_services"] = services
    if not changes:
        return signal
    with transaction.atomic():
        for name, value in changes.items():
            setattr(signal, name, value)
        signal.save(update_fields=list(changes))
        reason = " ".join(
            f"{name.removeprefix('consent_')}:{'yes' if value else 'no'}" for name, value in changes.items()
        )
        audit.record(actor=actor, action="report.consent", obj=signal, reason=reason)
    return signal


def signals_mark_spam(*, actor: Any, signal: Signal, whole_group: bool = False) -> int:
    """Mark a signal as spam, or every signal of the organisation sharing its fingerprint."""
    if not can(actor, Perm.REPORT_TRIAGE) or signal.organisation_id != actor.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        group = Signal.objects.filter(pk=signal.pk)  # scoping: checked above
        if whole_group and signal.fingerprint:
            group = Signal.objects.filter(  # scoping: the actor's own organisation only
                organisation_id=actor.organisation_id, fingerprint=signal.fingerprint
            )
        ids = list(group.values_list("pk", flat=True))
        # scoping: ids gathered just above within the actor's organisation
        Signal.objects.filter(pk__in=ids).update(status=SignalStatus.SPAM)
        audit.record(actor=actor, action="report.spam", obj=signal, reason=f"{len(ids)} signal(s)")
    return len(ids)


def hotline_signal_create(
    *, actor: Any, answers: dict[str, Any], channel: str, issue_receipt: bool
) -> tuple[Signal, str]:
    """Log a call, text, chat, e-mail or walk-in in the actor's organisation.

    With `issue_receipt`, returns a receipt for the caller, stored with `must_change`: the
    advocate has seen its secret, so at first use the caller must replace it with one of
    their own (receipt_claim) before anything else opens, and this one stops working.
    """
    if not can(actor, Perm.REPORT_INTAKE):
        raise PermissionDenied
    org_id = actor.organisation_id
    if not sealing.has_keys(org_id):
        raise sealing.NoKeys(org_id)
    secret = receipts.new_secret() if issue_receipt else ""
    with transaction.atomic():
        receipt = _new_receipt(secret, must_change=True) if issue_receipt else None
        signal = Signal.objects.create(
            organisation_id=org_id,
            receipt=receipt,
            channel=channel,
            country=answers.get("country", ""),
            region=answers.get("region", ""),
            exploitation_type=answers.get("exploitation_type") or ExploitationType.NOT_SURE,
            urgency=answers.get("urgency") or Urgency.NORMAL,
            language=answers.get("language", "")[:8],
            arrived_on=today(),
            consent_police=answers.get("consent_police"),
            consent_services=answers.get("consent_services"),
            fingerprint=fingerprint(answers.get("what_happened", "")),
            sealed=sealing.seal(org_id, _dump(answers)),
            assignee=actor,
            status=SignalStatus.IN_REVIEW,
        )
        audit.record(actor=actor, action="report.intake", obj=signal, reason=channel)
    return signal, receipts.format_receipt(receipt.public_id, secret) if receipt else ""


def assignable_staff(*, actor: Any) -> Any:
    """Colleagues of the actor who may triage signals (for the assignee list)."""
    from amparo.accounts.models import User
    from amparo.core.permissions import roles_with

    if not can(actor, Perm.REPORT_TRIAGE):
        return User.objects.none()
    # scoping: the actor's own organisation
    return User.objects.filter(
        organisation_id=actor.organisation_id, is_active=True, role__in=roles_with(Perm.REPORT_TRIAGE)
    ).order_by("full_name")
