"""Forms of the referral workflow: choose a service and a field set, review the values."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.sharing import field_set_choices
from amparo.referrals import content
from amparo.referrals.workflow_models import DeclineReason, LegalBasis, Outcome, ReferralStatus, RevokeReason


class ChooseForm(forms.Form):
    """Step one: where to and which need-to-know set."""

    service = forms.TypedChoiceField(label=_("Service"), coerce=int, choices=())
    field_set = forms.ChoiceField(
        label=_("What to share"),
        choices=(),
        help_text=_("Only the fields of this set are shared, never the whole case file."),
    )

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service_field = cast(forms.TypedChoiceField, self.fields["service"])
        service_field.choices = [("", "—")] + [
            (s.pk, f"{s.name} — {s.organisation.name} ({s.service_type.label})") for s in services
        ]
        cast(forms.ChoiceField, self.fields["field_set"]).choices = field_set_choices("case")


class SignalChooseForm(ChooseForm):
    """Step one of a referral from a triaged signal (decision 0034): where to, which
    need-to-know set of the signal, and the legal basis (no person consented to a tip)."""

    legal_basis = forms.ChoiceField(
        label=_("Legal basis"),
        choices=[("", "—")] + list(LegalBasis.choices),
        help_text=_("Nobody consented for the people in an anonymous tip: record why it may be passed on."),
    )

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, services=services, **kwargs)
        field_set = cast(forms.ChoiceField, self.fields["field_set"])
        field_set.choices = field_set_choices("signal")
        field_set.help_text = _(
            "Only the fields of this set are shared: never the reporter's contact or receipt, and the "
            "reporter's own words only in the set that says so."
        )


class ValuesForm(forms.Form):
    """Step two: the set's fields, prefilled from the case, reviewed by the sender, and a note."""

    def __init__(self, *args: Any, field_set: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in content.fields_of(field_set):
            self.fields[f"f_{key}"] = forms.CharField(
                label=label,
                required=False,
                max_length=content.MAX_VALUE_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["note"] = forms.CharField(
            label=_("Note for the receiving organisation"),
            required=False,
            max_length=content.MAX_VALUE_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Only what the service needs to know."),
        )

    def values(self) -> dict[str, str]:
        return {name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("f_")}


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=DeclineReason.choices)
    note = forms.CharField(
        label=_("Note for the referring organisation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    note = forms.CharField(
        label=_("Note for the referring organisation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=RevokeReason.choices)


class UpdateForm(forms.Form):
    text = forms.CharField(label=_("Update"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any"))] + list(ReferralStatus.choices)
    )
    service_type = forms.CharField(label=_("Type of service"), required=False, max_length=40)
    page = forms.IntegerField(required=False, min_value=1, max_value=100000, widget=forms.HiddenInput)


class OpenCaseForm(forms.Form):
    """The receiver's new case: the name and a summary, prefilled from the shared fields."""

    given_name = forms.CharField(label=_("Given name"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
