"""The route filters: fixed choices only (a calendar year or quarter, never dates; decision 0043)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.cases.vocabularies import AgeBand, ExploitationType, Gender
from amparo.routes.aggregates import Query

#: How many calendar years back the period choices go.
YEARS = 10


def period_choices(today: Any = None) -> list[tuple[str, Any]]:
    today = today or timezone.localdate()
    current_quarter = (today.month - 1) // 3 + 1
    choices: list[tuple[str, Any]] = [("", _("All time"))]
    for year in range(today.year, today.year - YEARS, -1):
        choices.append((str(year), str(year)))
        last = current_quarter if year == today.year else 4
        for quarter in range(last, 0, -1):
            choices.append(
                (f"{year}-Q{quarter}", _("%(year)s, quarter %(quarter)s") % {"year": year, "quarter": quarter})
            )
    return choices


class RouteFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False)
    measure = forms.ChoiceField(
        label=_("Count"),
        required=False,
        choices=[
            ("case", _("Identified victims (cases)")),
            ("report", _("Reports")),
            ("signal", _("Signals")),
        ],
    )
    exploitation_type = forms.ChoiceField(
        label=_("Type of exploitation"), required=False, choices=[("", _("All")), *ExploitationType.choices]
    )
    sex = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", _("All")), *Gender.choices])
    age_band = forms.ChoiceField(label=_("Age group"), required=False, choices=[("", _("All")), *AgeBand.choices])
    level = forms.ChoiceField(
        label=_("Detail"),
        required=False,
        choices=[
            ("country", _("Countries")),
            ("region", _("States and regions")),
            ("city", _("Cities")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = period_choices()  # type: ignore[attr-defined]

    def query(self) -> Query:
        data = self.cleaned_data
        return Query(
            period=data.get("period") or "",
            exploitation_type=data.get("exploitation_type") or "",
            sex=data.get("sex") or "",
            age_band=data.get("age_band") or "",
            measure=data.get("measure") or "case",
            level=data.get("level") or "country",
        )


def filter_form(params: Any) -> RouteFilterForm:
    """Bound to the request's GET when it names any filter, else unbound with the defaults."""
    names = set(RouteFilterForm.base_fields)
    return RouteFilterForm(params if any(name in params for name in names) else None)
