"""Shared by the reporting use cases: errors, routing, sealing helpers, receipt rows."""

from __future__ import annotations

import base64
import json
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from nacl.public import PublicKey, SealedBox

from amparo.core import audit, blobs, sealing, vault
from amparo.core.models import OrganisationKeys
from amparo.core.permissions import Perm, can
from amparo.reports import abuse, receipts
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
    """A receipt attempt without a solved puzzle, refused: too many failures at this receipt
    in the last hour, or (`unsolved=True`) too many unsolved attempts across the instance."""

    def __init__(self, *, unsolved: bool = False) -> None:
        super().__init__()
        self.unsolved = unsolved


class PuzzleNeeded(Exception):
    """A receipt attempt needs a (harder) solved puzzle: `challenge` at `bits`, single use."""

    def __init__(self, challenge: str, bits: int) -> None:
        super().__init__(challenge, bits)
        self.challenge, self.bits = challenge, bits


def today() -> date:
    return timezone.localdate()


# --- routing ---------------------------------------------------------------------------------


#: Cache key of the routing version: a random token replaced whenever a routing rule or an
#: organisation's key pair is saved or deleted (`routing_changed`). Each process keeps the
#: rules and public keys it read at one version and reads them again when the token differs,
#: so every process sees a change at its next submission without a query per submission.
ROUTING_VERSION_KEY = "amparo:routing-version"
#: Safety net: the token expires, so every process re-reads at least this often even if a
#: change escaped the model signals (a queryset update(), SQL by hand).
ROUTING_VERSION_TTL = 300


@dataclass(frozen=True)
class RoutingTable:
    """Active routing rules and the public keys of the organisations that hold key pairs,
    as read from the database at `version`."""

    version: str
    rules: tuple[tuple[int, str, str, str], ...]  # organisation id, country, region, type
    keys: dict[int, PublicKey]

    def targets(self, *, country: str, region: str, exploitation_type: str) -> list[int]:
        """Organisations whose active rules match and which hold keys, else the default one, else []."""
        matching = {
            org_id
            for org_id, rule_country, rule_region, rule_type in self.rules
            if rule_country in ("", country) and rule_region in ("", region) and rule_type in ("", exploitation_type)
        }
        targets = sorted(org_id for org_id in matching if org_id in self.keys)
        if targets:
            return targets
        default = getattr(settings, "AMPARO_REPORT_DEFAULT_ORGANISATION", None)
        if default and int(default) in self.keys:
            return [int(default)]
        return []

    def seal(self, organisation_id: int, data: bytes) -> bytes:
        """What sealing.seal() does (pad, then seal), with the public key read at this version."""
        key = self.keys.get(organisation_id)
        if key is None:
            raise sealing.NoKeys(organisation_id)
        return SealedBox(key).encrypt(sealing.pad(data))


_routing: RoutingTable | None = None


def routing_changed(*, using: str = "default", **_kwargs: Any) -> None:
    """Receiver of post_save / post_delete for RoutingRule and OrganisationKeys (apps.py).

    Replaces the token now and again once the transaction commits: a process that read the
    version in between may have read the rows as they were before the change.
    """

    def bump() -> None:
        cache.set(ROUTING_VERSION_KEY, secrets.token_hex(16), ROUTING_VERSION_TTL)

    bump()
    transaction.on_commit(bump, using=using)


def routing_table(version: str | None) -> RoutingTable:
    """This process's routing table if it was read at `version` (the token just read from the
    cache), else the rules and keys read again from the database (the token first)."""
    global _routing
    if version is None:
        fresh = secrets.token_hex(16)
        version = fresh if cache.add(ROUTING_VERSION_KEY, fresh, ROUTING_VERSION_TTL) else None
        version = version or cache.get(ROUTING_VERSION_KEY) or fresh
    table = _routing
    if table is not None and table.version == version:
        return table
    rules = tuple(
        # scoping: the routing table: every organisation's active rules (system, no content)
        RoutingRule.objects.filter(active=True).values_list("organisation_id", "country", "region", "exploitation_type")
    )
    keys = {
        org_id: PublicKey(base64.b64decode(public_key))
        for org_id, public_key in OrganisationKeys.objects.values_list("organisation_id", "public_key")
    }
    _routing = table = RoutingTable(version=version, rules=rules, keys=keys)
    return table


