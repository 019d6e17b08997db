"""Referrals to a service that is not on Amparo (issue 9, part 4; decision 0032).

The provider has no key pair on Amparo, so nothing can be sealed to it. Two ways out:

- a one-time link: the shared fields are encrypted with a key derived (Argon2id, a salt of
  this row's own) from a passphrase Amparo generates and shows the sender once, to be given
  by phone; the link's 128-bit token is stored only as its SHA-256. The link opens once,
  expires (7 days by default), can be revoked before it is opened, and burns after a few
  wrong passphrases. Once opened, the ciphertext is erased.
- a printable sheet: the fields are rendered once for the sender to print; nothing of the
  person is stored, only that a sheet was printed (and the audit entry).

An `ExternalReferral` belongs to the sending organisation only (`OrgScopedQuerySet`): no
other organisation on Amparo is a party to it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.fields import random_primary_key
from amparo.core.permissions import Perm
from amparo.core.scoping import OrgScopedQuerySet

DEFAULT_DAYS = 7
MIN_DAYS = 1
MAX_DAYS = 14
#: Wrong passphrases a link takes before it is burnt.
MAX_ATTEMPTS = 5


class ExternalKind(models.TextChoices):
    LINK = "link", _("One-time link")
    PRINT = "print", _("Printed sheet")


class ExternalStatus(models.TextChoices):
    LINK_SENT = "link_sent", _("Link sent, not opened yet")
    OPENED = "opened", _("Opened by the provider")
    EXPIRED = "expired", _("Link expired unopened")
    REVOKED = "revoked", _("Link revoked")
    BURNT = "burnt", _("Link blocked after wrong passphrases")
    PRINTED = "printed", _("Printed sheet handed over")


class ExternalReferral(models.Model):
    """A referral from one of the organisation's cases to a directory entry not on Amparo."""

    id = random_primary_key()
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("referring organisation")
    )
    service = models.ForeignKey("referrals.Service", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=ExternalKind.choices)
    field_set = models.CharField(_("field set"), max_length=32)
    field_sets_version = models.CharField(max_length=20)
    #: SHA-256 of the link's token (links only); the token itself is never stored.
    token_hash = models.BinaryField(max_length=32, null=True, blank=True, unique=True)
    #: Argon2id salt and cost for this link's passphrase.
    salt = models.BinaryField(max_length=16, null=True, blank=True)
    opslimit = models.PositiveIntegerField(default=0)
    memlimit = models.PositiveIntegerField(default=0)
    #: The shared fields and note, encrypted with the passphrase's key; erased once opened.
    ciphertext = models.BinaryField(null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    burnt_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    organisation_id: int
    view_permission = Perm.REFERRAL_VIEW
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral to a service not on Amparo")
        verbose_name_plural = _("referrals to services not on Amparo")
        indexes = [models.Index(fields=["organisation", "created_at", "id"], name="external_referral_sent")]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.service}"

    def current_status(self, now: Any = None) -> str:
        if self.kind == ExternalKind.PRINT:
            return ExternalStatus.PRINTED
        if self.opened_at:
            return ExternalStatus.OPENED
        if self.revoked_at:
            return ExternalStatus.REVOKED
        if self.burnt_at:
            return ExternalStatus.BURNT
        if self.expires_at and self.expires_at <= (now or timezone.now()):
            return ExternalStatus.EXPIRED
        return ExternalStatus.LINK_SENT

    def current_status_label(self) -> str:
        return str(ExternalStatus(self.current_status()).label)

    def may_revoke(self) -> bool:
        return self.current_status() == ExternalStatus.LINK_SENT
