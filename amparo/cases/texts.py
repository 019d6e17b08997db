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
CURRENT_INDICATORS = "ilo_forced_labour_2012.json"
CURRENT_CONSENT_TEXT = "consent_2026.1.json"


@lru_cache(maxsize=16)
def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def indicator_list(filename: str = CURRENT_INDICATORS) -> dict[str, Any]:
    """The indicator list: tool, version, title, guidance and indicators with en/es text."""
    data = _load(HERE / "indicators" / filename)
    ids = [item["id"] for item in data["indicators"]]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{filename}: indicator ids repeat")
    return data


def consent_text(filename: str = CURRENT_CONSENT_TEXT) -> dict[str, Any]:
    """The consent text: version and, per language code, an introduction and the points."""
    return _load(HERE / "consent_texts" / filename)


def in_language(texts: dict[str, Any], language: str | None = None) -> Any:
    """The entry of `texts` for `language` (default: the active one), falling back to English."""
    lang = (language or get_language() or "en").split("-")[0]
    return texts.get(lang, texts["en"])
