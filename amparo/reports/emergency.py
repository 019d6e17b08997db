"""Emergency numbers per country, from a small data file (emergency_numbers.json).

Only countries whose number is known with certainty are listed; the file says to verify
them before shipping. An unknown country gets no number rather than a wrong one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("emergency_numbers.json")


@lru_cache(maxsize=1)
def numbers() -> dict[str, str]:
    return {k: v for k, v in json.loads(DATA.read_text()).items() if not k.startswith("_")}


def emergency_number(country: str) -> str:
    return numbers().get(str(country or "").upper(), "")


def numbers_by_country(language: str | None = None) -> list[tuple[str, str]]:
    """(country name in `language`, number) pairs, sorted by name ignoring case and accents."""
    import unicodedata

    from amparo.core.countries import country_name

    def key(pair: tuple[str, str]) -> str:
        return unicodedata.normalize("NFKD", pair[0]).encode("ascii", "ignore").decode().casefold()

    return sorted(((country_name(code, language), number) for code, number in numbers().items()), key=key)
