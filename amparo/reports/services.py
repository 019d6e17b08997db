"""Use cases of reporting: submit, follow up, triage, hotline intake, routing, retention.

Public use cases (`report_submit`, `followup_*`, `receipt_change`) take no actor: the
reporter is anonymous, and they write no audit entry, because an audit entry carries a
precise time that would date the reporter's action to the second. Every staff use case
checks the permission first and writes an audit entry without any content in it.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from nacl.public import PublicKey, SealedBox

from amparo.core import audit, sealing, vault
from amparo.core.permissions import Perm, can
from amparo.reports import abuse, receipts
from amparo.reports.cleaning import CleanFile
from amparo.reports.models import Attachment, Message, Receipt, RoutingRule, Signal, SubmissionKey
from amparo.reports.vocabularies import (
    Channel,
    Danger,
    ExploitationType,
    Indicator,
    MessageAuthor,
    MessageKind,
    SignalStatus,
    Urgency,
)


class ReportingUnavailable(Exception):
    """No organisation able to receive sealed reports matches, and no default is set up."""


class CapReached(Exception):
    """Too many reports arrived this hour; the reporter is asked to try again later."""


class ReceiptRefused(Exception):
    """The receipt does not open a report: wrong, expired or never issued (one answer for all)."""


class Throttled(Exception):
    """Too many receipt attempts for this report in the last hour."""


def today() -> date:
    return timezone.localdate()


# --- routing ---------------------------------------------------------------------------------


def routing_targets(*, country: str, region: str, exploitation_type: str) -> list[int]:
    """Organisations whose active rules match and which can receive sealed reports.

    Falls back to settings.AMPARO_REPORT_DEFAULT_ORGANISATION (an organisation id).
    Raises ReportingUnavailable when nobody can receive the report.
    """
    matching = (
        RoutingRule.objects.filter(active=True)
        .filter(Q(country="") | Q(country=country))
        .filter(Q(region="") | Q(region=region))
        .filter(Q(exploitation_type="") | Q(exploitation_type=exploitation_type))
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    targets = sorted({org_id for org_id in matching if sealing.has_keys(org_id)})
    if targets:
        return targets
    default = getattr(settings, "AMPARO_REPORT_DEFAULT_ORGANISATION", None)
    if default and sealing.has_keys(int(default)):
        return [int(default)]
    raise ReportingUnavailable


def routing_rule_create(*, actor: Any, country: str, region: str, exploitation_type: str) -> RoutingRule:
    if not can(actor, Perm.REPORT_ROUTING):
        raise PermissionDenied
    with transaction.atomic():
        rule, _created = RoutingRule.objects.get_or_create(
            organisation_id=actor.organisation_id,
            country=country,
            region=region,
            exploitation_type=exploitation_type,
            defaults={"active": True},
        )
        audit.record(actor=actor, action="report.routing_add", obj=rule, reason=str(rule))
    return rule


def routing_rule_delete(*, actor: Any, rule: RoutingRule) -> None:
    """Remove a rule of the actor's organisation (the rule must come from visible_to)."""
    if not can(actor, Perm.REPORT_ROUTING) or rule.organisation_id != actor.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        audit.record(actor=actor, action="report.routing_remove", obj=rule, reason=str(rule))
        rule.delete()


# --- sealing helpers -------------------------------------------------------------------------


def _dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _seal_for_reporter(receipt: Receipt | None, data: bytes) -> bytes | None:
    if receipt is None:
        return None
    return SealedBox(PublicKey(bytes(receipt.reporter_public_key))).encrypt(data)


def fingerprint(text: str) -> str:
    """Keyed digest of the words of `text` (order, case, accents, digits, punctuation ignored).

    Copy-pasted or lightly edited spam gets the same fingerprint and is grouped in the inbox.
    Short texts (under five distinct words) get none, so brief genuine reports never group.
    """
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text).casefold() if not unicodedata.combining(ch))
    words = sorted({w for w in "".join(ch if ch.isalpha() else " " for ch in folded).split() if len(w) >= 3})
    if len(words) < 5:
        return ""
    return vault.blind_index(" ".join(words), context="reports.Signal.fingerprint")


def urgency_from(answers: dict[str, Any]) -> str:
    if answers.get("danger") == Danger.YES:
        return Urgency.URGENT
    if "child" in answers.get("age_groups", []) or Indicator.CHILD in answers.get("indicators", []):
        return Urgency.HIGH
    return Urgency.NORMAL


