from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CaseCreateForm(forms.Form):
    person_name = forms.CharField(label=_("Name of the person"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False
    )

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = [ch for ch in phone if ch.isdigit()]
        if phone and (len(digits) < 5 or any(ch not in "0123456789+-() ." for ch in phone)):
            raise forms.ValidationError(_("Enter a phone number with digits, spaces and + - ( ) only."))
        return phone


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Reference or phone number"), max_length=60, required=False)
