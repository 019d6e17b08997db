"""What a referral shares: the fields of each need-to-know set, and their values prefilled
from the sender's case. Only the chosen set's fields are ever read from the case, and the
sender reviews and edits each value before it is sealed to the receiver."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from amparo.accounts.sharing import FIELD_SETS
from amparo.cases.vocabularies import language_name
from amparo.core.countries import country_name

CONTENT_VERSION = 1
MAX_VALUE_LENGTH = 2000


def _first_name(case: Any) -> str:
    return str(case.given_name or (case.person_name or "").split(" ")[0])


def _age_band(case: Any) -> str:
    return str(case.get_age_band_display()) if case.age_band else ""


def _languages(case: Any) -> str:
    return language_name(case.primary_language) if case.primary_language else ""


def _full_name(case: Any) -> str:
    return str(case.person_name or "")


def _nationality(case: Any) -> str:
    return ", ".join(country_name(code) for code in (case.citizenship or []))


def _exploitation(case: Any) -> str:
    from amparo.cases.vocabularies import ExploitationType

    labels = dict(ExploitationType.choices)
    return ", ".join(str(labels.get(code, code)) for code in (case.exploitation_types or []))


def _empty(case: Any) -> str:
    return ""


@dataclass(frozen=True)
class SharedField:
    key: str
    prefill: Callable[[Any], str]


#: For each field set (amparo/accounts/sharing.py, same order as its labels), the field keys
#: and how each is prefilled from the case. Needs, risks and proceedings are written by the
#: sender for this referral: nothing is copied from notes, screening or legal records.
FIELD_KEYS: dict[str, tuple[SharedField, ...]] = {
    "shelter_intake": (
        SharedField("first_name", _first_name),
        SharedField("age_band", _age_band),
        SharedField("languages", _languages),
        SharedField("immediate_needs", _empty),
        SharedField("risk_notes", _empty),
    ),
    "legal_aid": (
        SharedField("full_name", _full_name),
        SharedField("nationality", _nationality),
        SharedField("languages", _languages),
        SharedField("exploitation", _exploitation),
        SharedField("proceedings", _empty),
    ),
    "health_care": (
        SharedField("first_name", _first_name),
        SharedField("age_band", _age_band),
        SharedField("languages", _languages),
        SharedField("health_needs", _empty),
        SharedField("treatment_consent", _empty),
    ),
}


def fields_of(field_set: str) -> list[tuple[str, str]]:
    """(key, translated label) of each field in the set, in order."""
    fs = FIELD_SETS[field_set]
    return [(f.key, str(label)) for f, label in zip(FIELD_KEYS[field_set], fs.fields, strict=True)]


def prefill(case: Any, field_set: str) -> dict[str, str]:
    """The values of exactly the set's fields, read from the case."""
    return {f.key: f.prefill(case) for f in FIELD_KEYS[field_set]}


def encode(field_set: str, values: dict[str, str], note: str) -> bytes:
    keys = [f.key for f in FIELD_KEYS[field_set]]
    payload = {
        "v": CONTENT_VERSION,
        "field_set": field_set,
        "fields": {key: str(values.get(key, ""))[:MAX_VALUE_LENGTH] for key in keys},
        "note": note[:MAX_VALUE_LENGTH],
    }
    return json.dumps(payload, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Opened:
    field_set: str
    rows: list[tuple[str, str, str]]  # (key, label, value)
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {"fields": {key: value for key, _label, value in self.rows}, "note": self.note}


def decode(data: bytes) -> Opened:
    payload = json.loads(data.decode())
    field_set = payload["field_set"]
    labels = dict(fields_of(field_set))
    rows = [(key, labels.get(key, key), str(value)) for key, value in payload["fields"].items()]
    return Opened(field_set=field_set, rows=rows, note=str(payload.get("note", "")))
