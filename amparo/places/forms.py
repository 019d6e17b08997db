"""Forms to confirm, correct, add and remove places (decision 0041)."""

from __future__ import annotations

import datetime
from typing import Any

import pycountry
from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.cases.forms import MonthField, past_date
from amparo.core.countries import country_choices
from amparo.places.models import Stage

BLANK = [("", "—")]
ACTIONS = [("confirm", _("Confirm")), ("reject", _("Reject"))]


class DecideForm(forms.Form):
    """Confirm a suggestion with its stage (and month), or reject it."""

    action = forms.ChoiceField(choices=ACTIONS, error_messages={"invalid_choice": _("Confirm or reject the place.")})
    suggestion = forms.CharField(widget=forms.HiddenInput, max_length=2000)
    stage = forms.ChoiceField(label=_("Stage"), choices=BLANK + list(Stage.choices), required=False)
    month = MonthField(label=_("Month (YYYY-MM)"), required=False)

    def clean_month(self) -> datetime.date | None:
        return past_date(self.cleaned_data["month"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "confirm" and not data.get("stage") and not self.has_error("stage"):
            self.add_error("stage", _("Choose the stage of the route this place belongs to."))
        return data


def subdivision_code(country: str, value: str) -> str | None:
    """The ISO 3166-2 code of a first-level region of `country`, given as its code ("HN-CR",
    or "CR") or its name; None when `country` has no such region."""
    value = value.strip()
    found = pycountry.countries.get(alpha_3=country)
    if found is None or not value:
        return None
    alpha_2 = found.alpha_2
    code = value.upper() if "-" in value else f"{alpha_2}-{value.upper()}"
    match = pycountry.subdivisions.get(code=code)
    if match is not None and match.country_code == alpha_2 and not getattr(match, "parent_code", None):
        return str(match.code)
    folded = value.casefold()
    for subdivision in pycountry.subdivisions.get(country_code=alpha_2) or []:
        if getattr(subdivision, "parent_code", None):
            continue
        if subdivision.name.casefold() == folded:
            return str(subdivision.code)
    return None


class PlaceForm(forms.Form):
    """Correct a suggestion, or add a place nobody suggested: choose one of the gazetteer's
    places found for a search, or type a country, a region and a city."""

    suggestion = forms.CharField(widget=forms.HiddenInput, max_length=2000, required=False)
    pick = forms.CharField(widget=forms.HiddenInput, max_length=2000, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=(), required=False)
    region = forms.CharField(
        label=_("State or region"),
        max_length=120,
        required=False,
        help_text=_("Its name or its ISO 3166-2 code, such as HN-CR."),
    )
    city = forms.CharField(label=_("City or town"), max_length=120, required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=BLANK + list(Stage.choices))
    month = MonthField(label=_("Month (YYYY-MM)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = BLANK + country_choices()  # type: ignore[attr-defined]
        self.fields["stage"].error_messages["required"] = _("Choose the stage of the route this place belongs to.")

    def clean_month(self) -> datetime.date | None:
        return past_date(self.cleaned_data["month"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["region_code"] = ""
        if data.get("pick"):
            return data
        country = data.get("country")
        if not country:
            if not self.has_error("country"):
                self.add_error("country", _("Choose a place found, or give at least the country."))
            return data
        if data.get("region"):
            code = subdivision_code(country, data["region"])
            if code is None:
                self.add_error("region", _("This is not a state or region of the country chosen."))
            else:
                data["region_code"] = code
        return data


class RemoveForm(forms.Form):
    confirm = forms.ChoiceField(
        choices=[("yes", _("Yes"))], error_messages={"required": _("Confirm that the place should be removed.")}
    )
