"""Case files: the first model holding people's data, and the template for the rest.

Identifying fields are vault-encrypted; the phone number is also kept as a blind index
for exact-match search. Rows are read only through `Case.objects.visible_to(user)`.
The full HTCDS case model (consent, screening, support plans, events) grows from here.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.core.fields import EncryptedTextField, index_for
from amparo.core.permissions import Perm
from amparo.core.scoping import OrgScoped

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "C-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class CaseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow up")
    CLOSED = "closed", _("Closed")
    CLOSED_REFERRED = "closed_referred", _("Closed and referred")


class Case(OrgScoped):
    view_permission = Perm.CASE_VIEW

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACTIVE)
    person_name = EncryptedTextField(_("name of the person"))
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    summary = EncryptedTextField(_("summary"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_index = index_for(Case, "phone", self.phone) if self.phone else ""
        super().save(*args, **kwargs)
