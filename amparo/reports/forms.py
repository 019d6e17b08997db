"""The reporter's questionnaire, the follow-up forms and the staff forms.

Validation lives here for the page and is reused by the API's serializers
(`questionnaire_answers`), so a rule exists once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from amparo.core.countries import country_choices
from amparo.reports.cleaning import MAX_FILES, Refused, inspect_all, neutral_names
from amparo.reports.receipts import PASSPHRASE_MIN, RECEIPT_TEXT_MAX, WeakPassphrase, fold, passphrase_clean
from amparo.reports.vocabularies import (
    AgeGroup,
    CallerType,
    Danger,
    ExploitationType,
    Gender,
    Indicator,
    SignalStatus,
    Urgency,
)

MONTHS = [
    ("", _("Month")),
    *[
        (str(i), label)
        for i, label in enumerate(
            [
                _("January"),
                _("February"),
                _("March"),
                _("April"),
                _("May"),
                _("June"),
                _("July"),
                _("August"),
                _("September"),
                _("October"),
                _("November"),
                _("December"),
            ],
            start=1,
        )
    ],
]


@lru_cache(maxsize=64)
def _first_level_regions(country: str) -> dict[str, str]:
    """{normalised name or code: ISO 3166-2 code} of the country's first-level regions (the first wins)."""
    from amparo.core.vault import normalise_for_index

    alpha_2 = getattr(pycountry.countries.get(alpha_3=country) or object(), "alpha_2", "")
    regions: dict[str, str] = {}
    for sub in (pycountry.subdivisions.get(country_code=alpha_2) or []) if alpha_2 else []:
        if sub.parent_code is None:
            regions.setdefault(normalise_for_index(sub.name), sub.code)
            regions.setdefault(normalise_for_index(sub.code), sub.code)
    return regions


def match_region(country: str, text: str) -> str:
    """The ISO 3166-2 code of the first-level region named in `text` for `country`, or ''."""
    from amparo.core.vault import normalise_for_index

    wanted = normalise_for_index(text or "")
    if not wanted:
        return ""
    return _first_level_regions(country or "").get(wanted, "")


