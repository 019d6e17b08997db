"""Forms of the case pages. They parse and check input; the rules that span rows live in
services.py, the rules of one row in the models."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pycountry
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.cases import texts
from amparo.cases.models import EmergencyReason
from amparo.cases.vocabularies import (
    ClosureReason,
    ConsentGivenBy,
    ConsentPurpose,
    DecidingOrganisationType,
    DocumentType,
    ErasureReason,
    EventType,
    ExploitationType,
    Gender,
    IsicSection,
    LawfulBasis,
    LegalAssistanceType,
    MaritalStatus,
    MeansOfControl,
    PerpetratorRole,
    ProceedingKind,
    ProceedingOutcome,
    ProceedingRole,
    ProceedingStage,
    RecruitmentMethod,
    RelationshipToTrafficker,
    ServiceStatus,
    ServiceType,
    SexualExploitationType,
    SupportPlanType,
    TraffickingStatus,
    language_choices,
    language_name,
)
from amparo.core.countries import country_choices

MAX_AGE = 110
PHONE_CHARS = set("0123456789+-() .")
BLANK: list[tuple[str, Any]] = [("", "—")]


def clean_phone_value(phone: str) -> str:
    phone = phone.strip()
    digits = [ch for ch in phone if ch.isdigit()]
    if phone and (len(digits) < 5 or any(ch not in PHONE_CHARS for ch in phone)):
        raise forms.ValidationError(_("Enter a phone number with digits, spaces and + - ( ) only."))
    return phone


def past_date(value: datetime.date | None) -> datetime.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."), code="future")
    return value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def multi(choices: Any, label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple)


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("Reference, phone or document number"), max_length=60, required=False)
    name = forms.CharField(label=_("Name (sounds like)"), max_length=120, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())

    def clean_birth_date(self) -> datetime.date | None:
        return past_date(self.cleaned_data["birth_date"])


# --- Registration, step 1: consent ------------------------------------------------------------


class ConsentForm(forms.Form):
    """Per purpose: the lawful basis, and whether the person agreed."""

    explained = forms.BooleanField(
        label=_("I explained the text above to the person, in a language they understand."), required=True
    )
    given_by = forms.ChoiceField(label=_("Who gives consent"), choices=ConsentGivenBy.choices, widget=forms.RadioSelect)
    child_assent = forms.BooleanField(label=_("The child was told and agrees"), required=False)
    text_language = forms.ChoiceField(label=_("Language of the text shown"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = texts.consent_text()["languages"]
        self.fields["text_language"].choices = [  # type: ignore[attr-defined]
            (code, language_name(pycountry.languages.get(alpha_2=code).alpha_3)) for code in languages
        ]
        for purpose, label in ConsentPurpose.choices:
            self.fields[f"agreed_{purpose}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"basis_{purpose}"] = forms.ChoiceField(
                label=_("Lawful basis: %(purpose)s") % {"purpose": label},
                choices=LawfulBasis.choices,
                initial=LawfulBasis.CONSENT,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("given_by") == ConsentGivenBy.GUARDIAN and not data.get("child_assent"):
            self.add_error("child_assent", _("A guardian's consent needs the child's assent too."))
        if data.get("given_by") == ConsentGivenBy.PERSON and data.get("child_assent"):
            self.add_error("child_assent", _("Tick this only when a guardian gives consent."))
        return data

    def purposes(self) -> dict[str, tuple[str, bool]]:
        return {
            purpose: (self.cleaned_data[f"basis_{purpose}"], self.cleaned_data[f"agreed_{purpose}"])
            for purpose in ConsentPurpose.values
        }


# --- Registration, step 2, and editing: the person ------------------------------------------


class SearchableCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """A long list of checkboxes (templates/_searchable_choices.html): without JavaScript a
    scrolling list with the ticked options first; amparo/choices.js adds a filter box."""


class PersonForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=120)
    family_name = forms.CharField(label=_("Family name"), max_length=120, required=False)
    other_names = forms.CharField(
        label=_("Other names"), max_length=300, required=False, help_text=_("Nicknames and names used before.")
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    estimated_age = forms.IntegerField(
        label=_("Age, if the date of birth is not known"), required=False, min_value=0, max_value=MAX_AGE
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=BLANK + Gender.choices, required=False)
    citizenship = forms.MultipleChoiceField(
        label=_("Citizenship"), choices=(), required=False, widget=SearchableCheckboxSelectMultiple
    )
    primary_language = forms.ChoiceField(label=_("Primary language"), choices=(), required=False)
    marital_status = forms.ChoiceField(label=_("Marital status"), choices=BLANK + MaritalStatus.choices, required=False)
    number_of_children = forms.IntegerField(label=_("Number of children"), required=False, min_value=0, max_value=30)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    other_phone = forms.CharField(label=_("Other phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    document_type = forms.ChoiceField(
        label=_("Identity document"), choices=BLANK + DocumentType.choices, required=False
    )
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["citizenship"].choices = country_choices()  # type: ignore[attr-defined]
        self.fields["primary_language"].choices = BLANK + language_choices()  # type: ignore[attr-defined]

    def clean_phone(self) -> str:
        return clean_phone_value(self.cleaned_data["phone"])

    def clean_other_phone(self) -> str:
        return clean_phone_value(self.cleaned_data["other_phone"])

    def clean_birth_date(self) -> datetime.date | None:
        value = past_date(self.cleaned_data["birth_date"])
        if value and (timezone.localdate() - value).days > MAX_AGE * 366:
            raise forms.ValidationError(_("This date of birth gives an impossible age."), code="impossible_age")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("document_number") and not data.get("document_type"):
            self.add_error("document_type", _("Say which document the number belongs to."))
        birth, age = data.get("birth_date"), data.get("estimated_age")
        if birth and age is not None:
            actual = (timezone.localdate() - birth).days // 365
            if abs(actual - age) > 2:
                self.add_error("estimated_age", _("This age does not match the date of birth."))
        return data


class ContextForm(forms.Form):
    """The victim context (HTCDS), apart from the trafficking status (a decision)."""

    relationship_to_trafficker = forms.ChoiceField(
        label=_("Relationship to the trafficker"), choices=BLANK + RelationshipToTrafficker.choices, required=False
    )
    age_when_trafficked = forms.IntegerField(
        label=_("Age when trafficked"), required=False, min_value=0, max_value=MAX_AGE
    )
    recruitment_method = forms.ChoiceField(
        label=_("Method of recruitment"), choices=BLANK + RecruitmentMethod.choices, required=False
    )
    means_of_control = multi(MeansOfControl.choices, _("Means of control"))
    exploitation_types = multi(ExploitationType.choices, _("Types of exploitation"))
    forced_labour_industries = multi(IsicSection.choices, _("Forced-labour industries (ISIC sections)"))
    sexual_exploitation_types = multi(SexualExploitationType.choices, _("Types of sexual exploitation"))
    perpetrator_roles = multi(PerpetratorRole.choices, _("Perpetrators' roles"))

    def __init__(self, *args: Any, current_age: int | None = None, **kwargs: Any) -> None:
        self.current_age = current_age
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        types = set(data.get("exploitation_types") or [])
        if data.get("forced_labour_industries") and not types & {"forced_labour", "child_labour"}:
            self.add_error(
                "forced_labour_industries", _("Industries apply to forced labour or child labour: choose one of those.")
            )
        if data.get("sexual_exploitation_types") and "sexual_exploitation" not in types:
            self.add_error("sexual_exploitation_types", _("Choose sexual exploitation among the types first."))
        age = data.get("age_when_trafficked")
        if age is not None and self.current_age is not None and age > self.current_age:
            self.add_error("age_when_trafficked", _("The person cannot have been older than they are now."))
        return data


class DecisionForm(forms.Form):
    status = forms.ChoiceField(label=_("Trafficking status"), choices=TraffickingStatus.choices)
    deciding_organisation_type = forms.ChoiceField(
        label=_("Decided by (type of organisation)"), choices=DecidingOrganisationType.choices
    )
    decided_on = forms.DateField(label=_("Date of the decision"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_decided_on(self) -> datetime.date | None:
        return past_date(self.cleaned_data["decided_on"])


class MonthField(forms.DateField):
    """A month, entered as YYYY-MM, kept as the first day of that month."""

    input_formats = ["%Y-%m"]  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"), **kwargs)


class EventForm(forms.Form):
    event_type = forms.ChoiceField(label=_("Type"), choices=EventType.choices)
    month = MonthField(label=_("Month (YYYY-MM)"), required=False)
    country = forms.ChoiceField(label=_("Country"), choices=())
    region = forms.CharField(label=_("State or region"), max_length=120, required=False)
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, min_value=Decimal(-90), max_value=Decimal(90), decimal_places=6
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, min_value=Decimal(-180), max_value=Decimal(180), decimal_places=6
    )
    description = forms.CharField(
        label=_("What happened"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = BLANK + country_choices()  # type: ignore[attr-defined]

    def clean_month(self) -> datetime.date | None:
        return past_date(self.cleaned_data["month"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None) and not self.has_error("latitude"):
            if not self.has_error("longitude"):
                self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return data


class ScreeningForm(forms.Form):
    """The indicators of one list that are present. `tool` names the list (the page switches
    lists with ?tool=); none named means the default list, an unknown one is refused."""

    tool = forms.ChoiceField(
        required=False,
        choices=(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Choose one of the indicator lists offered.")},
    )
    present = forms.MultipleChoiceField(
        label=_("Indicators present"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose only indicators from the list.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, tool: str = texts.DEFAULT_TOOL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        data = texts.indicator_list_for(tool)
        self.indicator_list = data
        self.fields["tool"].choices = [(name, name) for name in texts.INDICATOR_LISTS]  # type: ignore[attr-defined]
        self.fields["present"].choices = [(i["id"], texts.in_language(i)) for i in data["indicators"]]  # type: ignore[attr-defined]

    def clean_tool(self) -> str:
        return self.cleaned_data["tool"] or texts.DEFAULT_TOOL


class WithdrawConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class ConsentOverrideForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsentPurpose.choices)
    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis"), choices=[c for c in LawfulBasis.choices if c[0] != LawfulBasis.CONSENT]
    )
    reason = forms.CharField(
        label=_("Reason"), min_length=10, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))


class AttachmentForm(forms.Form):
    upload = forms.FileField(
        label=_("File"),
        help_text=_(
            "A PDF of at most 20 pages, or a photo or image (JPEG, PNG, GIF, WebP), at most 8 MB. Its metadata "
            "(place, camera, author, time) is removed; a PDF is redrawn as pictures of its pages, so its text "
            "can no longer be selected or searched."
        ),
    )


class AssignForm(forms.Form):
    assignee: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Case worker"), queryset=None)  # type: ignore[arg-type]
    legal_adviser: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Legal adviser"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        empty_label=_("No legal adviser"),
    )

    def __init__(self, *args: Any, staff: Any, legal_advisers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]
        self.fields["legal_adviser"].queryset = legal_advisers  # type: ignore[attr-defined]


class ClosureRequestForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for closure"), choices=ClosureReason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ClosureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve the closure")), ("reject", _("Do not close"))],
        widget=forms.RadioSelect,
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class BreakGlassForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=16)
    reason = forms.ChoiceField(label=_("Reason"), choices=EmergencyReason.choices)
    explanation = forms.CharField(
        label=_("Explain the emergency"), min_length=20, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ServicePlanForm(forms.Form):
    plan_type = forms.ChoiceField(label=_("Support plan"), choices=SupportPlanType.choices)
    service_type = forms.ChoiceField(label=_("Service"), choices=ServiceType.choices)
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    objective = forms.CharField(
        label=_("Objective"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_on = forms.DateField(label=_("Due"), widget=DateInput())

    def clean_due_on(self) -> datetime.date:
        value = self.cleaned_data["due_on"]
        if value.year > timezone.localdate().year + 10 or value.year < 2000:
            raise forms.ValidationError(_("Enter a due date within the next ten years."), code="implausible")
        return value


class ServiceUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices)
    completed_on = forms.DateField(label=_("Done on"), required=False, widget=DateInput())

    def clean_completed_on(self) -> datetime.date | None:
        return past_date(self.cleaned_data["completed_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == ServiceStatus.DONE
            and not data.get("completed_on")
            and not self.has_error("completed_on")
        ):
            self.add_error("completed_on", _("Give the date the service was done."))
        if data.get("status") != ServiceStatus.DONE:
            data["completed_on"] = None
        return data


class DuplicateDismissForm(forms.Form):
    confirm = forms.BooleanField(label=_("I checked: these two cases are different people."))


class LegalAssistanceForm(forms.Form):
    given_on = forms.DateField(label=_("Date"), widget=DateInput())
    assistance_type = forms.ChoiceField(label=_("Type of assistance"), choices=LegalAssistanceType.choices)
    given_by = forms.CharField(
        label=_("Given by"),
        max_length=200,
        help_text=_("The lawyer, legal adviser or organisation that helped."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_given_on(self) -> datetime.date | None:
        return past_date(self.cleaned_data["given_on"])


def clean_currency_code(value: str) -> str:
    code = value.strip().upper()
    if code and pycountry.currencies.get(alpha_3=code) is None:
        raise forms.ValidationError(
            _("%(code)s is not an ISO 4217 currency code. Use three letters, e.g. MXN, USD or EUR."),
            code="currency",
            params={"code": code[:8]},
        )
    return code


class ProceedingForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of proceeding"), choices=ProceedingKind.choices)
    stage = forms.ChoiceField(label=_("Stage"), choices=ProceedingStage.choices)
    court = forms.CharField(label=_("Court or authority"), max_length=200)
    case_number = forms.CharField(
        label=_("Case number"), max_length=100, required=False, help_text=_("Stored encrypted.")
    )
    person_role = forms.ChoiceField(label=_("The person's role"), choices=ProceedingRole.choices)
    started_on = forms.DateField(label=_("Started on"), required=False, widget=DateInput())
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=ProceedingOutcome.choices, initial=ProceedingOutcome.PENDING
    )
    compensation_awarded = forms.DecimalField(
        label=_("Compensation awarded"), required=False, max_digits=14, decimal_places=2
    )
    compensation_paid = forms.DecimalField(
        label=_("Compensation paid"), required=False, max_digits=14, decimal_places=2
    )
    currency = forms.CharField(
        label=_("Currency"), max_length=3, required=False, help_text=_("ISO 4217 code, e.g. MXN.")
    )

    def clean_started_on(self) -> datetime.date | None:
        return past_date(self.cleaned_data["started_on"])

    def _amount(self, name: str) -> Decimal | None:
        value = self.cleaned_data[name]
        if value is not None and value < 0:
            raise forms.ValidationError(_("An amount cannot be negative."), code="negative")
        return value

    def clean_compensation_awarded(self) -> Decimal | None:
        return self._amount("compensation_awarded")

    def clean_compensation_paid(self) -> Decimal | None:
        return self._amount("compensation_paid")

    def clean_currency(self) -> str:
        return clean_currency_code(self.cleaned_data["currency"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amounts = data.get("compensation_awarded") is not None or data.get("compensation_paid") is not None
        if amounts and not data.get("currency") and not self.has_error("currency"):
            self.add_error("currency", _("Give the currency of the amounts."))
        return data


class ExportForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the export"), choices=[("es", "Español"), ("en", "English")])


class ErasureForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for erasure"), choices=ErasureReason.choices)
    confirm_reference = forms.CharField(
        label=_("Type the case reference to confirm"),
        max_length=16,
        help_text=_("Erasure cannot be undone: the person's data, notes and records are destroyed."),
    )


class TransferRequestForm(forms.Form):
    to_organisation: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Transfer to"), queryset=None)  # type: ignore[arg-type]

    def __init__(self, *args: Any, destinations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = destinations  # type: ignore[attr-defined]


class TransferDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept the case")), ("reject", _("Reject the transfer"))],
        widget=forms.RadioSelect,
    )


class ErasureStartForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=16)
