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


# --- a triaged signal (decision 0034) ----------------------------------------------------------
# Each prefill reads the signal's row and its opened questionnaire (`answers`). Never read: the
# reporter's contact, the receipt, the consent flags, the channel, the language, the day it
# arrived, the conversation and the attachments.


def _labels(choices: Any, codes: Any) -> str:
    labels = dict(choices)
    return ", ".join(str(labels.get(code, code)) for code in (codes or []) if code)


def _area(source: tuple[Any, dict[str, Any]]) -> str:
    signal, answers = source
    country = answers.get("country") or signal.country
    parts = [country_name(country) if country else "", answers.get("region_text") or signal.region, answers.get("city")]
    return ", ".join(str(p) for p in parts if p)


def _place(source: tuple[Any, dict[str, Any]]) -> str:
    return str(source[1].get("place") or "")


def _when(source: tuple[Any, dict[str, Any]]) -> str:
    return str(source[1].get("when") or "")


def _people(source: tuple[Any, dict[str, Any]]) -> str:
    from amparo.reports.vocabularies import AgeGroup, Gender

    answers = source[1]
    parts = [str(answers["people_count"]) if answers.get("people_count") else ""]
    parts += [_labels(AgeGroup.choices, answers.get("age_groups")), _labels(Gender.choices, answers.get("genders"))]
    return "; ".join(p for p in parts if p)


def _signal_exploitation(source: tuple[Any, dict[str, Any]]) -> str:
    from amparo.reports.vocabularies import ExploitationType

    signal, answers = source
    return _labels(ExploitationType.choices, [answers.get("exploitation_type") or signal.exploitation_type])


def _indicators(source: tuple[Any, dict[str, Any]]) -> str:
    from amparo.reports.vocabularies import Indicator

    return _labels(Indicator.choices, source[1].get("indicators"))


def _danger(source: tuple[Any, dict[str, Any]]) -> str:
    from amparo.reports.vocabularies import Danger

    return _labels(Danger.choices, [source[1].get("danger")])


def _account(source: tuple[Any, dict[str, Any]]) -> str:
    return str(source[1].get("what_happened") or "")


_SIGNAL_ALERT = (
    SharedField("area", _area),
    SharedField("place", _place),
    SharedField("when", _when),
    SharedField("people", _people),
    SharedField("exploitation", _signal_exploitation),
    SharedField("indicators", _indicators),
    SharedField("danger", _danger),
    SharedField("triage_summary", _empty),
)

#: The sets read from a triaged signal: `prefill` gets (signal, opened answers).
SIGNAL_FIELD_KEYS: dict[str, tuple[SharedField, ...]] = {
    "signal_alert": _SIGNAL_ALERT,
    "signal_alert_account": (*_SIGNAL_ALERT, SharedField("reporter_account", _account)),
}

#: The field set whose values include the reporter's own words.
REPORTER_WORDS_SETS = frozenset({"signal_alert_account"})


def _keys_of(field_set: str) -> tuple[SharedField, ...]:
    return FIELD_KEYS.get(field_set) or SIGNAL_FIELD_KEYS[field_set]


def fields_of(field_set: str) -> list[tuple[str, str]]:
    """(key, translated label) of each field in the set, in order."""
    fs = FIELD_SETS[field_set]
    return [(f.key, str(label)) for f, label in zip(_keys_of(field_set), fs.fields, strict=True)]


def prefill(case: Any, field_set: str) -> dict[str, str]:
    """The values of exactly the set's fields, read from the case."""
    return {f.key: f.prefill(case) for f in FIELD_KEYS[field_set]}


def prefill_signal(signal: Any, answers: dict[str, Any], field_set: str) -> dict[str, str]:
    """The values of exactly the set's fields, read from the signal and its opened answers."""
    return {f.key: f.prefill((signal, answers)) for f in SIGNAL_FIELD_KEYS[field_set]}


def encode(field_set: str, values: dict[str, str], note: str) -> bytes:
    keys = [f.key for f in _keys_of(field_set)]
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
