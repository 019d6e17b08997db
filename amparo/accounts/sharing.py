"""What a data-sharing agreement may cover: purposes and need-to-know field sets.

The field sets are versioned data: an agreement stores the keys it covers and the version
of this vocabulary it was made under, so a later change to what a set contains never
widens an agreement already signed. There is deliberately no "full case" set: every set
is the least a receiving service needs for one kind of referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amparo.cases.vocabularies import ConsentPurpose

FIELD_SETS_VERSION = "2026.1"


@dataclass(frozen=True)
class FieldSet:
    key: str
    label: Promise
    fields: tuple[Promise, ...]
    #: What the set is read from: a person's case, or a triaged signal (an anonymous tip,
    #: decision 0034). A referral from a case offers only case sets, and the other way round.
    subject: str = "case"


SIGNAL_ALERT_FIELDS: tuple[Promise, ...] = (
    _("Area"),
    _("Place described"),
    _("When"),
    _("People seen"),
    _("Type of exploitation"),
    _("Signs of trafficking"),
    _("Danger now"),
    _("Summary by the person who triaged it"),
)

FIELD_SETS: dict[str, FieldSet] = {
    fs.key: fs
    for fs in (
        FieldSet(
            "shelter_intake",
            _("Shelter intake"),
            (_("First name"), _("Age band"), _("Languages spoken"), _("Immediate needs"), _("Risk notes")),
        ),
        FieldSet(
            "legal_aid",
            _("Legal aid"),
            (
                _("Full name"),
                _("Nationality"),
                _("Languages spoken"),
                _("Type of exploitation"),
                _("Legal proceedings under way"),
            ),
        ),
        FieldSet(
            "health_care",
            _("Health care"),
            (_("First name"), _("Age band"), _("Languages spoken"), _("Health needs"), _("Consent to treatment")),
        ),
        # A triaged signal (decision 0034): the organisation's own assessment of a tip, for an
        # authority or an outreach service to act on. Never the reporter's contact, receipt or
        # the day it arrived; the reporter's own words only in the second set, and only with
        # the reporter's consent to pass the report on.
        FieldSet(
            "signal_alert",
            _("Signal for action"),
            SIGNAL_ALERT_FIELDS,
            subject="signal",
        ),
        FieldSet(
            "signal_alert_account",
            _("Signal for action, with the reporter's account"),
            (*SIGNAL_ALERT_FIELDS, _("The reporter's account, in their words")),
            subject="signal",
        ),
    )
}

#: Purposes an agreement may name: the consent purposes that send a person's data to
#: another organisation. Research is left out: it never needs names.
AGREEMENT_PURPOSES = [ConsentPurpose.REFERRAL, ConsentPurpose.SERVICES, ConsentPurpose.TRACING]


def field_set_choices(subject: str | None = None) -> list[tuple[str, Promise]]:
    """Every set (an agreement may cover any), or only those read from `subject`."""
    return [(fs.key, fs.label) for fs in FIELD_SETS.values() if subject is None or fs.subject == subject]


def sets_for(subject: str) -> set[str]:
    return {fs.key for fs in FIELD_SETS.values() if fs.subject == subject}


def purpose_choices() -> list[tuple[str, Any]]:
    return [(p.value, p.label) for p in AGREEMENT_PURPOSES]