def _attach(signal: Signal, files: list[CleanFile], message: Message | None = None) -> None:
    for item in files:
        meta = _dump({"name": item.name, "content_type": item.content_type})
        Attachment.objects.create(
            signal=signal,
            message=message,
            sealed_name=sealing.seal(signal.organisation_id, meta),
            sealed_content=sealing.seal(signal.organisation_id, item.content),
        )


# --- the reporter ----------------------------------------------------------------------------


@dataclass
class Submitted:
    public_id: str
    receipt: str  # empty on a replay whose secret the server cannot show again
    held: bool
    replayed: bool = False
    signals: list[Signal] = field(default_factory=list)


@dataclass(frozen=True)
class DeviceKeys:
    """A receipt's stored half, derived on the reporter's device (see receipts.derive)."""

    salt: bytes
    verifier: bytes
    reporter_public_key: bytes
    opslimit: int
    memlimit: int


def _new_receipt(secret: str, *, must_change: bool = False, device: DeviceKeys | None = None) -> Receipt:
    if device is None:
        salt = receipts.new_salt()
        opslimit, memlimit = receipts.kdf_limits()
        keys = receipts.derive(secret, salt, opslimit, memlimit)
        device = DeviceKeys(salt, keys.verifier, bytes(keys.private_key.public_key), opslimit, memlimit)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Receipt.objects.create(
                    public_id=receipts.new_public_id(),
                    salt=device.salt,
                    verifier=device.verifier,
                    reporter_public_key=device.reporter_public_key,
                    kdf_opslimit=device.opslimit,
                    kdf_memlimit=device.memlimit,
                    must_change=must_change,
                    issued_on=today(),
                )
        except IntegrityError:
            continue
    raise RuntimeError("Could not allocate a receipt id.")


def _derive_for(receipt: Receipt, secret: str) -> receipts.DerivedKeys:
    return receipts.derive(secret, bytes(receipt.salt), receipt.kdf_opslimit, receipt.kdf_memlimit)


def _replay(key_hash: str, secret: str | None, held: bool) -> Submitted:
    stored = SubmissionKey.objects.select_related("receipt").get(key_hash=key_hash)
    receipt = stored.receipt
    public_id = receipt.public_id if receipt else ""
    text = ""
    if receipt is not None and secret and receipts.matches(_derive_for(receipt, secret), receipt.verifier):
        text = receipts.format_receipt(receipt.public_id, secret)
    return Submitted(public_id=public_id, receipt=text, held=held, replayed=True)


def report_submit(
    *,
    answers: dict[str, Any],
    files: list[CleanFile],
    channel: str = Channel.WEB,
    language: str = "",
    held: bool = False,
    trusted: bool = False,
    secret: str | None = None,
    device_keys: DeviceKeys | None = None,
    idempotency_key: str = "",
) -> Submitted:
    """Store an anonymous report for every organisation that receives it; return the receipt.

    `answers` must come from the validated questionnaire. `held` marks a submission
    without proof of work. `secret` lets an app choose the receipt's secret itself (so a
    retry can get its receipt back); `device_keys` lets it derive the receipt's keys itself,
    so the server never sees the secret (the returned receipt is then empty: the device
    formats it); otherwise the server draws the secret. A repeated
    `idempotency_key` stores nothing and answers as the first submission did.
    Raises CapReached, ReportingUnavailable.
    """
    country, region = answers.get("country", ""), answers.get("region", "")
    exploitation_type = answers.get("exploitation_type") or ExploitationType.NOT_SURE
    key_hash = vault.blind_index(idempotency_key, context="reports.idempotency") if idempotency_key else ""
    if key_hash and SubmissionKey.objects.filter(key_hash=key_hash).exists():
        return _replay(key_hash, secret, held)
    if not trusted and not abuse.instance_has_room(held=held):
        raise CapReached
    targets = routing_targets(country=country, region=region, exploitation_type=exploitation_type)
    if not trusted:
        targets = [org_id for org_id in targets if abuse.organisation_has_room(org_id)]
        if not targets:
            raise CapReached
    secret = secret or receipts.new_secret()
    content = _dump(answers)
    signature = fingerprint(answers.get("what_happened", ""))
    try:
        with transaction.atomic():
            receipt = _new_receipt(secret, device=device_keys)
            if key_hash:
                SubmissionKey.objects.create(key_hash=key_hash, receipt=receipt, created_on=today())
            signals = []
            for org_id in targets:
                signal = Signal.objects.create(
                    organisation_id=org_id,
                    receipt=receipt,
                    channel=channel,
                    country=country,
                    region=region,
                    exploitation_type=exploitation_type,
                    urgency=urgency_from(answers),
                    language=language[:8],
                    arrived_on=today(),
                    held=held,
                    consent_police=answers.get("consent_police"),
                    consent_services=answers.get("consent_services"),
                    fingerprint=signature,
                    sealed=sealing.seal(org_id, content),
                )
                _attach(signal, files)
                signals.append(signal)
    except IntegrityError:
        if key_hash:  # a concurrent retry with the same key won the race
            return _replay(key_hash, secret, held)
        raise
    abuse.submission_counted(held=held, organisation_ids=targets)
    return Submitted(
        public_id=receipt.public_id,
        receipt="" if device_keys else receipts.format_receipt(receipt.public_id, secret),
        held=held,
        signals=signals,
    )


