from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.core.audit_labels import ACTION_LABELS


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    person: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Person"), queryset=None, required=False, empty_label=_("Anyone")
    )
    reference = forms.CharField(
        label=_("Record"), max_length=16, required=False, help_text=_("A case or signal reference: C-… or S-…")
    )
    start = forms.DateField(label=_("Since"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    action = forms.ChoiceField(label=_("Action"), required=False)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        actions = sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda item: item[1])
        self.fields["action"].choices = [("", _("Any action"))] + actions  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period comes before its start."))
        return data
