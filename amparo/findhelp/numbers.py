"""Emergency and anti-trafficking hotline numbers by country, from versioned data
(help_numbers.json: number, publisher and the date it was checked). A country that is not
in the file gets nothing rather than a guess."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import get_language

DATA = Path(__file__).with_name("help_numbers.json")


@dataclass(frozen=True)
class HelpNumbers:
    country: str
    emergency: str
    hotline: str
    hotline_name: str

    @staticmethod
    def dial(number: str) -> str:
        """The number as a tel: link dials it (digits and a leading +)."""
        return re.sub(r"[^\d+]", "", number)

    @property
    def emergency_tel(self) -> str:
        return self.dial(self.emergency)

    @property
    def hotline_tel(self) -> str:
        return self.dial(self.hotline)


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text())
    return loaded


def countries() -> set[str]:
    return set(data()["countries"])


def numbers_for(country: str) -> HelpNumbers | None:
    """The numbers of an alpha-3 country in the active language, or None if not listed."""
    entry = data()["countries"].get(str(country or "").upper())
    if entry is None:
        return None
    hotline = entry.get("hotline") or {}
    if entry.get("confirm") and country.upper() not in getattr(settings, "AMPARO_HELP_NUMBERS_CONFIRMED", ()):
        # Written from memory, not compared with the publisher's page: a wrong hotline number
        # sends a person in danger nowhere, so it is shown only after the deployment confirms it.
        hotline = {}
    lang = "es" if (get_language() or "en").startswith("es") else "en"
    return HelpNumbers(
        country=country.upper(),
        emergency=entry.get("emergency", ""),
        hotline=hotline.get("number", ""),
        hotline_name=hotline.get(lang, ""),
    )