def routing_targets(*, country: str, region: str, exploitation_type: str) -> list[int]:
    """Organisations whose active rules match and which can receive sealed reports.

    Falls back to settings.AMPARO_REPORT_DEFAULT_ORGANISATION (an organisation id).
    Raises ReportingUnavailable when nobody can receive the report.
    """
    table = routing_table(cache.get(ROUTING_VERSION_KEY))
    targets = table.targets(country=country, region=region, exploitation_type=exploitation_type)
    if not targets:
        raise ReportingUnavailable
    return targets


def routing_with_room(
    *,
    country: str,
    region: str,
    exploitation_type: str,
    held: bool,
    trusted: bool,
    redeem: str = "",
    chosen: list[int] | None = None,
) -> tuple[RoutingTable, list[int], abuse.Room]:
    """The routing table, the organisations that receive this submission and have room, and
    the cache's answer (`room.redeemed`: whether the proof-of-work challenge `redeem` was
    fresh and is now used up; `room.counted`: the counters this submission was counted in,
    to give back with `abuse.uncount` if nothing is stored).

    One cache round trip in the usual case: the challenge is redeemed, the caps' counters
    and the routing version are read and the submission is counted together, for the
    organisations this process's table routes to; only after a change of the rules or keys
    are the rows read again (and the counting redone, if the targets changed). A stale
    challenge makes the submission held. Raises CapReached (instance or held cap, or no
    receiving organisation with room) and ReportingUnavailable, in that order, with the
    count given back. A trusted network skips the caps but is counted. `chosen` (the
    recipients the reporter kept, report_recipients) narrows the targets to those among them.
    """
    where = {"country": country, "region": region, "exploitation_type": exploitation_type}

    def pick(targets: list[int]) -> list[int]:
        return targets if chosen is None else [org_id for org_id in targets if org_id in chosen]

    table = _routing
    guess = pick(table.targets(**where)) if table is not None else []
    room = abuse.room(held=held, organisation_ids=guess, also=ROUTING_VERSION_KEY, redeem=redeem, count_it=True)
    targets, version = guess, room.also
    if table is None or version is None or table.version != version:
        table = routing_table(version)
        targets = pick(table.targets(**where))
        if targets != guess:
            abuse.uncount(room.counted)
            held = held or (bool(redeem) and not room.redeemed)
            again = abuse.room(held=held, organisation_ids=targets, count_it=True)
            room = replace(again, redeemed=room.redeemed)
    with_room = targets if trusted else room.organisations
    problem: type[CapReached | ReportingUnavailable] | None = None
    if not (room.instance or trusted):
        problem = CapReached
    elif not targets:
        problem = ReportingUnavailable
    elif not with_room:
        problem = CapReached
    if problem is not None:
        abuse.uncount(room.counted)
        raise problem
    if len(with_room) < len(targets):  # organisations over their cap do not count this one
        room = abuse.give_back_organisations(room, [org_id for org_id in targets if org_id not in with_room])
    return table, with_room, room


def routing_rule_create(*, actor: Any, country: str, region: str, exploitation_type: str) -> RoutingRule:
    if not can(actor, Perm.REPORT_ROUTING):
        raise PermissionDenied
    with transaction.atomic():
        # scoping: the actor's own organisation
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
    """`data` (JSON) padded and sealed to the reporter's receipt key, or None without a receipt.

    The padding is JSON whitespace (sealing.pad), so the reporter's reader parses it as is."""
    if receipt is None:
        return None
    return SealedBox(PublicKey(bytes(receipt.reporter_public_key))).encrypt(sealing.pad(data))


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
            **blobs.sealed_fields(sealing.seal(signal.organisation_id, item.content)),
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
