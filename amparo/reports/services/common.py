"""Shared by the reporting use cases: errors, routing, sealing helpers, receipt rows."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from nacl.public import PublicKey, SealedBox

from amparo.core import audit, sealing, vault
from amparo.core.permissions import Perm, can
from amparo.reports import receipts
from amparo.reports.cleaning import CleanFile
from amparo.reports.models import Attachment, Message, Receipt, RoutingRule, Signal
from amparo.reports.vocabularies import (
    Danger,
    Indicator,
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
