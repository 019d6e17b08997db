"""The reporter's use cases: submit, follow up, change the receipt. No actor, no audit entry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import IntegrityError, transaction
from nacl.public import PublicKey, SealedBox

from amparo.core import blobs, bulk, sealing, vault
from amparo.reports import abuse, cleaning, receipts
from amparo.reports.cleaning import CleanFile, PendingFile
from amparo.reports.models import Attachment, Message, Receipt, Signal, SubmissionKey
from amparo.reports.services.common import (
    CapReached,
    DeviceKeys,
    PuzzleNeeded,
    ReceiptRefused,
    Throttled,
    _attach,
    _derive_for,
    _dump,
    _seal_for_reporter,
    fingerprint,
    routing_with_room,
    today,
    urgency_from,
)
from amparo.reports.vocabularies import (
    Channel,
    ExploitationType,
    MessageAuthor,
    MessageKind,
    SignalStatus,
)

# --- the reporter ----------------------------------------------------------------------------


@dataclass
class Submitted:
    public_id: str
    receipt: str  # empty on a replay whose secret the server cannot show again
    held: bool
    replayed: bool = False
    signals: list[Signal] = field(default_factory=list)


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
    files: list[PendingFile] | list[CleanFile],
    channel: str = Channel.WEB,
    language: str = "",
    held: bool = False,
    trusted: bool = False,
    secret: str | None = None,
    device_keys: DeviceKeys | None = None,
    idempotency_key: str = "",
    challenge: str = "",
    recipients: list[int] | None = None,
) -> Submitted:
    """Store an anonymous report for every organisation that receives it; return the receipt.

    `answers` must come from the validated questionnaire. `held` marks a submission
    without proof of work. `secret` lets an app choose the receipt's secret itself (so a
    retry can get its receipt back); `device_keys` lets it derive the receipt's keys itself,
    so the server never sees the secret (the returned receipt is then empty: the device
    formats it); otherwise the server draws the secret. A repeated
    `idempotency_key` stores nothing and answers as the first submission did.
    `challenge` is a proof-of-work challenge whose nonce `abuse.pow_solved` accepted: it is
    used up here, and a submission whose challenge was not fresh is held. `recipients`
    (organisation ids the reporter kept among report_recipients) narrows where it goes.
    The answers are also sealed to the reporter key (Receipt.sealed_report), for the
    follow-up page. `files` (from `cleaning.inspect_all`) are decoded and cleaned only after
    the challenge and the caps have let the submission through.
    Raises CapReached, ReportingUnavailable, cleaning.Refused (nothing stored, nothing counted).
    """
    country, region = answers.get("country", ""), answers.get("region", "")
    exploitation_type = answers.get("exploitation_type") or ExploitationType.NOT_SURE
    key_hash = vault.blind_index(idempotency_key, context="reports.idempotency") if idempotency_key else ""
    # No look-up of the idempotency key first: its unique index answers when a row is
    # written (below), and a retry refused by the caps is answered from it too.
    try:
        table, targets, room = routing_with_room(
            country=country,
            region=region,
            exploitation_type=exploitation_type,
            held=held,
            trusted=trusted,
            redeem=challenge,
            chosen=recipients,
        )
    except CapReached:
        if key_hash and SubmissionKey.objects.filter(key_hash=key_hash).exists():
            return _replay(key_hash, secret, True)
        raise
    held = held or (bool(challenge) and not room.redeemed)
    try:
        cleaned = cleaning.clean_all(files)  # decoded only now: past the proof of work and the caps
    except cleaning.Refused:
        abuse.uncount(room.counted)
        raise
    if device_keys is None:
        secret = secret or receipts.new_secret()
    content = _dump(answers)
    signature = fingerprint(answers.get("what_happened", ""))
    urgency, arrived_on = urgency_from(answers), today()
    # Sealed once, before the insert: each organisation's copy with its own key.
    sealed = {org_id: table.seal(org_id, content) for org_id in targets}
    sealed_files = [
        (
            org_id,
            table.seal(org_id, _dump({"name": item.name, "content_type": item.content_type})),
            table.seal(org_id, item.content),
        )
        for org_id in targets
        for item in cleaned
    ]
    # In a storage backend (decision 0039) the sealed files are written once, before the
    # insert; objects of a submission that is not stored (a replay, an error) are deleted.
    stored_files = [(org_id, name, blobs.sealed_fields(blob)) for org_id, name, blob in sealed_files]
    placed = [fields["object_key"] for _org, _name, fields in stored_files if fields.get("object_key")]
    try:
        receipt_fields = _receipt_fields(secret or "", device_keys)
        receipt_fields["sealed_report"] = SealedBox(PublicKey(receipt_fields["reporter_public_key"])).encrypt(
            sealing.pad(content)
        )
        for attempt in range(5):
            # Every row in one statement (amparo.core.bulk): ids, receipt public id and signal
            # references are drawn afresh on each attempt, so a collision of a random value
            # rolls the statement back and it is tried again.
            receipt = Receipt(public_id=receipts.new_public_id(), **receipt_fields)
            signals = [
                Signal(
                    organisation_id=org_id,
                    receipt=receipt,
                    channel=channel,
                    country=country,
                    region=region,
                    exploitation_type=exploitation_type,
                    urgency=urgency,
                    language=language[:8],
                    arrived_on=arrived_on,
                    held=held,
                    consent_police=answers.get("consent_police"),
                    consent_services=answers.get("consent_services"),
                    fingerprint=signature,
                    sealed=sealed[org_id],
                )
                for org_id in targets
            ]
            by_org = {signal.organisation_id: signal for signal in signals}
            rows: list[Any] = [receipt]
            if key_hash:
                rows.append(SubmissionKey(key_hash=key_hash, receipt=receipt, created_on=arrived_on))
            rows.extend(signals)
            rows.extend(
                Attachment(signal=by_org[org_id], sealed_name=name, **fields) for org_id, name, fields in stored_files
            )
            try:
                bulk.insert_together(rows)
                break
            except IntegrityError:
                if key_hash and SubmissionKey.objects.filter(key_hash=key_hash).exists():
                    abuse.uncount(room.counted)  # a retry: the first one was stored (and counted)
                    blobs.discard(placed)
                    return _replay(key_hash, secret or None, held)
                if attempt == 4:
                    abuse.uncount(room.counted)
                    raise
    except BaseException:
        blobs.discard(placed)
        raise
    return Submitted(
        public_id=receipt.public_id,
        # Without device keys the secret was drawn above when not given: a str here.
        receipt="" if device_keys else receipts.format_receipt(receipt.public_id, cast(str, secret)),
        held=held,
        signals=signals,
    )


def _receipt_fields(secret: str, device: DeviceKeys | None) -> dict[str, Any]:
    """The receipt row's stored half: as the device derived it, else derived here (Argon2id)."""
    if device is None:
        salt = receipts.new_salt()
        opslimit, memlimit = receipts.kdf_limits()
        keys = receipts.derive(secret, salt, opslimit, memlimit)
        device = DeviceKeys(salt, keys.verifier, bytes(keys.private_key.public_key), opslimit, memlimit)
    return {
        "salt": device.salt,
        "verifier": device.verifier,
        "reporter_public_key": device.reporter_public_key,
        "kdf_opslimit": device.opslimit,
        "kdf_memlimit": device.memlimit,
        "must_change": False,
        "issued_on": today(),
    }


