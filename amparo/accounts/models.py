"""Organisations, staff accounts and invitations.

Decision (docs/decisions/0002-one-organisation-per-account.md): a staff account belongs
to exactly one organisation and holds one role there. Someone who works for two
organisations holds two accounts, so scoping is one column and a session never mixes
two organisations' data.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import pycountry
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.fields import latitude_field, longitude_field
from amparo.core.permissions import Perm, Role
from amparo.core.scoping import OrgScopedQuerySet, TwoPartyQuerySet


def validate_country(value: str) -> None:
    if pycountry.countries.get(alpha_3=value) is None:
        raise ValidationError(_("Choose a country from the list."), code="country")


class OrganisationType(models.TextChoices):
    NGO = "ngo", _("Non-governmental organisation")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    HEALTH_SERVICE = "health_service", _("Health service")
    CENTRAL_GOVERNMENT = "central_government", _("Central government")
    LOCAL_GOVERNMENT = "local_government", _("Local government")
    IMMIGRATION_SERVICE = "immigration_service", _("Immigration service")
    LEGAL_SERVICE = "legal_service", _("Legal service")
    INTERGOVERNMENTAL = "intergovernmental", _("Intergovernmental organisation")
    CORPORATE_BUSINESS = "corporate_business", _("Business")
    SCHOOL_COLLEGE = "school_college", _("School or college")


class CaseAccess(models.TextChoices):
    """Who among the organisation's case workers and legal advisers reads a case file
    (docs/decisions/0014-assignment-based-case-access.md)."""

    ASSIGNED = "assigned", _("Only the staff assigned to the case")
    TEAM = "team", _("Every case worker and legal adviser of the organisation")


class Organisation(models.Model):
    """An organisation with the HTCDS 2.0 organisation fields."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    org_type = models.CharField(_("type"), max_length=32, choices=OrganisationType.choices)
    country = models.CharField(_("country"), max_length=3, validators=[validate_country])
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.CharField(_("state or region"), max_length=120, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    case_access = models.CharField(
        _("who reads case files"),
        max_length=10,
        choices=CaseAccess.choices,
        default=CaseAccess.ASSIGNED,
        help_text=_(
            "With assigned staff only, a case worker or legal adviser reads only the cases assigned to them; "
            "case workers also see cases without an active case worker, so that someone takes them on."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    view_permission = Perm.ORG_VIEW
    scope_field = "pk"
    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager.from_queryset(OrgScopedQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member. Signs in with e-mail and password, then TOTP."""

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    is_demo = models.BooleanField(
        _("demo account"), default=False, help_text=_("Demo accounts can sign in only when DEBUG is on.")
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    view_permission = Perm.STAFF_VIEW
    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(OrgScopedQuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked=False, expires_at__gt=timezone.now())


INVITATION_VALID_FOR = timedelta(days=7)


class Invitation(models.Model):
    """An invitation to join an organisation with a role. Only the token's hash is stored."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    view_permission = Perm.STAFF_MANAGE
    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


# --- Data-sharing agreements between two organisations (issue 9, decision 0019) ----------


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    DECLINED = "declined", _("Declined")
    ENDED = "ended", _("Ended")
    EXPIRED = "expired", _("Expired")  # computed from the end date, never stored


class SharingAgreement(models.Model):
    """An agreement between two organisations on what people's data may pass between them,
    for which purposes and during which dates. Both parties see it; either may end it."""

    proposer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposing organisation")
    )
    receiver = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving organisation")
    )
    purposes = models.JSONField(_("purposes"), default=list)
    field_sets = models.JSONField(_("field sets"), default=list)
    field_sets_version = models.CharField(max_length=20)
    starts_on = models.DateField(_("start date"))
    ends_on = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    ended_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ended_by_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)

    view_permission = Perm.AGREEMENT_VIEW
    party_fields = ("proposer_id", "receiver_id")
    objects = TwoPartyQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("data-sharing agreement")
        verbose_name_plural = _("data-sharing agreements")
        constraints = [
            models.CheckConstraint(condition=~models.Q(proposer=models.F("receiver")), name="agreement_two_parties"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="agreement_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.proposer} - {self.receiver}"

    def current_status(self, on: Any = None) -> str:
        """The status on `on` (default today): an active or proposed agreement past its end
        date is expired, whether or not anything has touched the row since."""
        on = on or timezone.localdate()
        if self.status in (AgreementStatus.ACTIVE, AgreementStatus.PROPOSED) and self.ends_on < on:
            return AgreementStatus.EXPIRED
        return self.status

    def current_status_label(self) -> str:
        return str(AgreementStatus(self.current_status()).label)

    def other_party_id(self, organisation_id: int | None) -> int:
        return self.receiver_id if organisation_id == self.proposer_id else self.proposer_id  # type: ignore[return-value]

    def other_party(self, organisation_id: int | None) -> Organisation:
        return self.receiver if organisation_id == self.proposer_id else self.proposer

    def field_set_labels(self) -> list[str]:
        from amparo.accounts.sharing import FIELD_SETS

        return [str(FIELD_SETS[key].label) if key in FIELD_SETS else key for key in self.field_sets]

    def purpose_labels(self) -> list[str]:
        from amparo.accounts.sharing import purpose_label

        return [purpose_label(p) for p in self.purposes]


EMERGENCY_BASIS_VALID_FOR = timedelta(hours=72)


class EmergencySharingBasis(models.Model):
    """An organisation's recorded reason to share data with a named organisation without an
    agreement, for one purpose and field set, for 72 hours. Both administrators see it."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("sharing organisation")
    )
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving organisation")
    )
    purpose = models.CharField(_("purpose"), max_length=32)
    field_set = models.CharField(_("field set"), max_length=32)
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    view_permission = Perm.AGREEMENT_MANAGE
    party_fields = ("organisation_id", "recipient_id")
    objects = TwoPartyQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("emergency sharing basis")
        verbose_name_plural = _("emergency sharing bases")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(organisation=models.F("recipient")), name="emergency_basis_two_parties"
            ),
        ]

    def is_valid(self) -> bool:
        return self.expires_at > timezone.now()

    def purpose_label(self) -> str:
        from amparo.cases.vocabularies import ConsentPurpose

        return str(ConsentPurpose(self.purpose).label) if self.purpose in ConsentPurpose.values else self.purpose

    def field_set_label(self) -> str:
        from amparo.accounts.sharing import FIELD_SETS

        fs = FIELD_SETS.get(self.field_set)
        return str(fs.label) if fs else self.field_set