@dataclass
class Opened:
    """A receipt that checked out: the row and the reporter's private key (request-long only)."""

    receipt: Receipt
    keys: receipts.DerivedKeys


def followup_open(*, receipt_text: str) -> Opened:
    """Check a receipt. Raises Throttled after too many attempts at one public id, and
    ReceiptRefused for every other failure alike (malformed, unknown, purged, wrong secret)."""
    parts = receipts.parse_receipt(receipt_text)
    if parts is None:
        raise ReceiptRefused
    if not abuse.receipt_attempt_allowed(parts.public_id):
        raise Throttled
    receipt = Receipt.objects.filter(public_id=parts.public_id, signals__isnull=False).distinct().first()
    if receipt is None:
        receipts.burn_time_like_a_check()
        raise ReceiptRefused
    keys = _derive_for(receipt, parts.secret)
    if not receipts.matches(keys, receipt.verifier):
        raise ReceiptRefused
    return Opened(receipt=receipt, keys=keys)


def _open_for_reporter(opened: Opened, blob: bytes | None) -> dict[str, Any] | None:
    if not blob:
        return None
    try:
        return json.loads(SealedBox(opened.keys.private_key).decrypt(bytes(blob)))
    except Exception:  # noqa: BLE001 (sealed to an older receipt key: not readable any more)
        return None


def followup_thread(*, opened: Opened) -> list[dict[str, Any]]:
    """The conversation the reporter may read, oldest first, across receiving organisations."""
    thread = []
    messages = Message.objects.filter(signal__receipt=opened.receipt).select_related("signal__organisation")
    for message in messages.order_by("id"):
        data = _open_for_reporter(opened, message.sealed_for_reporter)
        if data is None:
            continue
        if message.author == MessageAuthor.REPORTER and thread and thread[-1].get("_key") == data.get("key"):
            continue  # the reporter's own message, stored once per organisation
        thread.append(
            {
                "_key": data.get("key"),
                "author": message.author,
                "kind": message.kind,
                "organisation": message.signal.organisation.name if message.author == MessageAuthor.STAFF else "",
                "text": data.get("text", ""),
                "sent_on": message.sent_on,
            }
        )
    return thread


def followup_reply(*, opened: Opened, text: str = "", contact: str = "", files: list[CleanFile] | None = None) -> int:
    """Add the reporter's answer (and contact details, if they chose to give them) to every
    signal of the receipt, sealed to each organisation and to the reporter. Returns messages stored."""
    stored = 0
    with transaction.atomic():
        signals = list(Signal.objects.filter(receipt=opened.receipt))  # scoping: the receipt proves the reporter
        for kind, body in ((MessageKind.TEXT, text), (MessageKind.CONTACT, contact)):
            if not body:
                continue
            payload = _dump({"text": body, "key": receipts.new_secret()})
            for signal in signals:
                message = Message.objects.create(
                    signal=signal,
                    author=MessageAuthor.REPORTER,
                    kind=kind,
                    sealed_for_org=sealing.seal(signal.organisation_id, payload),
                    sealed_for_reporter=_seal_for_reporter(opened.receipt, payload),
                    sent_on=today(),
                )
                if kind == MessageKind.TEXT and files:
                    _attach(signal, files, message)
                stored += 1
        if files and not text:
            for signal in signals:
                _attach(signal, files)
        Signal.objects.filter(receipt=opened.receipt, status=SignalStatus.NEEDS_INFO).update(
            status=SignalStatus.IN_REVIEW
        )
    return stored