@dataclass
class Opened:
    """A receipt that checked out: the row and the reporter's private key (request-long only)."""

    receipt: Receipt
    keys: receipts.DerivedKeys


def followup_open(*, receipt_text: str, challenge: str = "", nonce: str = "", unsolved_allowed: bool = False) -> Opened:
    """Check a receipt, once the attempt has paid for its Argon2id with a solved puzzle.

    `challenge` and `nonce` must solve a fresh challenge of at least
    `abuse.receipt_difficulty(public id)` bits (used up here); otherwise PuzzleNeeded
    carries a new challenge of the difficulty needed. Failures elsewhere and at this
    receipt only make the puzzle harder: a correct receipt with enough work always opens.
    `unsolved_allowed` (pages without JavaScript) lets an attempt without a puzzle through
    while this receipt has had fewer than AMPARO_RECEIPT_ATTEMPTS_PER_HOUR failures and the
    instance fewer than AMPARO_RECEIPT_UNSOLVED_PER_HOUR unsolved attempts; else Throttled.
    Raises ReceiptRefused for every other failure alike (malformed, unknown, purged, wrong secret)."""
    parts = receipts.parse_receipt(receipt_text)
    if parts is None:
        raise ReceiptRefused
    solved = abuse.pow_solved(challenge, nonce) if challenge and nonce else ""
    if solved or not unsolved_allowed:
        needed = abuse.receipt_difficulty(parts.public_id)
        if not solved or int(solved.split(":", 1)[0]) < needed or not abuse.challenge_redeem(challenge, nonce):
            raise PuzzleNeeded(*abuse.receipt_challenge_issue(parts.public_id))
    elif abuse.receipt_locked_without_work(parts.public_id):
        raise Throttled
    elif not abuse.receipt_unsolved_allowed():
        raise Throttled(unsolved=True)
    receipt = Receipt.objects.filter(public_id=parts.public_id, signals__isnull=False).distinct().first()
    if receipt is None:
        receipts.burn_time_like_a_check()
        abuse.receipt_failed(parts.public_id)
        raise ReceiptRefused
    keys = _derive_for(receipt, parts.secret)
    if not receipts.matches(keys, receipt.verifier):
        abuse.receipt_failed(parts.public_id)
        raise ReceiptRefused
    return Opened(receipt=receipt, keys=keys)


