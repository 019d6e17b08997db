"""ISO 3166-1 countries with names in the active language (pycountry's catalogues)."""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry
from django.utils.translation import get_language


@lru_cache(maxsize=8)
def _translator(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(alpha_3: str, language: str | None = None) -> str:
    """The country's common name in `language` (default: the active one)."""
    country = pycountry.countries.get(alpha_3=alpha_3)
    if country is None:
        return alpha_3
    lang = (language or get_language() or "en").split("-")[0]
    name = getattr(country, "common_name", None) or country.name
    return _translator(lang).gettext(name)


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(alpha-3, name) pairs sorted by name in `language`."""
    pairs = [(c.alpha_3, country_name(c.alpha_3, language)) for c in pycountry.countries]
    return sorted(pairs, key=lambda pair: pair[1].casefold())
