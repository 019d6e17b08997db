"""Forms of the shelter pages: they parse; amparo/shelters/services.py decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.core.forms import DateInput
from amparo.referrals.models import Service
from amparo.shelters.models import BedType, Destination, Priority, Shelter
from amparo.shelters.services import MAX_BEDS, MAX_DAYS_BACK, capacities_of, today


class ShelterForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Directory entry"),
        queryset=Service.objects.none(),
        help_text=_("One of your organisation's services of type shelter. Its location becomes confidential."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    street_address = forms.CharField(
        label=_("Street address"),
        max_length=500,
        required=False,
        help_text=_("Stored encrypted; shown only to your organisation, never in the directory."),
    )
    coordinates = forms.CharField(
        label=_("Exact coordinates"),
        max_length=60,
        required=False,
        help_text=_("Latitude, longitude in degrees. Stored encrypted; the directory keeps a point about 11 km wide."),
    )
    show_free_beds = forms.BooleanField(
        label=_("Show the number of free beds to other organisations"),
        required=False,
        help_text=_("Counts per bed type only, on the directory entry. Off unless you choose it."),
    )

    def __init__(self, *args: Any, services: Any = None, shelter: Shelter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if shelter is not None:
            del self.fields["service"]
        else:
            self.fields["service"].queryset = services  # type: ignore[attr-defined]
        current = capacities_of(shelter) if shelter is not None else {}
        for value, label in BedType.choices:
            self.fields[f"beds_{value}"] = forms.IntegerField(
                label=_("Beds: %(type)s") % {"type": label},
                min_value=0,
                max_value=MAX_BEDS,
                initial=current.get(value, 0),
                required=False,
            )

    @staticmethod
    def initial_for(shelter: Shelter) -> dict[str, Any]:
        return {
            "name": shelter.name,
            "street_address": shelter.street_address,
            "coordinates": shelter.coordinates,
            "show_free_beds": shelter.show_free_beds,
        }

    def bed_fields(self) -> list[forms.BoundField]:
        return [self[f"beds_{value}"] for value in BedType.values]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("beds_")]

    def shelter_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "street_address": data["street_address"],
            "coordinates": data["coordinates"],
            "show_free_beds": data["show_free_beds"],
            "capacities": {value: data.get(f"beds_{value}") or 0 for value in BedType.values},
        }


class AdmissionForm(forms.Form):
    bed_type = forms.ChoiceField(label=_("Bed type"), choices=BedType.choices)
    admitted_on = forms.DateField(label=_("Admission date"), widget=DateInput())
    expected_days = forms.IntegerField(
        label=_("Expected stay in days"), min_value=1, max_value=MAX_DAYS_BACK, required=False
    )
    over_capacity_reason = forms.CharField(
        label=_("Reason for admitting over capacity"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when no bed of this type is free: why the person is admitted anyway."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("admitted_on", today().isoformat())  # what a date input reads
        super().__init__(*args, **kwargs)


class DischargeForm(forms.Form):
    discharged_on = forms.DateField(label=_("Discharge date"), widget=DateInput())
    destination = forms.ChoiceField(label=_("Destination"), choices=[("", "—"), *Destination.choices])
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, reports_to: str = "", **kwargs: Any) -> None:
        """`reports_to`: the referring organisation's name, when the stay came from a referral
        whose outcome the discharge reports (decision 0033)."""
        kwargs.setdefault("initial", {"discharged_on": today().isoformat()})
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _("Stays in your organisation.")
        if reports_to:
            self.fields["note_for_sender"] = forms.CharField(
                label=_("Note for %(org)s (optional)") % {"org": reports_to},
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_(
                    "The discharge reports the outcome of the referral to %(org)s, from the destination; "
                    "this note goes with it, sealed to them. Never write the shelter's address."
                )
                % {"org": reports_to},
            )


class WaitingForm(forms.Form):
    case_reference = forms.CharField(
        label=_("Case reference"), max_length=16, help_text=_("The reference of the case, C-…")
    )
    bed_type = forms.ChoiceField(label=_("Bed type needed"), choices=BedType.choices)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )


class HistoryForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        choices=[(30, _("Last 30 days")), (90, _("Last 90 days"))],
        coerce=int,
        required=False,
    )
