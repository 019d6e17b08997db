"""Place extraction from free text, Spanish and English (issue 11 §2, decision 0040).

A pure function over the offline gazetteer: the text is split into word tokens (spans in the
original text, so no character map is needed), each token is folded (case and accents removed)
and the longest run of tokens that is a known name wins. Local rules then drop what is not a
place (streets, rivers, seas, businesses, newspapers, people's names, common words); a second
pass resolves ambiguous names by the other places in the text, the organisation's country, the
language and population.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from amparo.places import gazetteer as gz
from amparo.places.gazetteer import TOKEN_RE, fold, key_of


@dataclass(frozen=True)
class PlaceMatch:
    text: str
    start: int
    end: int
    name: str
    country: str
    kind: str
    lat: float | None
    lon: float | None
    region_code: str = ""


@dataclass(frozen=True)
class RegionMatch:
    text: str
    start: int
    end: int
    name: str
    countries: tuple[str, ...]
    kind: str = "multi_country"


@dataclass(frozen=True)
class Extraction:
    countries: list[str] = field(default_factory=list)
    places: list[PlaceMatch] = field(default_factory=list)
    regions: list[RegionMatch] = field(default_factory=list)

    def as_json(self, id: Any = None) -> dict:
        return {
            "id": id,
            "countries": list(self.countries),
            "places": [
                {
                    "text": p.text,
                    "start": p.start,
                    "end": p.end,
                    "name": p.name,
                    "country": p.country,
                    "kind": p.kind,
                    "lat": p.lat,
                    "lon": p.lon,
                }
                for p in self.places
            ],
            "regions": [
                {"text": r.text, "start": r.start, "end": r.end, "name": r.name, "countries": list(r.countries)}
                for r in self.regions
            ],
        }


_CENTRAL_AMERICA = ("GTM", "BLZ", "SLV", "HND", "NIC", "CRI", "PAN")
_LATIN_AMERICA = (
    "ARG", "BOL", "BRA", "CHL", "COL", "CRI", "CUB", "DOM", "ECU", "SLV", "GTM", "HTI", "HND", "MEX",
    "NIC", "PAN", "PRY", "PER", "PRI", "URY", "VEN",
)  # fmt: skip
_CARIBBEAN = ("ATG", "BHS", "BRB", "CUB", "DMA", "DOM", "GRD", "HTI", "JAM", "KNA", "LCA", "VCT", "TTO", "PRI")
_SOUTH_AMERICA = ("ARG", "BOL", "BRA", "CHL", "COL", "ECU", "GUY", "PRY", "PER", "SUR", "URY", "VEN")
_WEST_AFRICA = (
    "BEN", "BFA", "CPV", "CIV", "GMB", "GHA", "GIN", "GNB", "LBR", "MLI", "MRT", "NER", "NGA", "SEN", "SLE", "TGO",
)  # fmt: skip
_EAST_AFRICA = ("BDI", "DJI", "ERI", "ETH", "KEN", "RWA", "SOM", "SSD", "TZA", "UGA")
_SOUTHEAST_ASIA = ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "TLS", "VNM")
_BALKANS = ("ALB", "BIH", "BGR", "HRV", "XKX", "MNE", "MKD", "SRB")
_EASTERN_EUROPE = ("BLR", "BGR", "CZE", "HUN", "MDA", "POL", "ROU", "RUS", "SVK", "UKR")
_MIDDLE_EAST = (
    "BHR", "CYP", "EGY", "IRN", "IRQ", "ISR", "JOR", "KWT", "LBN", "OMN", "PSE", "QAT", "SAU", "SYR", "TUR", "ARE", "YEM",
)  # fmt: skip
_GULF = ("BHR", "KWT", "OMN", "QAT", "SAU", "ARE")

#: Multi-country regions: (English name, names in Spanish and English, member countries).
MULTI_COUNTRY_REGIONS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("Central America", ("Centroamérica", "Centro América", "América Central", "Central America",
                         "Centroamerica"), _CENTRAL_AMERICA),
    ("Northern Triangle", ("Triángulo Norte", "Triángulo Norte de Centroamérica", "Triángulo del Norte",
                           "Northern Triangle", "Northern Triangle of Central America"), ("GTM", "SLV", "HND")),
    ("Latin America", ("América Latina", "Latinoamérica", "Latin America", "Iberoamérica"), _LATIN_AMERICA),
    ("Caribbean", ("Caribe", "el Caribe", "Caribbean", "the Caribbean"), _CARIBBEAN),
    ("South America", ("Sudamérica", "Suramérica", "América del Sur", "South America"), _SOUTH_AMERICA),
    ("North America", ("Norteamérica", "América del Norte", "North America"), ("CAN", "USA", "MEX")),
    ("Southern Cone", ("Cono Sur", "Southern Cone"), ("ARG", "CHL", "URY", "PRY")),
    ("Andean region", ("Región Andina", "países andinos", "Andean region", "Andean countries"),
     ("BOL", "COL", "ECU", "PER", "VEN")),
    ("West Africa", ("África Occidental", "África del Oeste", "West Africa", "Western Africa"), _WEST_AFRICA),
    ("East Africa", ("África Oriental", "África del Este", "East Africa", "Eastern Africa"), _EAST_AFRICA),
    ("Horn of Africa", ("Cuerno de África", "Horn of Africa"), ("DJI", "ERI", "ETH", "SOM")),
    ("Sahel", ("Sahel",), ("SEN", "MRT", "MLI", "BFA", "NER", "TCD")),
    ("Maghreb", ("Magreb", "Maghreb", "Norte de África", "África del Norte", "North Africa", "Northern Africa"),
     ("DZA", "LBY", "MAR", "TUN", "MRT", "EGY")),
    ("Balkans", ("Balcanes", "Balkans", "Balcanes Occidentales", "Western Balkans"), _BALKANS),
    ("Eastern Europe", ("Europa del Este", "Europa Oriental", "Eastern Europe"), _EASTERN_EUROPE),
    ("Southeast Asia", ("Sudeste Asiático", "Sureste Asiático", "Asia Sudoriental", "Southeast Asia",
                        "South-East Asia", "South East Asia"), _SOUTHEAST_ASIA),
    ("Central Asia", ("Asia Central", "Central Asia"), ("KAZ", "KGZ", "TJK", "TKM", "UZB")),
    ("South Asia", ("Asia del Sur", "Asia Meridional", "South Asia"),
     ("AFG", "BGD", "BTN", "IND", "MDV", "NPL", "PAK", "LKA")),
    ("Middle East", ("Oriente Medio", "Medio Oriente", "Oriente Próximo", "Middle East"), _MIDDLE_EAST),
    ("Gulf States", ("países del Golfo", "Golfo Pérsico", "Gulf States", "Gulf countries", "Persian Gulf"), _GULF),
]  # fmt: skip

# Words before a name that make it a street, a river, a sea, a business... not a place.
_BLOCK_BEFORE = {
    # streets and addresses
    "calle", "avenida", "av", "avda", "bulevar", "boulevard", "blvd", "pasaje", "paseo", "carrera", "callejon",
    "barrio", "colonia", "col", "residencial", "street", "st", "avenue", "ave", "road", "rd", "lane", "plaza",
    # water and relief
    "rio", "river", "mar", "sea", "lago", "lake", "laguna", "lagoon", "golfo", "gulf", "bahia", "bay", "oceano",
    "ocean", "canal", "volcan", "volcano", "monte", "mount", "mt", "cerro", "sierra", "cordillera", "isla",
    "desierto", "desert", "playa", "beach",
    # businesses and media
    "hotel", "restaurante", "restaurant", "bar", "discoteca", "cantina", "club", "empresa", "company", "tienda",
    "store", "diario", "periodico", "newspaper", "radio", "revista", "magazine", "banco", "bank",
    "universidad", "university", "hospital", "escuela", "school", "colegio", "equipo", "team", "estadio",
    "stadium", "aeropuerto", "airport", "cafe", "motel", "finca", "hacienda", "fabrica", "maquila",
}  # fmt: skip
_BLOCK_AFTER = {
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "river", "sea", "lake",
    "mountains", "mountain", "hotel", "inn", "fc", "club", "airport", "stadium", "times", "post", "herald",
    "tribune", "press", "daily", "news", "fm", "tv", "mall", "plaza",
}  # fmt: skip
_CONNECTORS = {"de", "del", "la", "el", "las", "los", "of", "the"}
_TITLES = {
    "senor", "senora", "senorita", "sr", "sra", "srta", "don", "dona", "mr", "mrs", "ms", "miss", "dr", "dra",
    "doctor", "doctora", "lic", "licenciada", "licenciado", "sir", "lady", "madam", "hermana", "hermano",
    "padre", "madre", "sister", "brother", "father", "mother", "tia", "tio", "aunt", "uncle", "nina", "nino",
    "joven", "llamada", "llamado", "named", "called", "apodo", "alias",
}  # fmt: skip
_SPEECH_AFTER = {
    "dijo", "dice", "conto", "relato", "explico", "afirmo", "aseguro", "declaro", "senalo", "indico", "comento",
    "recordo", "narro", "agrego", "tiene", "tenia", "trabajaba", "vivia", "es", "era", "fue", "estaba", "quien",
    "said", "says", "told", "explained", "recalled", "added", "was", "is", "has", "had", "who", "worked",
    "lived",
}  # fmt: skip
_LANGUAGE_BEFORE = {
    "habla", "hablan", "hablaba", "hablaban", "hablar", "hablo", "idioma", "lengua", "en", "al", "del", "clases",
    "speak", "speaks", "spoke", "speaking", "in", "into", "language", "translated", "from",
}  # fmt: skip
_AGE_AFTER = re.compile(r"\s*[,(]\s*(?:de\s+)?\d{1,3}(?:\s*(?:anos|años|years|año)|\s*[,)])", re.IGNORECASE)

_MIN_UNSUPPORTED_POP = 50_000  # a smaller city needs its country elsewhere in the text
_BIG_CITY = 1_000_000  # an ambiguous name goes to its largest bearer only when this big


class _Regions:
    def __init__(self) -> None:
        self.names: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.prefixes: set[str] = set()
        self.max_tokens = 1
        for canonical, aliases, members in MULTI_COUNTRY_REGIONS:
            for alias in aliases:
                key = key_of(alias)
                self.names[key] = (canonical, members)
                parts = key.split(" ")
                self.max_tokens = max(self.max_tokens, len(parts))
                for n in range(1, len(parts)):
                    self.prefixes.add(" ".join(parts[:n]))


_regions: _Regions | None = None


def _get_regions() -> _Regions:
    global _regions
    if _regions is None:
        _regions = _Regions()
    return _regions


def _joinable(text: str, end: int, next_start: int, token: str) -> bool:
    """May the tokens on both sides of text[end:next_start] belong to one name?"""
    sep = text[end:next_start]
    if len(sep) > 3:
        return False
    stripped = sep.replace(" ", "").replace("\u00a0", "")
    if stripped in ("", "-", "'", "’", "‑"):
        return True
    return stripped == "." and len(token) <= 2


@dataclass
class _Candidate:
    start_tok: int
    end_tok: int  # exclusive
    start: int
    end: int
    entries: list[tuple[int, int, bool]]  # (place index, flags, needs support from context)
    region: tuple[str, tuple[str, ...]] | None = None


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def extract_places(text: str, language: str = "es", *, org_country: str | None = None) -> Extraction:
    """Countries, regions, cities and multi-country regions named in `text` (never raises)."""
    try:
        return _extract(text if isinstance(text, str) else str(text), language, org_country)
    except Exception:  # noqa: BLE001 - a pure helper on user text must never take a page down
        return Extraction()


def _extract(text: str, language: str, org_country: str | None) -> Extraction:
    gaz = gz.get()
    regions = _get_regions()
    lang = (language or "es").split("-")[0].lower()
    common_flag = gz.COMMON_EN if lang == "en" else gz.COMMON_ES
    org = (org_country or "").upper()

    matches = list(TOKEN_RE.finditer(text))
    n = len(matches)
    if not n:
        return Extraction()
    raw = [m.group() for m in matches]
    folded = [fold(t) for t in raw]
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    max_tokens = max(gaz.max_tokens, regions.max_tokens)
    names = gaz.names
    prefixes = gaz.prefixes

    candidates: list[_Candidate] = []
    i = 0
    while i < n:
        # grow the span while it is a known name or the prefix of one
        found: list[tuple[int, str]] = []
        key = folded[i]
        j = i
        while True:
            if key in names or key in regions.names:
                found.append((j + 1, key))
            if j + 1 >= n or j + 1 - i >= max_tokens:
                break
            if key not in prefixes and key not in regions.prefixes:
                break
            if not _joinable(text, ends[j], starts[j + 1], raw[j]):
                break
            j += 1
            key = key + " " + folded[j]
        accepted = None
        for end_tok, key in reversed(found):
            cand = _local_filter(text, raw, folded, i, end_tok, key, starts, ends, names, regions, common_flag, lang)
            if cand is not None:
                accepted = cand
                break
        if accepted is not None:
            candidates.append(accepted)
            i = accepted.end_tok
        else:
            i += 1

    # context: countries named by a country name, or unambiguously by a place that needs no support
    contributions: list[set[str]] = []
    for cand in candidates:
        own: set[str] = set()
        if cand.region is None:
            nations = {gaz.places[idx].country for idx, _f, _n in cand.entries if gaz.places[idx].kind == "country"}
            if nations:
                own = nations
            elif not any(needs for _i, _f, needs in cand.entries):
                found_countries = {gaz.places[idx].country for idx, _f, _n in cand.entries}
                if len(found_countries) == 1:
                    own = found_countries
        contributions.append(own)
    counts: dict[str, int] = {}
    for own in contributions:
        for country in own:
            counts[country] = counts.get(country, 0) + 1

    place_matches: list[PlaceMatch] = []
    region_matches: list[RegionMatch] = []
    for k, cand in enumerate(candidates):
        if cand.region is not None:
            canonical, members = cand.region
            region_matches.append(RegionMatch(text[cand.start : cand.end], cand.start, cand.end, canonical, members))
            continue
        own = contributions[k]

        def in_context(country: str, own: set[str] = own) -> bool:
            return counts.get(country, 0) - (1 if country in own else 0) > 0

        apposed: set[str] = set()
        for other in (k - 1, k + 1):
            if 0 <= other < len(candidates) and candidates[other].region is None:
                left, right = sorted((cand, candidates[other]), key=lambda c: c.start)
                if text[left.end : right.start].strip() in (",", "(", "-", "–"):
                    apposed |= {gaz.places[idx].country for idx, _f, _n in candidates[other].entries}
        place = _resolve(gaz, cand, in_context, apposed, org, lang)
        if place is None:
            continue
        end = cand.end
        # "EE. UU." and "U.S.": the abbreviation's last full stop belongs to it
        if "." in text[cand.start : end] and text[end : end + 1] == ".":
            end += 1
        place_matches.append(
            PlaceMatch(
                text=text[cand.start : end],
                start=cand.start,
                end=end,
                name=place.name,
                country=place.country,
                kind=place.kind,
                lat=place.lat,
                lon=place.lon,
                region_code=place.region_code,
            )
        )
    countries: list[str] = []
    for pm in place_matches:
        if pm.country not in countries:
            countries.append(pm.country)
    return Extraction(countries=countries, places=place_matches, regions=region_matches)


def _local_filter(
    text: str,
    raw: list[str],
    folded: list[str],
    i: int,
    end_tok: int,
    key: str,
    starts: list[int],
    ends: list[int],
    names: dict[str, list[tuple[int, int]]],
    regions: _Regions,
    common_flag: int,
    lang: str,
) -> _Candidate | None:
    """The span tokens[i:end_tok] as a candidate, or None when the rules say it is not a place."""
    gaz = gz.get()
    start, end = starts[i], ends[end_tok - 1]
    span = text[start:end]
    # neighbouring words count only when nothing but spaces separates them from the name
    prev = folded[i - 1] if i > 0 and not text[ends[i - 1] : start].strip() else ""
    prev2 = folded[i - 2] if prev and i > 1 and not text[ends[i - 2] : starts[i - 1]].strip() else ""
    nxt = folded[end_tok] if end_tok < len(folded) and not text[end : starts[end_tok]].strip() else ""
    # streets, rivers, seas, businesses, newspapers: "calle Honduras", "río Grande", "Golfo de México"
    if prev in _BLOCK_BEFORE or (prev in _CONNECTORS and prev2 in _BLOCK_BEFORE) or nxt in _BLOCK_AFTER:
        if not (prev == "st" and i > 0 and text[ends[i - 1] : ends[i - 1] + 1] == "."):
            return None
    if key in regions.names:
        return _Candidate(i, end_tok, start, end, [], region=regions.names[key])

    capitalised = _capitalised(raw[i])
    person_like = (
        prev in _TITLES
        or nxt in _SPEECH_AFTER
        or bool(_AGE_AFTER.match(text, end))
        or _followed_by_surname(text, raw, folded, end_tok, ends, names)
    )
    kept: list[tuple[int, int, bool]] = []
    for idx, flags in names[key]:
        place = gaz.places[idx]
        if flags & gz.ABBREV:
            if any(ch.islower() for ch in span):
                continue
        if flags & gz.LANGUAGE and prev in _LANGUAGE_BEFORE:
            continue
        if place.kind == "country":
            if flags & common_flag and not capitalised:
                continue
            if person_like and flags & common_flag and not flags & gz.DEMONYM:
                continue
            kept.append((idx, flags, False))
            continue
        # regions and cities
        if person_like:
            continue
        needs_support = False
        if flags & (common_flag | gz.ALTERNATE):
            if not _capitalised(raw[end_tok - 1]):
                continue
            needs_support = bool(flags & common_flag)
        elif not capitalised and place.population < 100_000 and place.kind == "city":
            continue
        if len(key) <= 3 and not span.isupper():
            continue
        kept.append((idx, flags, needs_support))
    # a city's own name beats another city's alternate name ("Cancún" is not Changchun)
    if any(gaz.places[idx].kind == "city" and not flags & gz.ALTERNATE for idx, flags, _n in kept):
        kept = [e for e in kept if not (e[1] & gz.ALTERNATE and gaz.places[e[0]].kind == "city")]
    if not kept:
        return None
    return _Candidate(i, end_tok, start, end, kept)


def _followed_by_surname(
    text: str, raw: list[str], folded: list[str], end_tok: int, ends: list[int], names: dict[str, Any]
) -> bool:
    """A capitalised word right after the name that is not itself a place: "Victoria Martínez"."""
    if end_tok >= len(raw):
        return False
    gap = text[ends[end_tok - 1] : ends[end_tok] - len(raw[end_tok])]
    if gap.strip() != "":
        return False
    word = raw[end_tok]
    if not word[:1].isupper() or word.isupper():
        return False
    return folded[end_tok] not in names and folded[end_tok] not in _CONNECTORS


_KIND_RANK = {"country": 0, "region": 2, "city": 3}


def _best(gaz: gz.Gazetteer, pool: list[gz.Place], lang: str) -> gz.Place:
    def rank(p: gz.Place) -> tuple:
        kind = _KIND_RANK.get(p.kind, 4)
        if p.kind == "city" and p.population >= 500_000:
            kind = 1
        spanish = 0 if lang != "es" or p.country in gaz.spanish_speaking else 1
        return (kind, spanish, -p.population)

    best = min(pool, key=rank)
    if best.kind == "region":
        # a department named like its capital: the text means the city ("León", "Comayagua")
        same = [p for p in pool if p.kind == "city" and p.country == best.country]
        if same:
            best = max(same, key=lambda p: p.population)
    return best


def _resolve(
    gaz: gz.Gazetteer,
    cand: _Candidate,
    in_context,
    apposed: set[str],
    org: str,
    lang: str,
) -> gz.Place | None:
    entries = [(gaz.places[idx], needs) for idx, _f, needs in cand.entries]
    nations = [p for p, _n in entries if p.kind == "country"]
    sub = [(p, needs) for p, needs in entries if p.kind != "country"]
    # "Georgia, USA", "Atlanta, Georgia", "Lagos, Nigeria": the place next to it settles it
    if any(p.country in apposed for p in nations):
        return nations[0]  # "Cancún, México": the country
    beside = [p for p, _n in sub if p.country in apposed]
    if beside:
        return _best(gaz, beside, lang)
    supported = [p for p, _n in sub if in_context(p.country)]
    if not supported and org:
        supported = [p for p, _n in sub if p.country == org]
    if nations:
        nation = nations[0]
        # "Granada" in a text about Nicaragua, "Georgia" near Atlanta: a place of another country
        # named elsewhere in the text wins over a smaller country not otherwise named
        rivals = [p for p in supported if p.country != nation.country and 3 * p.population >= nation.population]
        if rivals and not in_context(nation.country):
            return _best(gaz, rivals, lang)
        return nation
    if supported:
        return _best(gaz, supported, lang)
    free = [p for p, needs in sub if not needs]
    if not free:
        return None
    best = _best(gaz, free, lang)
    if len({p.country for p, _n in sub}) > 1 and best.population < _BIG_CITY:
        return None
    if best.kind == "city" and best.population < _MIN_UNSUPPORTED_POP:
        return None
    return best
