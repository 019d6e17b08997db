"""Versioned texts read from JSON files in this package: indicator lists and consent texts.

The files are data: an organisation adds a version by adding a file. The version a
screening or a consent used is stored with it, so a record always says what was asked.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

HERE = Path(__file__).resolve().parent
INDICATORS = HERE / "indicators"
#: The file each screening tool's new screenings use. A new version of a list is a new file
#: here; screenings keep the version they used (`indicator_list_version`).
INDICATOR_LISTS = {
    "ilo_forced_labour": "ilo_forced_labour_2012.json",
    "ilo_ec_adults_labour": "ilo_ec_adults_labour_2009.json",
    "ilo_ec_adults_sexual": "ilo_ec_adults_sexual_2009.json",
    # 2009.1.1: the children's rule asks for the act, not for means (Palermo Protocol, Art. 3(c)).
    "ilo_ec_children_labour": "ilo_ec_children_labour_2009_1_1.json",
    "ilo_ec_children_sexual": "ilo_ec_children_sexual_2009_1_1.json",
}
#: The list the screening page opens with. The ILO–EC lists are not the default until they
#: are checked against the brochure (docs/decisions/0006-delphi-indicators.md).
DEFAULT_TOOL = "ilo_forced_labour"
CURRENT_CONSENT_TEXT = "consent_2026.1.json"
GRADES = ("strong", "medium", "weak")


@lru_cache(maxsize=16)
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _checked(filename: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with a flat `indicators` list; ValueError when the file breaks the format (README.md)."""
    if "dimensions" in data:
        dimension_ids = [dimension["id"] for dimension in data["dimensions"]]
        indicators = [
            {**indicator, "dimension": dimension["id"]}
            for dimension in data["dimensions"]
            for indicator in dimension["indicators"]
        ]
        if any(indicator["grade"] not in GRADES for indicator in indicators):
            raise ValueError(f"{filename}: a grade is not one of {GRADES}")
        elements = set(dimension_ids)
        if "act" in data:
            # The act (Palermo Protocol, Article 3(a)): ungraded; present when any is marked.
            act = data["act"]
            if act["id"] != "act" or any(
                "grade" in item or not item["id"].startswith("act.") for item in act["indicators"]
            ):
                raise ValueError(f"{filename}: the act block has another id, a grade or an id outside act.")
            indicators = [{**item, "dimension": "act"} for item in act["indicators"]] + indicators
            elements.add("act")
        named = {name for group in data["rule"]["possible_victim_when_all"] for name in group}
        if len(set(dimension_ids)) != len(dimension_ids) or not named <= elements:
            raise ValueError(f"{filename}: dimension ids repeat or the rule names an unknown one")
        data = {**data, "indicators": indicators}
    ids = [item["id"] for item in data["indicators"]]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{filename}: indicator ids repeat")
    return data


def indicator_list(filename: str = INDICATOR_LISTS[DEFAULT_TOOL]) -> dict[str, Any]:
    """The indicator list: tool, version, title, guidance and indicators with en/es text.

    Lists in dimensions (the ILO–EC lists) also carry `dimensions` and `rule`; their
    `indicators` is the flat list, each with its `dimension` and `grade`. The children's
    lists also carry `act` (recruitment, transport, transfer, harbouring, receipt): its
    ungraded items come first in `indicators`, with `dimension` "act".
    """
    return _checked(filename, _load(INDICATORS / filename))


def indicator_list_for(tool: str) -> dict[str, Any]:
    """The list new screenings with `tool` use; KeyError for a tool not in INDICATOR_LISTS."""
    return indicator_list(INDICATOR_LISTS[tool])


@lru_cache(maxsize=32)
def indicator_list_version(tool: str, version: str) -> dict[str, Any] | None:
    """The list a past screening used (any file in indicators/ with that tool and version), or None."""
    for path in sorted(INDICATORS.glob("*.json")):
        data = _load(path)
        if data.get("tool") == tool and data.get("version") == version:
            return indicator_list(path.name)
    return None


def consent_text(filename: str = CURRENT_CONSENT_TEXT) -> dict[str, Any]:
    """The consent text: version and, per language code, an introduction and the points."""
    return _load(HERE / "consent_texts" / filename)


def in_language(texts: dict[str, Any], language: str | None = None) -> Any:
    """The entry of `texts` for `language` (default: the active one), falling back to English."""
    lang = (language or get_language() or "en").split("-")[0]
    return texts.get(lang, texts["en"])
