"""The audit log: append-only, hash-chained, with reads of people's data included.

Each entry carries a sequence number and `mac = HMAC(audit_key, previous mac + entry)`.
The audit key lives in the key file, not the database, so someone holding only the
database cannot rewrite history and recompute the chain. `manage.py verify_audit`
walks the chain and names the first entry that was changed, removed or reordered.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core import vault
from amparo.core.permissions import Perm
from amparo.core.scoping import OrgScopedQuerySet

GENESIS = "0" * 64


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who"), max_length=254, blank=True)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    reason = models.TextField(_("why"), blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    view_permission = Perm.AUDIT_VIEW
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit entries are append-only.")

    def payload(self) -> bytes:
        """The canonical bytes the chain covers."""
        return json.dumps(
            [
                self.seq,
                self.at.isoformat(),
                self.actor_id,
                self.actor_label,
                self.organisation_id,
                self.action,
                self.object_type,
                self.object_id,
                self.reason,
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()

    def compute_mac(self) -> str:
        return vault.audit_mac(self.prev_mac.encode() + b"|" + self.payload())


class AuditHead(models.Model):
    """A single row holding the chain's last sequence number and mac; locked while appending."""

    seq = models.PositiveBigIntegerField(default=0)
    mac = models.CharField(max_length=64, default=GENESIS)


class OrganisationKeys(models.Model):
    """An organisation's key pair for sealed data (see amparo.core.sealing).

    Only the public key is stored in the clear. The private key is stored in a secret box
    under the offline recovery key, and sealed to each authorised staff member (KeyGrant).
    After a rotation (`sealing.organisation_keys_rotate`) the earlier private keys, newest
    first, are in `retired_box`, sealed to the current public key, so content sealed before
    the rotation still opens.
    """

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.PROTECT, related_name="keys")
    public_key = models.CharField(max_length=64)
    recovery_box = models.TextField()
    retired_box = models.TextField(blank=True, default="")
    generation = models.PositiveIntegerField(default=1)
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class StaffKey(models.Model):
    """A staff member's key pair; the private key is wrapped by their password (Argon2id)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_key")
    public_key = models.CharField(max_length=64)
    salt = models.CharField(max_length=64)
    opslimit = models.PositiveIntegerField()
    memlimit = models.PositiveBigIntegerField()
    wrapped_private_key = models.TextField()


class KeyGrant(models.Model):
    """The organisation's private key sealed to one staff member's public key."""

    organisation_keys = models.ForeignKey(OrganisationKeys, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="key_grants")
    sealed_private_key = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation_keys", "user"], name="one_grant_per_user")]