def _open_for_reporter(opened: Opened, blob: bytes | None) -> dict[str, Any] | None:
    if not blob:
        return None
    try:
        return json.loads(sealing.unpad(SealedBox(opened.keys.private_key).decrypt(bytes(blob))))
    except Exception:  # noqa: BLE001 (sealed to an older receipt key: not readable any more)
        return None


def followup_thread(*, opened: Opened) -> list[dict[str, Any]]:
    """The conversation the reporter may read, oldest first, across receiving organisations.

    Message ids are random (no order in time is kept beyond the day): the order is by day,
    then by place in each organisation's conversation."""
    thread = []
    seen: set[str] = set()
    # scoping: the reporter's own conversation, proven by the receipt
    messages = Message.objects.filter(signal__receipt=opened.receipt).select_related("signal__organisation")
    for message in messages.order_by("sent_on", "seq", "signal_id"):
        data = _open_for_reporter(opened, message.sealed_for_reporter)
        if data is None:
            continue
        if message.author == MessageAuthor.REPORTER and data.get("key"):
            if data["key"] in seen:
                continue  # the reporter's own message, stored once per organisation
            seen.add(data["key"])
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


def followup_reply(
    *, opened: Opened, text: str = "", contact: str = "", files: list[PendingFile] | list[CleanFile] | None = None
) -> int:
    """Add the reporter's answer (and contact details, if they chose to give them) to every
    signal of the receipt, sealed to each organisation and to the reporter. Returns messages stored.
    `files` are decoded here, after the receipt was checked; raises cleaning.Refused, storing nothing."""
    cleaned = cleaning.clean_all(files or [])
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
                if kind == MessageKind.TEXT and cleaned:
                    _attach(signal, cleaned, message)
                stored += 1
        if cleaned and not text:
            for signal in signals:
                _attach(signal, cleaned)
        # scoping: the signals of a receipt the reporter has just proven
        Signal.objects.filter(receipt=opened.receipt, status=SignalStatus.NEEDS_INFO).update(
            status=SignalStatus.IN_REVIEW
        )
    return stored


def receipt_change(*, opened: Opened, new_secret: str | None = None) -> str:
    """Replace the receipt's secret (and the reporter key derived from it); return the new
    receipt. Messages sealed to the old reporter key are re-sealed to the new one.

    Raises ReceiptRefused, changing nothing, when the receipt changed since it was opened
    (two changes at once: the second would re-seal nothing it can read and leave the
    conversation sealed to neither key)."""
    secret = new_secret or receipts.new_secret()
    salt = receipts.new_salt()
    opslimit, memlimit = receipts.kdf_limits()
    keys = receipts.derive(secret, salt, opslimit, memlimit)
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().get(pk=opened.receipt.pk)
        if bytes(receipt.verifier) != bytes(opened.receipt.verifier):
            raise ReceiptRefused
        new_public = PublicKey(bytes(keys.private_key.public_key))
        # scoping: the reporter's own conversation, proven by the receipt (re-sealed to the new key)
        for message in Message.objects.filter(signal__receipt=receipt).exclude(sealed_for_reporter=None):
            try:
                sealed = cast("bytes | memoryview", message.sealed_for_reporter)  # None excluded above
                plain = SealedBox(opened.keys.private_key).decrypt(bytes(sealed))
            except Exception:  # noqa: BLE001, S112 (already unreadable: leave it)
                continue
            message.sealed_for_reporter = SealedBox(new_public).encrypt(sealing.pad(sealing.unpad(plain)))
            message.save(update_fields=["sealed_for_reporter"])
        if receipt.sealed_report:
            try:
                plain = SealedBox(opened.keys.private_key).decrypt(bytes(receipt.sealed_report))
                receipt.sealed_report = SealedBox(new_public).encrypt(sealing.pad(sealing.unpad(plain)))
            except Exception:  # noqa: BLE001 (already unreadable: drop the copy)
                receipt.sealed_report = None
        receipt.salt, receipt.verifier = salt, keys.verifier
        receipt.reporter_public_key, receipt.must_change = bytes(keys.private_key.public_key), False
        receipt.kdf_opslimit, receipt.kdf_memlimit = opslimit, memlimit
        receipt.save(
            update_fields=[
                "salt",
                "verifier",
                "reporter_public_key",
                "must_change",
                "kdf_opslimit",
                "kdf_memlimit",
                "sealed_report",
            ]
        )
    opened.receipt, opened.keys = receipt, keys
    return receipts.format_receipt(receipt.public_id, secret)
