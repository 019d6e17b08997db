from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Organisation, OrganisationType
from amparo.core.countries import country_choices
from amparo.core.permissions import Role, least_privileged_role


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    error_messages = {
        "invalid_login": _("The e-mail address or the password is not correct."),
        "inactive": _("This account is not active."),
    }


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("The code has digits only."))
        return token


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    # Until the administrator chooses, the role that may do least (never administrator).
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=least_privileged_role)


class StaffEditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)
    reset_two_factor = forms.BooleanField(
        label=_("Reset their two-factor sign-in: they set up a new authenticator at their next sign-in"),
        required=False,
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )
    password2 = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            from amparo.accounts.models import User

            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class OrganisationForm(forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"))
    org_type = forms.ChoiceField(label=_("Type"), choices=OrganisationType.choices)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "org_type",
            "country",
            "region",
            "city",
            "address",
            "postal_code",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "case_access",
        ]
        widgets = {"case_access": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = country_choices()


class RecoveryKeyForm(forms.Form):
    recovery_key = forms.CharField(
        label=_("Recovery key"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class RotateKeysForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: I will store the new recovery key offline now, and colleagues will sign in again."),
        error_messages={"required": _("Tick the box to confirm before the organisation's key is replaced.")},
    )
