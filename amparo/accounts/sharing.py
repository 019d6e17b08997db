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
    )
}

#: Purposes an agreement may name: the consent purposes that send a person's data to
#: another organisation. Research is left out: it never needs names.
AGREEMENT_PURPOSES = [ConsentPurpose.REFERRAL, ConsentPurpose.SERVICES, ConsentPurpose.TRACING]


def field_set_choices() -> list[tuple[str, Promise]]:
    return [(fs.key, fs.label) for fs in FIELD_SETS.values()]


def purpose_choices() -> list[tuple[str, Any]]:
    return [(p.value, p.label) for p in AGREEMENT_PURPOSES]
