"""Confirmed places and the history of decisions on suggested places (decision 0041).

Suggestions are computed on the fly from text a page already decrypts (a report, a signal,
a case summary, a step of the route); they are never stored. What staff confirm or correct
is stored here in the clear, like the structured places of trafficking events: a country,
a first-level region, a city, coordinates and a month. A rejected suggestion leaves only a
keyed hash (amparo.places.services.suggestion_hash), never its text, so it does not come back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.fields import latitude_field, longitude_field
from amparo.core.permissions import Perm
from amparo.core.scoping import OrgScoped


class SourceKind(models.TextChoices):
    REPORT = "report", _("Report")
    SIGNAL = "signal", _("Signal")
    CASE = "case", _("Case summary")
    EVENT = "event", _("Step of the route")


class Stage(models.TextChoices):
    RECRUITMENT = "recruitment", _("Recruitment")
    TRANSIT = "transit", _("Transit")
    EXPLOITATION = "exploitation", _("Exploitation")
    MENTIONED = "mentioned", _("Only mentioned")


#: The stages that feed route legs; "only mentioned" never does.
ROUTE_STAGES = (Stage.RECRUITMENT, Stage.TRANSIT, Stage.EXPLOITATION)


class DecisionAction(models.TextChoices):
    CONFIRM = "confirm", _("Confirmed")
    CORRECT = "correct", _("Corrected")
    ADD = "add", _("Added")
    REJECT = "reject", _("Rejected")
    REMOVE = "remove", _("Removed")


def _one_source() -> Q:
    return (
        Q(signal__isnull=False, case__isnull=True, event__isnull=True)
        | Q(signal__isnull=True, case__isnull=False, event__isnull=True)
        | Q(signal__isnull=True, case__isnull=True, event__isnull=False)
    )


class SourceFields(OrgScoped):
    """The source a place was read in: exactly one of a signal (report or signal), a case
    (its summary) or a step of a case's route (its description)."""

    view_permission = Perm.PLACE_CONFIRM

    source_kind = models.CharField(_("source"), max_length=8, choices=SourceKind.choices)
    signal = models.ForeignKey("reports.Signal", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        "cases.TraffickingEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        abstract = True


class ConfirmedPlace(SourceFields):
    """A place a member of staff confirmed (or corrected, or added) for one source."""

    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    country = models.CharField(_("country"), max_length=3)
    region_code = models.CharField(_("state or region"), max_length=8, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    month = models.DateField(_("month"), null=True, blank=True, help_text=_("Stored as the first day of the month."))
    #: The keyed hash of the suggestion this place came from ("" when typed by hand): a
    #: confirmed suggestion is not offered again while the place stands.
    suggestion_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("who")
    )
    confirmed_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["confirmed_at", "id"]
        verbose_name = _("confirmed place")
        verbose_name_plural = _("confirmed places")
        constraints = [
            models.CheckConstraint(condition=_one_source(), name="places_confirmed_one_source"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="places_confirmed_coordinates_valid",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "stage"], name="places_confirmed_stage")]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.city, self.region_code, self.country) if part)


class PlaceDecision(SourceFields):
    """One line of a source's place history: who confirmed, corrected, added, rejected or
    removed what, and when. A rejection keeps only the suggestion's keyed hash."""

    action = models.CharField(_("action"), max_length=8, choices=DecisionAction.choices)
    place = models.ForeignKey(ConfirmedPlace, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    suggestion_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    # What was suggested (empty for a rejection, and for a place typed by hand).
    suggested_name = models.CharField(max_length=200, blank=True)
    suggested_country = models.CharField(max_length=3, blank=True)
    suggested_kind = models.CharField(max_length=16, blank=True)
    # What was recorded (for a removal: what was removed).
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    country = models.CharField(_("country"), max_length=3, blank=True)
    region_code = models.CharField(_("state or region"), max_length=8, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    month = models.DateField(_("month"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("who")
    )
    decided_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("place decision")
        verbose_name_plural = _("place decisions")
        constraints = [models.CheckConstraint(condition=_one_source(), name="places_decision_one_source")]
