"""Referral to a service not on Amparo: one-time link or printed sheet (decision 0032).

The same checks as a referral on Amparo (decision 0020): `referral.send` in the case's
organisation, an open case, the person's consent to referral (`consent_allows`, with the
legal adviser's override as for cases), exactly the chosen need-to-know set's fields, each
value reviewed by the sender. There is no receiving organisation key, so the content is
encrypted with a key derived from a generated passphrase (Argon2id, a salt of the link's own)
the sender gives by phone; the link travels by another channel.

Opening (`link_open`) answers the same for an unknown token, an expired, revoked, opened or
burnt link and a wrong passphrase: callers get None and show one page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.sharing import FIELD_SETS_VERSION, sets_for
from amparo.cases.models import Case
from amparo.cases.services.consent import consent_allows
from amparo.core import audit
from amparo.core.permissions import Perm, can
from amparo.referrals import content
from amparo.referrals.models import Service
from amparo.referrals.onetime_models import (
    DEFAULT_DAYS,
    MAX_ATTEMPTS,
    MAX_DAYS,
    MIN_DAYS,
    ExternalKind,
    ExternalReferral,
)
from amparo.reports import abuse, receipts
from amparo.reports.receipts import ALPHABET

PURPOSE = "referral"
#: The passphrase: 20 base32 characters (100 bits), read in groups of four by phone.
PASSPHRASE_CHARS = 20
TOKEN_BYTES = 16  # 128 bits
#: Open attempts per link (known or not) per hour, counted in the cache before any work.
OPENS_PER_HOUR = 10


@dataclass(frozen=True)
class Issued:
    referral: ExternalReferral
    token: str
    passphrase: str


def token_hash(token: str) -> bytes:
    return hashlib.sha256(str(token).encode("utf-8", "replace")).digest()


def new_passphrase() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(PASSPHRASE_CHARS))


def format_passphrase(passphrase: str) -> str:
    return " ".join(passphrase[i : i + 4] for i in range(0, len(passphrase), 4))


def read_passphrase(text: str) -> str:
    """The passphrase as typed: case, spaces and dashes ignored, 0/1/8 read as O/I/B."""
    return receipts.normalise(str(text)[:200])


def _key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), bytes(salt), opslimit=opslimit, memlimit=memlimit
    )


def external_services(actor: Any) -> QuerySet[Service]:
    """Published directory entries not on Amparo (contact only): where this referral can go."""
    if not can(actor, Perm.REFERRAL_SEND):
        return Service.objects.none()
    return Service.objects.directory_visible_to(actor).filter(on_amparo=False).select_related("service_type")


def _check(*, actor: Any, case: Case, service: Service, field_set: str) -> None:
    if not can(actor, Perm.REFERRAL_SEND) or actor.organisation_id != case.organisation_id:
        raise PermissionDenied
    if not case.is_open:
        raise ValidationError(_("Only an open case can be referred."))
    if field_set not in sets_for("case"):
        raise ValidationError(_("Choose a set of fields from the list."))
    # scoping: the one service named, among the published entries not on Amparo
    if not external_services(actor).filter(pk=service.pk).exists():
        raise ValidationError(_("Choose a service that is not on Amparo."))
    if not consent_allows(case, PURPOSE):
        raise ValidationError(
            _("The person has not consented to referral (or withdrew consent): record consent first."),
            code="no_consent",
        )


def link_issue(
    *,
    actor: Any,
    case: Case,
    service: Service,
    field_set: str,
    values: dict[str, str],
    note: str = "",
    days: int = DEFAULT_DAYS,
) -> Issued:
    """Encrypt the reviewed fields under a new passphrase and store the link's hash only."""
    _check(actor=actor, case=case, service=service, field_set=field_set)
    if not MIN_DAYS <= int(days) <= MAX_DAYS:
        raise ValidationError(_("Choose between 1 and 14 days."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    passphrase = new_passphrase()
    salt = receipts.new_salt()
    opslimit, memlimit = receipts.kdf_limits()
    box = nacl.secret.SecretBox(_key(passphrase, salt, opslimit, memlimit))
    ciphertext = bytes(box.encrypt(content.encode(field_set, values, note.strip())))
    now = timezone.now()
    with transaction.atomic():
        referral = ExternalReferral.objects.create(
            organisation_id=case.organisation_id,
            service=service,
            case=case,
            kind=ExternalKind.LINK,
            field_set=field_set,
            field_sets_version=FIELD_SETS_VERSION,
            token_hash=token_hash(token),
            salt=salt,
            opslimit=opslimit,
            memlimit=memlimit,
            ciphertext=ciphertext,
            sent_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=int(days)),
        )
        audit.record(actor=actor, action="referral.external_link", obj=referral, reason=f"set:{field_set}")
        audit.record(actor=actor, action="case.refer", obj=case, reason=f"external_referral:{referral.pk}")
    return Issued(referral=referral, token=token, passphrase=passphrase)


def sheet_print(
    *, actor: Any, case: Case, service: Service, field_set: str, values: dict[str, str], note: str = ""
) -> tuple[ExternalReferral, content.Opened]:
    """Record (and audit) a printed sheet; the values are returned for the page, never stored."""
    _check(actor=actor, case=case, service=service, field_set=field_set)
    opened = content.decode(content.encode(field_set, values, note.strip()))
    with transaction.atomic():
        referral = ExternalReferral.objects.create(
            organisation_id=case.organisation_id,
            service=service,
            case=case,
            kind=ExternalKind.PRINT,
            field_set=field_set,
            field_sets_version=FIELD_SETS_VERSION,
            sent_by=actor,
        )
        audit.record(actor=actor, action="referral.external_print", obj=referral, reason=f"set:{field_set}")
        audit.record(actor=actor, action="case.refer", obj=case, reason=f"external_referral:{referral.pk}")
    return referral, opened


def link_revoke(*, actor: Any, referral: ExternalReferral) -> None:
    if not can(actor, Perm.REFERRAL_SEND) or actor.organisation_id != referral.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        row = ExternalReferral.objects.select_for_update().get(pk=referral.pk)
        if not row.may_revoke():
            raise ValidationError(_("Only a link that has not been opened, and is still valid, can be revoked."))
        row.revoked_at = timezone.now()
        row.ciphertext = None
        row.save(update_fields=["revoked_at", "ciphertext"])
        audit.record(actor=actor, action="referral.external_revoke", obj=row)
    referral.refresh_from_db()


def link_open(token: str, passphrase_text: str) -> content.Opened | None:
    """The shared fields, once; None for every failure alike (unknown, expired, revoked, opened,
    burnt, throttled, wrong passphrase). A wrong passphrase counts towards burning the link."""
    digest = token_hash(token)
    if abuse.hit("external_link_open", digest.hex()) > OPENS_PER_HOUR:
        return None
    passphrase = read_passphrase(passphrase_text)
    with transaction.atomic():
        row = ExternalReferral.objects.select_for_update().filter(token_hash=digest, kind=ExternalKind.LINK).first()
        live = row is not None and row.may_revoke() and row.ciphertext
        if not live or row is None:
            receipts.burn_time_like_a_check()  # an unknown or dead link answers as slowly as a live one
            return None
        try:
            data = nacl.secret.SecretBox(_key(passphrase, row.salt, row.opslimit, row.memlimit)).decrypt(
                bytes(row.ciphertext)
            )
        except (nacl.exceptions.CryptoError, ValueError):
            row.failed_attempts += 1
            fields = ["failed_attempts"]
            if row.failed_attempts >= MAX_ATTEMPTS:
                row.burnt_at = timezone.now()
                row.ciphertext = None
                fields += ["burnt_at", "ciphertext"]
                audit.record(actor=None, action="referral.external_burnt", obj=row)
            row.save(update_fields=fields)
            return None
        row.opened_at = timezone.now()
        row.ciphertext = None  # shown once: nothing is left to open again
        row.save(update_fields=["opened_at", "ciphertext"])
        audit.record(actor=None, action="referral.external_opened", obj=row, reason="provider:one-time link")
    return content.decode(data)
