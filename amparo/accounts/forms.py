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


class AgreementProposeForm(forms.Form):
    """Propose a data-sharing agreement. Other organisations are listed by name only."""

    receiver = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=_("Choose an organisation")
    )
    purposes = forms.MultipleChoiceField(label=_("Purposes"), widget=forms.CheckboxSelectMultiple, choices=[])
    field_sets = forms.MultipleChoiceField(
        label=_("Information that may be shared"), widget=forms.CheckboxSelectMultiple, choices=[]
    )
    starts_on = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        from amparo.accounts.sharing import field_set_choices, purpose_choices

        super().__init__(*args, **kwargs)
        # scoping: the directory of organisations, names only, to choose the other party
        organisations = Organisation.objects.exclude(pk=organisation_id).only("pk", "name").order_by("name")
        cast(forms.ModelChoiceField, self.fields["receiver"]).queryset = organisations  # type: ignore[type-arg]
        cast(forms.MultipleChoiceField, self.fields["purposes"]).choices = purpose_choices()
        cast(forms.MultipleChoiceField, self.fields["field_sets"]).choices = field_set_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end date must be on or after the start date."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class EmergencyBasisForm(forms.Form):
    recipient = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), empty_label=_("Choose an organisation")
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=[])
    field_set = forms.ChoiceField(label=_("Information that may be shared"), choices=[])
    reason = forms.CharField(
        label=_("Why the data must be shared without an agreement"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not write the person's name. Both organisations' administrators read this reason."),
    )

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        from amparo.accounts.sharing import field_set_choices, purpose_choices

        super().__init__(*args, **kwargs)
        # scoping: the directory of organisations, names only, to choose the other party
        organisations = Organisation.objects.exclude(pk=organisation_id).only("pk", "name").order_by("name")
        cast(forms.ModelChoiceField, self.fields["recipient"]).queryset = organisations  # type: ignore[type-arg]
        cast(forms.ChoiceField, self.fields["purpose"]).choices = purpose_choices(persons_only=True)
        cast(forms.ChoiceField, self.fields["field_set"]).choices = field_set_choices()
