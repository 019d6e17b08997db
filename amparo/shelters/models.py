"""Shelters, their beds, admissions, discharges and waiting lists (issue 9, part 2).

A shelter belongs to one organisation (`OrgScoped`) and is the private side of one
directory entry (`referrals.Service` of type shelter): its street address and exact
coordinates are vault-encrypted here and never shown outside its organisation; the
directory entry keeps only the intake contact and a coarse point (decision 0023). Beds,
admissions and waiting-list entries are read through their shelter's `visible_to`
(`ScopedThroughQuerySet`, decision 0016). An admission holds a link to a case and
bed/dates only: the person's name is read from the case, through the case's `visible_to`.
"""

from __future__ import annotations

import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amparo.core.fields import EncryptedTextField, random_primary_key
from amparo.core.permissions import Perm
from amparo.core.scoping import OrgScoped, OrgScopedQuerySet, ScopedThroughQuerySet


class BedType(models.TextChoices):
    WOMEN = "women", _("Women")
    MEN = "men", _("Men")
    CHILDREN = "children", _("Children")
    FAMILIES = "families", _("Families")
    LGBTI = "lgbti", _("LGBTI")
    OTHER = "other", _("Other")


class Destination(models.TextChoices):
    FAMILY = "family", _("Family reunification")
    INDEPENDENT = "independent", _("Independent living")
    SHELTER = "shelter", _("Another shelter")
    RETURN = "return", _("Repatriation or return")
    HOSPITAL = "hospital", _("Hospital")
    LEFT = "left", _("Left without notice")
    OTHER = "other", _("Other")


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")


class WaitingStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    ADMITTED = "admitted", _("Admitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ShelterQuerySet(OrgScopedQuerySet["Shelter"]):
    def sharing_free_beds(self) -> Self:
        """Shelters whose organisation chose to show its free beds (counts only) on its
        directory entry to other organisations. Not `visible_to`: only the counts per bed type
        leave the organisation, read by `services.free_beds_shown`, never the shelter's row."""
        return self.filter(show_free_beds=True, service__is_published=True)


class Shelter(OrgScoped):
    """A shelter or safe house of one organisation, linked to its directory entry."""

    view_permission = Perm.SHELTER_VIEW

    id = random_primary_key()
    service = models.OneToOneField(
        "referrals.Service", on_delete=models.PROTECT, related_name="shelter", verbose_name=_("directory entry")
    )
    name = models.CharField(_("name"), max_length=200)
    street_address = EncryptedTextField(_("street address"), blank=True)
    #: "latitude, longitude" in degrees, encrypted like the address (never in the directory).
    coordinates = EncryptedTextField(_("exact coordinates"), blank=True)
    show_free_beds = models.BooleanField(
        _("show free beds to other organisations"),
        default=False,
        help_text=_("Other organisations' staff then see the number of free beds per bed type on the directory entry."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ShelterQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")

    def __str__(self) -> str:
        return self.name


class BedCapacity(models.Model):
    """How many beds of one type a shelter has."""

    scope_through = "shelter"

    shelter = models.ForeignKey(Shelter, on_delete=models.CASCADE, related_name="capacities")
    bed_type = models.CharField(_("bed type"), max_length=20, choices=BedType.choices)
    beds = models.PositiveSmallIntegerField(_("beds"))

    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["shelter_id", "bed_type"]
        verbose_name = _("beds of a type")
        verbose_name_plural = _("beds of a type")
        constraints = [models.UniqueConstraint(fields=["shelter", "bed_type"], name="bed_capacity_unique_type")]

    def __str__(self) -> str:
        return f"{self.get_bed_type_display()}: {self.beds}"


class AdmissionQuerySet(ScopedThroughQuerySet["Admission"]):
    def present_on(self, day: datetime.date) -> Self:
        """Admissions occupying a bed on `day`: admitted on or before it, not discharged by it
        (a bed is free again on the day of the discharge)."""
        return self.filter(admitted_on__lte=day).filter(Q(discharged_on__isnull=True) | Q(discharged_on__gt=day))

    def current(self) -> Self:
        return self.filter(discharged_on__isnull=True)


class Admission(models.Model):
    """A stay in a shelter: the case, the bed type and the dates. No copy of the person's
    data: the name shown is the case's, read through `Case.objects.visible_to`.

    An admission may also name the accepted referral it came from (`referral`, decisions 0023
    and 0033); the case stays required: a person referred by another organisation is admitted
    once the shelter's organisation has opened its own case from the referral.
    """

    scope_through = "shelter"

    id = random_primary_key()
    shelter = models.ForeignKey(Shelter, on_delete=models.PROTECT, related_name="admissions")
    #: CASCADE: erasing a case at the person's request removes their stays (decision 0023).
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="admissions")
    #: The accepted referral of another organisation this stay came from (decision 0033): its
    #: outcome is reported back when the stay ends. SET_NULL: the stay is the shelter's record.
    referral = models.ForeignKey(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("referral"),
        editable=False,
    )
    bed_type = models.CharField(_("bed type"), max_length=20, choices=BedType.choices)
    admitted_on = models.DateField(_("admission date"))
    expected_days = models.PositiveSmallIntegerField(_("expected stay in days"), null=True, blank=True)
    over_capacity_reason = EncryptedTextField(_("reason for admitting over capacity"), blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    discharged_on = models.DateField(_("discharge date"), null=True, blank=True)
    destination = models.CharField(_("destination"), max_length=20, choices=Destination.choices, blank=True)
    discharge_reason = EncryptedTextField(_("reason for the discharge"), blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = AdmissionQuerySet.as_manager()

    class Meta:
        ordering = ["-admitted_on", "id"]
        verbose_name = _("shelter admission")
        verbose_name_plural = _("shelter admissions")
        indexes = [models.Index(fields=["shelter", "admitted_on"], name="admission_shelter_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(discharged_on__isnull=True), name="admission_one_open_per_case"
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=models.F("admitted_on")),
                name="admission_discharge_after_admission",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shelter_id}:{self.admitted_on}"

    @property
    def expected_until(self) -> datetime.date | None:
        return self.admitted_on + datetime.timedelta(days=self.expected_days) if self.expected_days else None


class WaitingEntry(models.Model):
    """A person (a case) waiting for a bed of one type; leaves the list when admitted or withdrawn."""

    scope_through = "shelter"

    shelter = models.ForeignKey(Shelter, on_delete=models.PROTECT, related_name="waiting")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="shelter_waits")
    bed_type = models.CharField(_("bed type needed"), max_length=20, choices=BedType.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    added_on = models.DateField(_("date added"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    status = models.CharField(_("status"), max_length=20, choices=WaitingStatus.choices, default=WaitingStatus.WAITING)
    closed_on = models.DateField(null=True, blank=True)
    admission = models.OneToOneField(
        Admission, null=True, blank=True, on_delete=models.SET_NULL, related_name="waiting_entry"
    )

    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "added_on", "id"]
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list entries")
        constraints = [
            models.UniqueConstraint(
                fields=["shelter", "case"], condition=Q(status="waiting"), name="waiting_one_per_case_and_shelter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shelter_id}:{self.bed_type}:{self.priority}"