def receipt_change(*, opened: Opened, new_secret: str | None = None) -> str:
    """Replace the receipt's secret (and the reporter key derived from it); return the new
    receipt. Messages sealed to the old reporter key are re-sealed to the new one."""
    secret = new_secret or receipts.new_secret()
    salt = receipts.new_salt()
    opslimit, memlimit = receipts.kdf_limits()
    keys = receipts.derive(secret, salt, opslimit, memlimit)
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=opened.receipt.pk)
        new_public = PublicKey(bytes(keys.private_key.public_key))
        for message in Message.objects.filter(signal__receipt=receipt).exclude(sealed_for_reporter=None):
            try:
                plain = SealedBox(opened.keys.private_key).decrypt(bytes(message.sealed_for_reporter))
            except Exception:  # noqa: BLE001, S112 (already unreadable: leave it)
                continue
            message.sealed_for_reporter = SealedBox(new_public).encrypt(plain)
            message.save(update_fields=["sealed_for_reporter"])
        receipt.salt, receipt.verifier = salt, keys.verifier
        receipt.reporter_public_key, receipt.must_change = bytes(keys.private_key.public_key), False
        receipt.kdf_opslimit, receipt.kdf_memlimit = opslimit, memlimit
        receipt.save(
            update_fields=["salt", "verifier", "reporter_public_key", "must_change", "kdf_opslimit", "kdf_memlimit"]
        )
    opened.receipt, opened.keys = receipt, keys
    return receipts.format_receipt(receipt.public_id, secret)


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
    for message in signal.messages.select_related("staff_member"):
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
    for attachment in signal.attachments.all():
        meta = json.loads(sealing.unseal(request, org_id, bytes(attachment.sealed_name)))
        attachments.append({"pk": attachment.pk, "name": meta.get("name", "")})
    with transaction.atomic():
        audit.record(actor=actor, action="report.view", obj=signal)
        signal.messages.filter(author=MessageAuthor.REPORTER, read_by_org=False).update(read_by_org=True)
    return OpenedSignal(answers=answers, messages=messages, attachments=attachments)


def attachment_open(*, request: HttpRequest, actor: Any, attachment: Attachment) -> tuple[str, str, bytes]:
    """(name, content type, content) of an attachment of a visible signal; audited."""
    org_id = attachment.signal.organisation_id
    meta = json.loads(sealing.unseal(request, org_id, bytes(attachment.sealed_name)))
    content = sealing.unseal(request, org_id, bytes(attachment.sealed_content))
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


def signal_update(
    *,
    actor: Any,
    signal: Signal,
    status: str | None = None,
    assignee: Any = None,
    urgency: str | None = None,
    release: bool = False,
) -> Signal:
    """Change status, assignee, urgency, or release from the held queue; one audit entry per change."""
    if not can(actor, Perm.REPORT_TRIAGE) or signal.organisation_id != actor.organisation_id:
        raise PermissionDenied
    if assignee is not None and assignee.organisation_id != actor.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        changes = []
        if status and status != signal.status:
            signal.status = status
            changes.append(("report.status", status))
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
        Signal.objects.filter(pk__in=ids).update(status=SignalStatus.SPAM)
        audit.record(actor=actor, action="report.spam", obj=signal, reason=f"{len(ids)} signal(s)")
    return len(ids)


def hotline_signal_create(
    *, actor: Any, answers: dict[str, Any], channel: str, issue_receipt: bool
) -> tuple[Signal, str]:
    """Log a call, text, chat, e-mail or walk-in in the actor's organisation.

    With `issue_receipt`, returns a receipt for the caller; the caller must change its
    secret at first use, since the advocate has seen it.
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


# --- retention -------------------------------------------------------------------------------


def signals_purge_expired(*, on: date | None = None) -> int:
    """Delete signals older than AMPARO_REPORT_RETENTION_DAYS not linked to a case, then the
    receipts left without a signal and stale idempotency keys. Returns signals deleted."""
    on = on or today()
    cutoff = on - timedelta(days=int(getattr(settings, "AMPARO_REPORT_RETENTION_DAYS", 365)))
    with transaction.atomic():
        expired = Signal.objects.filter(arrived_on__lt=cutoff, case__isnull=True)  # scoping: system task
        count = expired.count()
        expired.delete()
        Receipt.objects.filter(signals__isnull=True).delete()
        keep_keys = int(getattr(settings, "AMPARO_IDEMPOTENCY_DAYS", 2))
        SubmissionKey.objects.filter(created_on__lt=on - timedelta(days=keep_keys)).delete()
        if count:
            audit.record(actor=None, action="report.purge", reason=f"{count} signal(s) before {cutoff.isoformat()}")
    return count


def assignable_staff(*, actor: Any) -> Any:
    """Colleagues of the actor who may triage signals (for the assignee list)."""
    from amparo.accounts.models import User
    from amparo.core.permissions import roles_with

    if not can(actor, Perm.REPORT_TRIAGE):
        return User.objects.none()
    return User.objects.filter(
        organisation_id=actor.organisation_id, is_active=True, role__in=roles_with(Perm.REPORT_TRIAGE)
    ).order_by("full_name")
