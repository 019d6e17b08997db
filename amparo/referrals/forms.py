"""Forms of the directory pages: they parse and check input; services.py does the work."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from amparo.cases.vocabularies import language_choices
from amparo.core.countries import country_choices
from amparo.referrals import services
from amparo.referrals.models import Gender, Service


def _blank(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", _("Any")), *choices]


def clean_regions(text: str) -> list[str]:
    """ISO 3166-2 codes separated by commas or spaces ("ES-MD, ES-CT")."""
    codes = [c.strip().upper() for c in text.replace(";", ",").replace(" ", ",").split(",") if c.strip()]
    unknown = [c for c in codes if pycountry.subdivisions.get(code=c) is None]
    if unknown:
        raise ValidationError(
            _("Unknown region code: %(codes)s. Use ISO 3166-2 codes such as ES-MD."),
            params={"codes": ", ".join(unknown[:5])},
            code="region",
        )
    return codes


class DirectorySearchForm(forms.Form):
    service_type = forms.ChoiceField(label=_("Type of service"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    region = forms.CharField(
        label=_("Region"), required=False, max_length=10, help_text=_("ISO 3166-2 code, for example ES-MD.")
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=_blank(list(Gender.choices)))
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=120)
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    children_with_parent = forms.BooleanField(label=_("Accepts children with their parent"), required=False)
    near = forms.CharField(
        label=_("Near the point"),
        required=False,
        max_length=100,
        help_text=_("Latitude and longitude in decimal degrees, for example 40.4168, -3.7038."),
    )
    radius_km = forms.IntegerField(
        label=_("Within (km)"), required=False, min_value=1, max_value=int(services.MAX_RADIUS_KM), initial=50
    )

    def __init__(self, *args: Any, organisation_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = services.types_for(organisation_id)
        self.fields["service_type"].choices = _blank([(t.code, t.label) for t in types])  # type: ignore[attr-defined]
        self.fields["country"].choices = _blank(country_choices())  # type: ignore[attr-defined]
        self.fields["nationality"].choices = _blank(country_choices())  # type: ignore[attr-defined]
        self.fields["language"].choices = _blank(language_choices())  # type: ignore[attr-defined]

    def clean_region(self) -> str:
        region = self.cleaned_data.get("region", "")
        return clean_regions(region)[0] if region.strip() else ""

    def clean_near(self) -> tuple[float, float] | None:
        near = self.cleaned_data.get("near", "")
        return services.parse_point(near) if near.strip() else None

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "service_type": data.get("service_type", ""),
            "country": data.get("country", ""),
            "region": data.get("region", ""),
            "language": data.get("language", ""),
            "gender": data.get("gender", ""),
            "age": data.get("age"),
            "nationality": data.get("nationality", ""),
            "children_with_parent": bool(data.get("children_with_parent")),
            "near": data.get("near"),
            "radius_km": data.get("radius_km"),
        }


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Name of the service"), max_length=200)
    service_type = forms.ModelChoiceField(label=_("Type"), queryset=services.types_for(None))
    on_amparo = forms.BooleanField(
        label=_("Provided by this organisation on Amparo"),
        required=False,
        initial=True,
        help_text=_("Untick for a provider not on Amparo: other organisations will see its contact only."),
    )
    provider_name = forms.CharField(label=_("Provider (if not on Amparo)"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, max_length=2000, required=False)
    countries = forms.MultipleChoiceField(label=_("Countries covered"), required=False)
    regions = forms.CharField(
        label=_("Regions covered"),
        required=False,
        max_length=500,
        help_text=_("ISO 3166-2 codes separated by commas, for example ES-MD, ES-CT."),
    )
    languages = forms.MultipleChoiceField(label=_("Languages"), required=False)
    genders = forms.MultipleChoiceField(
        label=_("Genders accepted"),
        required=False,
        choices=Gender.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: everyone."),
    )
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0, max_value=120)
    max_age = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0, max_value=120)
    nationalities = forms.MultipleChoiceField(
        label=_("Nationalities accepted"), required=False, help_text=_("None chosen: every nationality.")
    )
    accepts_children_with_parent = forms.BooleanField(label=_("Accepts children with their parent"), required=False)
    hours = forms.CharField(label=_("Hours"), max_length=300, required=False)
    cost = forms.CharField(label=_("Cost"), max_length=300, required=False)
    accessibility = forms.CharField(label=_("Accessibility"), max_length=500, required=False)
    intake_contact = forms.CharField(label=_("Intake contact"), max_length=500)
    address = forms.CharField(label=_("Address"), max_length=500, required=False)
    point = forms.CharField(
        label=_("Coordinates"),
        required=False,
        max_length=100,
        help_text=_("Latitude and longitude in decimal degrees, for example 40.4168, -3.7038."),
    )
    confidential_location = forms.BooleanField(
        label=_("Confidential location (safe house)"),
        required=False,
        help_text=_("Its address and exact coordinates are never shown outside your organisation."),
    )
    is_published = forms.BooleanField(label=_("Published in the directory"), required=False, initial=True)

    def __init__(self, *args: Any, organisation_id: int | None = None, may_enter_external: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["service_type"].queryset = services.types_for(organisation_id)  # type: ignore[attr-defined]
        self.fields["countries"].choices = country_choices()  # type: ignore[attr-defined]
        self.fields["nationalities"].choices = country_choices()  # type: ignore[attr-defined]
        self.fields["languages"].choices = language_choices()  # type: ignore[attr-defined]
        if not may_enter_external:
            del self.fields["on_amparo"], self.fields["provider_name"]

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        point = f"{service.latitude}, {service.longitude}" if service.latitude is not None else ""
        return {
            **{name: getattr(service, name) for name in services.EDITABLE if name not in services.LIST_FIELDS},
            "countries": service.country_list(),
            "regions": ", ".join(service.region_list()),
            "languages": service.language_list(),
            "genders": service.gender_list(),
            "nationalities": service.nationality_list(),
            "point": point,
        }

    def clean_regions(self) -> list[str]:
        return clean_regions(self.cleaned_data.get("regions", ""))

    def clean_point(self) -> tuple[float, float] | None:
        point = self.cleaned_data.get("point", "")
        return services.parse_point(point) if point.strip() else None

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        point = data.pop("point", None)
        data["latitude"], data["longitude"] = (
            (Decimal(f"{point[0]:.5f}"), Decimal(f"{point[1]:.5f}")) if point else (None, None)
        )
        data["languages"] = [code.upper() for code in data.get("languages", [])]
        if "on_amparo" not in self.fields:
            data.pop("on_amparo", None)
            data.pop("provider_name", None)
        return data
