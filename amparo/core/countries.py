"""ISO 3166-1 countries and ISO 639-3 languages with names in the active language.

Names come from pycountry's catalogues, corrected where those are wrong: in Spanish some
are still English, misspelt or in the inverted form of a register ("Congo, República
Democrática del"); `COUNTRY_NAMES` and `LANGUAGE_NAMES` override them per language.
Lists are sorted with `collation_key`: accents and case count only to break ties, and in
Spanish ñ is its own letter after n ("Bélgica" before "Belice" before "Benín"; "Niue" before
"Ñandú"), which is what a reader expects from the list (the ICU collation, without
needing ICU: PyICU has no wheel).
"""

from __future__ import annotations

import gettext
import unicodedata
from functools import lru_cache

import pycountry
from django.utils.translation import get_language

#: Corrections of pycountry's names, by language and code.
COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "BRN": "Brunei",
        "COD": "Democratic Republic of the Congo",
        "FSM": "Micronesia",
        "PSE": "Palestine",
        "RUS": "Russia",
        "VAT": "Vatican City",
    },
    "es": {
        "ALA": "Islas Åland",
        "BES": "Caribe Neerlandés (Bonaire, San Eustaquio y Saba)",
        "BFA": "Burkina Faso",
        "BMU": "Bermudas",
        "BRN": "Brunéi",
        "CIV": "Costa de Marfil",
        "COD": "República Democrática del Congo",
        "COG": "Congo",
        "COM": "Comoras",
        "DZA": "Argelia",
        "FLK": "Islas Malvinas (Falkland)",
        "FSM": "Micronesia",
        "MAF": "San Martín (parte francesa)",
        "MDV": "Maldivas",
        "NER": "Níger",
        "PCN": "Islas Pitcairn",
        "PSE": "Palestina",
        "RUS": "Rusia",
        "SUR": "Surinam",
        "SXM": "San Martín (parte neerlandesa)",
        "TUN": "Túnez",
        "VAT": "Ciudad del Vaticano",
        "VGB": "Islas Vírgenes Británicas",
        "VIR": "Islas Vírgenes de los Estados Unidos",
    },
}

#: Corrections of pycountry's language names (ISO 639-3 codes), by language.
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "ell": "Greek",
        "msa": "Malay",
        "nep": "Nepali",
        "oci": "Occitan",
        "ori": "Odia",
        "swa": "Swahili",
    },
    "es": {
        "abk": "Abjasio",
        "amh": "Amárico",
        "ara": "Árabe",
        "asm": "Asamés",
        "ava": "Ávaro",
        "ave": "Avéstico",
        "aze": "Azerbaiyano",
        "bak": "Baskir",
        "bel": "Bielorruso",
        "bod": "Tibetano",
        "chu": "Eslavo eclesiástico antiguo",
        "chv": "Chuvasio",
        "div": "Divehi",
        "dzo": "Dzongkha",
        "ell": "Griego",
        "fij": "Fiyiano",
        "fry": "Frisón occidental",
        "ful": "Fula",
        "gla": "Gaélico escocés",
        "glg": "Gallego",
        "glv": "Manés",
        "guc": "Wayuu (guajiro)",
        "guj": "Guyaratí",
        "hat": "Criollo haitiano",
        "hau": "Hausa",
        "hbs": "Serbocroata",
        "iii": "Yi de Sichuán",
        "ina": "Interlingua",
        "ipk": "Iñupiaq",
        "kal": "Groenlandés",
        "kas": "Cachemir",
        "kaz": "Kazajo",
        "kek": "Q'eqchi'",
        "khm": "Jemer",
        "kir": "Kirguís",
        "lao": "Lao",
        "lim": "Limburgués",
        "ltz": "Luxemburgués",
        "mah": "Marshalés",
        "mal": "Malayalam",
        "mar": "Maratí",
        "miq": "Misquito",
        "msa": "Malayo",
        "mxt": "Mixteco de Jamiltepec",
        "nau": "Nauruano",
        "nbl": "Ndebele del sur",
        "nde": "Ndebele del norte",
        "nep": "Nepalí",
        "nhe": "Náhuatl de la Huasteca oriental",
        "nld": "Neerlandés",
        "nno": "Noruego nynorsk",
        "nob": "Noruego bokmal",
        "nya": "Chichewa",
        "oci": "Occitano",
        "ori": "Oriya",
        "orm": "Oromo",
        "oss": "Osético",
        "pan": "Panyabí",
        "pus": "Pastún",
        "roh": "Romanche",
        "run": "Kirundi",
        "sme": "Sami septentrional",
        "sot": "Sesoto",
        "ssw": "Suazi",
        "sun": "Sundanés",
        "swa": "Suajili",
        "tat": "Tártaro",
        "tgk": "Tayiko",
        "tir": "Tigriña",
        "tsn": "Setsuana",
        "twi": "Twi",
        "ton": "Tongano",
        "uig": "Uigur",
        "ukr": "Ucraniano",
        "wln": "Valón",
        "yid": "Ídish",
        "yua": "Maya yucateco",
        "cab": "Garífuna",
        "zul": "Zulú",
    },
}


def active_language(language: str | None = None) -> str:
    return (language or get_language() or "en").split("-")[0]


def collation_key(name: str, language: str | None = None) -> tuple[str, str]:
    """A sort key that orders names as a reader of `language` expects: letters first, then
    accents, then case; in Spanish ñ sorts as its own letter between n and o."""
    lang = active_language(language)
    text = name.casefold()
    if lang == "es":
        text = text.replace("ñ", "n\U0010ffff")  # after every n…, before o
    decomposed = unicodedata.normalize("NFKD", text)
    base = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return (base, text)


def sorted_by_name(pairs: list[tuple[str, str]], language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name with `collation_key`."""
    return sorted(pairs, key=lambda pair: collation_key(pair[1], language))


@lru_cache(maxsize=8)
def _translator(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


def country_name(alpha_3: str, language: str | None = None) -> str:
    """The country's common name in `language` (default: the active one)."""
    country = pycountry.countries.get(alpha_3=alpha_3)
    if country is None:
        return alpha_3
    lang = active_language(language)
    fixed = COUNTRY_NAMES.get(lang, {}).get(country.alpha_3)
    if fixed:
        return fixed
    name = getattr(country, "common_name", None) or country.name
    return _translator(lang).gettext(name)


@lru_cache(maxsize=8)
def _country_choices(language: str) -> list[tuple[str, str]]:
    return sorted_by_name([(c.alpha_3, country_name(c.alpha_3, language)) for c in pycountry.countries], language)


def country_choices(language: str | None = None) -> list[tuple[str, str]]:
    """(alpha-3, name) pairs sorted by name in `language`."""
    return list(_country_choices(active_language(language)))
