"""The service directory: what each organisation offers, and the types of service.

Directory entries are an organisation's public offer to other organisations, not people's
data: any verified staff member of any organisation searches the published ones through
`Service.objects.published()` / `directory_visible_to(user)` (decision 0018). Editing goes
through `visible_to(user)` (own organisation only) and the services in
amparo/referrals/services.py. A confidential location (a safe house) keeps its address and
exact coordinates inside its own organisation: others see only a coarse point (rounded to
`COARSE_DEGREES`) and the intake contact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amparo.core.permissions import Perm, can
from amparo.core.scoping import OrgScoped, OrgScopedQuerySet

#: A confidential location is searched by its coordinates rounded to this many degrees
#: (0.1° is about 11 km of latitude): near enough to find, too coarse to find the house.
COARSE_DEGREES = Decimal("0.1")


class ServiceType(models.Model):
    """A type of service: the global list (organisation null, loaded from
    service_types.json with its version) plus the types an organisation adds."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    code = models.SlugField(_("code"), max_length=40)
    label_es = models.CharField(_("name in Spanish"), max_length=120)
    label_en = models.CharField(_("name in English"), max_length=120)
    version = models.CharField(_("version"), max_length=20)

    class Meta:
        ordering = ["organisation_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="service_type_unique_per_org"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(organisation__isnull=True), name="service_type_unique_global"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_es if (get_language() or "en").startswith("es") else self.label_en


def delimited(codes: list[str] | tuple[str, ...]) -> str:
    """Codes stored as ",A,B," so one `contains` lookup finds a code on SQLite and PostgreSQL."""
    cleaned = sorted({c.strip().upper() for c in codes if c and c.strip()})
    return f",{','.join(cleaned)}," if cleaned else ""


def undelimited(text: str) -> list[str]:
    return [c for c in (text or "").split(",") if c]


class ServiceQuerySet(OrgScopedQuerySet["Service"]):
    def published(self) -> Self:
        """Every organisation's published services: the shared directory.

        Not `visible_to`: a directory entry is an organisation's public offer to other
        organisations, not people's data (decision 0018). Pages and API must still show
        a confidential location only through `Service.public_fields_for(user)`.
        """
        return self.filter(is_published=True)

    def directory_visible_to(self, user: Any) -> Self:
        """The published directory, for verified staff with DIRECTORY_VIEW; otherwise nothing."""
        if not can(user, Perm.DIRECTORY_VIEW):
            return self.none()
        return self.published()


class Gender(models.TextChoices):
    FEMALE = "F", _("Women")
    MALE = "M", _("Men")
    OTHER = "X", _("Other genders")


class Service(OrgScoped):
    """One service an organisation offers, or an entry for a provider not on Amparo."""

    view_permission = Perm.SERVICE_MANAGE

    name = models.CharField(_("name of the service"), max_length=200)
    on_amparo = models.BooleanField(
        _("provided by this organisation on Amparo"),
        default=True,
        help_text=_("Untick for a provider not on Amparo: other organisations will see its contact only."),
    )
    provider_name = models.CharField(_("provider (if not on Amparo)"), max_length=200, blank=True)
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, verbose_name=_("type"))
    description = models.TextField(_("description"), blank=True, max_length=2000)
    countries = models.CharField(_("countries covered"), max_length=1000, blank=True)
    regions = models.CharField(_("regions covered"), max_length=2000, blank=True)
    languages = models.CharField(_("languages"), max_length=500, blank=True)
    genders = models.CharField(_("genders accepted"), max_length=20, blank=True)
    min_age = models.PositiveSmallIntegerField(
        _("minimum age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    max_age = models.PositiveSmallIntegerField(
        _("maximum age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    nationalities = models.CharField(_("nationalities accepted"), max_length=1000, blank=True)
    accepts_children_with_parent = models.BooleanField(_("accepts children with their parent"), default=False)
    hours = models.CharField(_("hours"), max_length=300, blank=True)
    cost = models.CharField(_("cost"), max_length=300, blank=True)
    accessibility = models.CharField(_("accessibility"), max_length=500, blank=True)
    intake_contact = models.CharField(_("intake contact"), max_length=500)
    address = models.CharField(_("address"), max_length=500, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    confidential_location = models.BooleanField(
        _("confidential location (safe house)"),
        default=False,
        help_text=_("Its address and exact coordinates are never shown outside your organisation."),
    )
    #: The point searched by distance: the exact one, or rounded for a confidential location.
    search_latitude = models.FloatField(null=True, editable=False, db_index=True)
    search_longitude = models.FloatField(null=True, editable=False)
    is_published = models.BooleanField(_("published in the directory"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["service_type", "search_latitude"], name="service_type_lat")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_latitude, self.search_longitude = self.search_point()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_latitude", "search_longitude"}
        super().save(*args, **kwargs)

    def search_point(self) -> tuple[float | None, float | None]:
        if self.latitude is None or self.longitude is None:
            return None, None
        if not self.confidential_location:
            return float(self.latitude), float(self.longitude)
        lat = Decimal(self.latitude).quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
        lon = Decimal(self.longitude).quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
        return float(lat), float(lon)

    @property
    def provider(self) -> str:
        """Who provides it: the organisation on Amparo, or the provider named in the entry."""
        return self.organisation.name if self.on_amparo else self.provider_name

    def shows_location_to(self, user: Any) -> bool:
        """The address and exact coordinates: always for public locations, and for a
        confidential one only to its own organisation's staff."""
        return not self.confidential_location or getattr(user, "organisation_id", None) == self.organisation_id

    def country_list(self) -> list[str]:
        return undelimited(self.countries)

    def region_list(self) -> list[str]:
        return undelimited(self.regions)

    def language_list(self) -> list[str]:
        return [c.lower() for c in undelimited(self.languages)]

    def gender_list(self) -> list[str]:
        return undelimited(self.genders)

    def nationality_list(self) -> list[str]:
        return undelimited(self.nationalities)


# The referral workflow's models live in their own module; imported here so Django finds them.
from amparo.referrals.workflow_models import Referral, ReferralUpdate  # noqa: E402

__all__ = ["Gender", "Referral", "ReferralUpdate", "Service", "ServiceType"]