def keep_file_names_field() -> forms.BooleanField:
    """Unticked by default: attachments are then named attachment-1.jpg, attachment-2.png…"""
    return forms.BooleanField(
        label=_("Keep the original file names"),
        help_text=_("Leave this unticked unless the names matter: a file name often shows when a photo was taken."),
        required=False,
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to MAX_FILES images, checked from their headers; anything else refused with a reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        """The uploads as `cleaning.PendingFile`s: headers checked, nothing decoded yet (the
        services decode them once the proof of work, the caps or the receipt have passed)."""
        uploads = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(uploads) > MAX_FILES:
            raise ValidationError(_("Attach at most %(count)s files.") % {"count": MAX_FILES})
        try:
            return inspect_all([(getattr(upload, "name", "file"), upload.read()) for upload in uploads])
        except Refused as exc:
            raise ValidationError(str(exc.args[0])) from exc


@lru_cache(maxsize=8)
def _countries(language: str) -> tuple[tuple[str, str], ...]:
    return (("", "—"), *country_choices(language))


def _country_field(required: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Country"), choices=lambda: list(_countries(get_language() or "en")), required=required
    )


class ReportForm(forms.Form):
    """The public questionnaire. Every answer except the routing fields is sealed."""

    what_happened = forms.CharField(
        label=_("What happened? Tell us what you saw or heard."),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text=_("Do not write your own name unless you want us to know it."),
    )
    country = _country_field()
    region_text = forms.CharField(label=_("State, province or region"), max_length=120, required=False)
    city = forms.CharField(label=_("City or town"), max_length=120, required=False)
    place = forms.CharField(
        label=_("Where exactly? (a street, a business, a landmark)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    when_month = forms.ChoiceField(label=_("When? Month"), choices=MONTHS, required=False)
    when_year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100, required=False)
    people_count = forms.IntegerField(
        label=_("How many people are affected?"), min_value=1, max_value=10000, required=False
    )
    age_groups = forms.MultipleChoiceField(
        label=_("Their ages"), choices=AgeGroup.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    genders = forms.MultipleChoiceField(
        label=_("Who are they?"), choices=Gender.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    exploitation_type = forms.ChoiceField(
        label=_("What kind of work or exploitation?"),
        choices=ExploitationType.choices,
        initial=ExploitationType.NOT_SURE,
    )
    indicators = forms.MultipleChoiceField(
        label=_("What did you notice?"), choices=Indicator.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    danger = forms.ChoiceField(
        label=_("Is someone in immediate danger?"),
        choices=Danger.choices,
        widget=forms.RadioSelect,
        initial=Danger.UNSURE,
    )
    contact = forms.CharField(
        label=_("How can we reach you? (only if you want us to)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
        help_text=_("This is encrypted. You can also leave it empty and add it later with your receipt."),
    )
    consent_services = forms.BooleanField(
        label=_("I agree that the organisations that receive this report may pass it on to support services."),
        required=False,
    )
    consent_police = forms.BooleanField(
        label=_("I agree that the organisations that receive this report may pass it on to the police."),
        required=False,
        help_text=_("Without your agreement they keep it to themselves. You can also agree later in the messages."),
    )
    attachments = AttachmentsField(label=_("Photos"), help_text=_("Photos are cleaned of location and camera data."))
    keep_file_names = keep_file_names_field()
    # Filled by report.js after solving the puzzle; empty when JavaScript is off.
    pow_challenge = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)
    pow_nonce = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean() returns cleaned_data
        if data.get("when_month") and not data.get("when_year"):
            self.add_error("when_year", _("Give the year too, or leave the month empty."))
        if data.get("attachments"):
            data["attachments"] = neutral_names(data["attachments"], keep=bool(data.get("keep_file_names")))
        return data


def questionnaire_answers(data: dict[str, Any]) -> dict[str, Any]:
    """What is sealed (and the clear routing fields) from a valid questionnaire."""
    month = (
        f"{data['when_year']:04d}-{int(data['when_month']):02d}"
        if data.get("when_month")
        else (str(data["when_year"]) if data.get("when_year") else "")
    )
    return {
        "what_happened": data["what_happened"],
        "country": data["country"],
        "region": match_region(data["country"], data.get("region_text", "")),
        "region_text": data.get("region_text", ""),
        "city": data.get("city", ""),
        "place": data.get("place", ""),
        "when": month,
        "people_count": data.get("people_count"),
        "age_groups": list(data.get("age_groups") or []),
        "genders": list(data.get("genders") or []),
        "exploitation_type": data.get("exploitation_type") or ExploitationType.NOT_SURE,
        "indicators": list(data.get("indicators") or []),
        "danger": data.get("danger") or Danger.UNSURE,
        "contact": data.get("contact", ""),
        "consent_police": bool(data.get("consent_police")),
        "consent_services": bool(data.get("consent_services")),
    }


class RecipientsForm(forms.Form):
    """Which of the organisations that can receive the report get it (at least one).

    `recipients_for` names the routing answers the list was shown for: when the answers
    change, the list is shown again before anything is sent."""

    recipients = forms.TypedMultipleChoiceField(
        label=_("Who receives your report"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one organisation to receive your report.")},
    )
    recipients_for = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.TypedMultipleChoiceField, self.fields["recipients"]).choices = choices


def routing_key(answers: dict[str, Any]) -> str:
    """The routing answers a list of recipients was shown for."""
    return "|".join((answers.get("country", ""), answers.get("region", ""), answers.get("exploitation_type", "")))


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        max_length=RECEIPT_TEXT_MAX,
        help_text=_("If you chose a passphrase of your own, type your receipt number and then your passphrase."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )


class ReceiptClaimForm(forms.Form):
    """What the first-use page sends back besides a passphrase: the receipt as given, which
    choice the caller made, and the receipt offered to them (a generated secret)."""

    receipt = forms.CharField(widget=forms.HiddenInput, max_length=RECEIPT_TEXT_MAX)
    choice = forms.ChoiceField(choices=[("offered", "offered"), ("own", "own")], widget=forms.HiddenInput)
    offered = forms.CharField(widget=forms.HiddenInput, max_length=40, required=False)


class SecretTextInput(forms.TextInput):
    """A text box whose value is never written back into the page (after an error, say).

    Not a password box: browsers offer to save those, and the device may not be the
    reporter's alone."""

    def format_value(self, value: Any) -> None:
        return None


class PassphraseForm(forms.Form):
    """A passphrase of the caller's own, typed twice; checked by receipts.passphrase_clean."""

    passphrase = forms.CharField(
        label=_("Your passphrase"),
        max_length=RECEIPT_TEXT_MAX,
        widget=SecretTextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )
    passphrase_again = forms.CharField(
        label=_("The same passphrase again"),
        max_length=RECEIPT_TEXT_MAX,
        widget=SecretTextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )

    def __init__(self, *args: Any, public_id: str, given_secret: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.public_id, self.given_secret = public_id, given_secret
        self.fields["passphrase"].help_text = ngettext(
            "A sentence only you would think of, with at least %(count)d letter or digit and a number in it. "
            "Case, accents, spaces and punctuation do not matter.",
            "A sentence only you would think of, with at least %(count)d letters and digits and a number in it. "
            "Case, accents, spaces and punctuation do not matter.",
            PASSPHRASE_MIN,
        ) % {"count": PASSPHRASE_MIN}

    def clean_passphrase(self) -> str:
        try:
            return passphrase_clean(
                self.cleaned_data["passphrase"], public_id=self.public_id, given_secret=self.given_secret
            )
        except WeakPassphrase as exc:
            raise ValidationError(str(exc.args[0])) from exc

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean() returns cleaned_data
        again = self.cleaned_data.get("passphrase_again")
        if data.get("passphrase") and again is not None and fold(again) != data["passphrase"]:
            self.add_error("passphrase_again", _("The two passphrases are not the same. Type it again."))
        return data


class FollowUpReplyForm(forms.Form):
    """An answer: text, contact details or photos, at least one of them (so none is marked
    optional on its own; the page says one is needed)."""

    hide_optional = True
    receipt = forms.CharField(widget=forms.HiddenInput, max_length=RECEIPT_TEXT_MAX)
    text = forms.CharField(
        label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000, required=False
    )
    contact = forms.CharField(
        label=_("Your contact details (only if you want to give them)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )
    attachments = AttachmentsField(label=_("Photos"))
    keep_file_names = keep_file_names_field()

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean() returns cleaned_data
        if not (data.get("text") or data.get("contact") or data.get("attachments")):
            raise ValidationError(_("Write an answer, give contact details or attach a photo."))
        if data.get("attachments"):
            data["attachments"] = neutral_names(data["attachments"], keep=bool(data.get("keep_file_names")))
        return data


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the reporter"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class TriageForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=SignalStatus.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    assignee: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=None, required=False
    )
    release = forms.BooleanField(label=_("Release from the held queue"), required=False)
    referred_to = forms.ChoiceField(
        label=_("Referred to (when the status is Referred)"),
        choices=[("", "—"), ("police", _("Police")), ("services", _("Support services"))],
        required=False,
    )

    def __init__(self, *args: Any, assignees: Any, linked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["assignee"]).queryset = assignees
        # "Linked to a case" is set and left by linking and unlinking a case, not here.
        status = cast(forms.ChoiceField, self.fields["status"])
        status.choices = [
            (code, label) for code, label in SignalStatus.choices if (code == SignalStatus.LINKED) == linked
        ]


class LinkCaseForm(forms.Form):
    case_reference = forms.CharField(
        label=_("Reference of a case of your organisation"), max_length=16, help_text=_("For example C-7K2M9QXA.")
    )


class SignalConsentForm(forms.Form):
    """Consent the reporter gave or refused later, in the conversation."""

    CHOICES = [("", _("Unchanged")), ("yes", _("Agreed")), ("no", _("Refused"))]
    consent_services = forms.ChoiceField(label=_("Passing it on to support services"), choices=CHOICES, required=False)
    consent_police = forms.ChoiceField(label=_("Passing it on to the police"), choices=CHOICES, required=False)

    def value(self, name: str) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get(name) or "")


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Open")), ("all", _("All")), *SignalStatus.choices], required=False
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", _("Any")), *Urgency.choices], required=False)
    country = forms.CharField(label=_("Country (ISO code)"), max_length=3, required=False)
    exploitation_type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Any")), *ExploitationType.choices], required=False
    )
    held = forms.BooleanField(label=_("Held queue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)


class HotlineForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"))
    language = forms.ChoiceField(
        label=_("Language of the contact"), choices=[("es", _("Spanish")), ("en", _("English")), ("other", _("Other"))]
    )
    caller_type = forms.ChoiceField(label=_("Who contacted us?"), choices=CallerType.choices)
    what_happened = forms.CharField(
        label=_("What was said"), widget=forms.Textarea(attrs={"rows": 6}), max_length=10000
    )
    country = _country_field(required=False)
    region_text = forms.CharField(label=_("State, province or region"), max_length=120, required=False)
    exploitation_type = forms.ChoiceField(label=_("Type of exploitation"), choices=ExploitationType.choices)
    indicators = forms.MultipleChoiceField(
        label=_("Indicators"), choices=Indicator.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    consent_police = forms.BooleanField(label=_("The caller agrees that we share this with the police"), required=False)
    consent_services = forms.BooleanField(
        label=_("The caller agrees that we share this with support services"), required=False
    )
    issue_receipt = forms.BooleanField(label=_("The caller wants to follow up: give them a receipt"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from amparo.reports.vocabularies import HOTLINE_CHANNELS

        cast(forms.ChoiceField, self.fields["channel"]).choices = [(c.value, c.label) for c in HOTLINE_CHANNELS]

    def answers(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "what_happened": data["what_happened"],
            "caller_type": data["caller_type"],
            "language": data["language"],
            "country": data.get("country") or "",
            "region": match_region(data.get("country") or "", data.get("region_text", "")),
            "region_text": data.get("region_text", ""),
            "exploitation_type": data["exploitation_type"],
            "indicators": list(data.get("indicators") or []),
            "urgency": data["urgency"],
            "consent_police": data["consent_police"],
            "consent_services": data["consent_services"],
        }


class RoutingRuleForm(forms.Form):
    country = _country_field()
    region_text = forms.CharField(label=_("State, province or region (empty: all)"), max_length=120, required=False)
    exploitation_type = forms.ChoiceField(
        label=_("Type of exploitation"), choices=[("", _("All types")), *ExploitationType.choices], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = cast(dict[str, Any], super().clean())  # Form.clean() returns cleaned_data
        data["region"] = ""
        if data.get("region_text"):
            data["region"] = match_region(data.get("country") or "", data["region_text"])
            if not data["region"]:
                self.add_error("region_text", _("Choose a country and write the name of one of its states or regions."))
        return data
