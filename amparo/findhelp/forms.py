"""The public search form (GET, no CSRF: it changes nothing) and the awareness page form."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.findhelp import services
from amparo.findhelp.models import AwarenessPage


class HelpSearchForm(forms.Form):
    """Country, region, type, language; or a point the browser rounded (lat, lon)."""

    country = forms.CharField(label=gettext_lazy("Country"), required=False, max_length=3)
    region = forms.CharField(label=gettext_lazy("State, province or region"), required=False, max_length=10)
    type = forms.CharField(label=gettext_lazy("Kind of help"), required=False, max_length=40)
    language = forms.CharField(label=gettext_lazy("Language spoken"), required=False, max_length=3)
    lat = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    lon = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.countries = services.public_countries()
        self.types = services.public_types()
        self.languages = services.public_languages()
        chosen = str(self.data.get("country", "")).upper()[:3]
        self.regions = services.public_regions(chosen) if chosen in dict(self.countries) else []

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip().upper()
        if value and value not in dict(self.countries):
            raise forms.ValidationError(_("We have no help listed for that country. Choose one from the list."))
        return value

    def clean_region(self) -> str:
        value = self.cleaned_data["region"].strip().upper()
        if value and value not in dict(self.regions):
            raise forms.ValidationError(_("Choose a region of the country chosen, or leave it empty."))
        return value

    def clean_type(self) -> str:
        value = self.cleaned_data["type"].strip()
        if value and value not in dict(self.types):
            raise forms.ValidationError(_("Choose a kind of help from the list."))
        return value

    def clean_language(self) -> str:
        value = self.cleaned_data["language"].strip().lower()
        if value and value not in dict(self.languages):
            raise forms.ValidationError(_("Choose a language from the list."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        lat, lon = str(data.get("lat") or "").strip(), str(data.get("lon") or "").strip()
        data["near"] = None
        if lat or lon:
            try:
                point = float(lat), float(lon)
            except ValueError:
                point = (math.nan, math.nan)
            if not (all(math.isfinite(v) for v in point) and -90 <= point[0] <= 90 and -180 <= point[1] <= 180):
                raise forms.ValidationError(
                    _("Your location could not be read. Choose your country and region instead.")
                )
            data["near"] = services.round_point(*point)
        return data

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "country": data["country"],
            "region": data["region"],
            "service_type": data["type"],
            "language": data["language"],
            "near": data["near"],
        }


class AwarenessPageForm(forms.ModelForm):
    class Meta:
        model = AwarenessPage
        fields = ["topic", "language", "title", "body", "status"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18})}
