"""What a data-sharing agreement may cover: purposes and need-to-know field sets.

The field sets are versioned data: an agreement stores the keys it covers and the version
of this vocabulary it was made under, so a later change to what a set contains never
widens an agreement already signed. There is deliberately no "full case" set: every set
is the least a receiving service needs for one kind of referral.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
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


class OrganisationPurpose(models.TextChoices):
    """Purposes between organisations that send no person's data, only aggregates: no
    person's consent is asked for them (decision 0043)."""

    ROUTE_AGGREGATES = "route_aggregates", _("Route aggregates (counts of people, small counts hidden)")


#: Purposes an agreement may name: the consent purposes that send a person's data to
#: another organisation (research is left out: it never needs names), and the
#: organisation-level purpose of sharing route aggregates (decision 0043).
AGREEMENT_PURPOSES = [
    ConsentPurpose.REFERRAL,
    ConsentPurpose.SERVICES,
    ConsentPurpose.TRACING,
    OrganisationPurpose.ROUTE_AGGREGATES,
]


def purpose_label(value: str) -> str:
    for purpose in AGREEMENT_PURPOSES:
        if purpose.value == value:
            return str(purpose.label)
    if value in ConsentPurpose.values:
        return str(ConsentPurpose(value).label)
    return value


def field_set_choices(subject: str | None = None) -> list[tuple[str, Promise]]:
    """Every set (an agreement may cover any), or only those read from `subject`."""
    return [(fs.key, fs.label) for fs in FIELD_SETS.values() if subject is None or fs.subject == subject]


def sets_for(subject: str) -> set[str]:
    return {fs.key for fs in FIELD_SETS.values() if fs.subject == subject}


#: The purposes that send a person's data: an emergency basis (a person in danger now) names
#: one of these, never route aggregates.
PERSON_PURPOSES = [p for p in AGREEMENT_PURPOSES if p.value in ConsentPurpose.values]


def purpose_choices(*, persons_only: bool = False) -> list[tuple[str, Any]]:
    return [(p.value, p.label) for p in (PERSON_PURPOSES if persons_only else AGREEMENT_PURPOSES)]
