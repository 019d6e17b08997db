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
import threading
import unicodedata
from collections.abc import Callable
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
                         "Central American", "Central Americans", "centroamericano", "centroamericana",
                         "centroamericanos", "centroamericanas"), _CENTRAL_AMERICA),
    ("Northern Triangle", ("Triángulo Norte", "Triángulo Norte de Centroamérica", "Triángulo del Norte",
                           "Northern Triangle", "Northern Triangle of Central America"), ("GTM", "SLV", "HND")),
    ("Latin America", ("América Latina", "Latinoamérica", "Latin America", "Iberoamérica", "Latin American",
                       "Latin Americans", "latinoamericano", "latinoamericana", "latinoamericanos",
                       "latinoamericanas"), _LATIN_AMERICA),
    ("Caribbean", ("Caribe", "el Caribe", "Caribbean", "the Caribbean"), _CARIBBEAN),
    ("South America", ("Sudamérica", "Suramérica", "América del Sur", "South America", "South American",
                       "South Americans", "sudamericano", "sudamericana", "sudamericanos", "sudamericanas",
                       "suramericano", "suramericana", "suramericanos", "suramericanas"), _SOUTH_AMERICA),
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
}  # fmt: skip
# ... and right before a name only: "hotel Honduras", but "un hotel de San José" is in San José
_BLOCK_ADJACENT = {
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
_BLOCK_COMMON_BEFORE = {
    # (not "fiscalía", "tribunal": "Fiscalía de Encarnación" is in Encarnación)
    "defensoria", "plaza", "parque", "teatro", "museo", "iglesia", "parroquia", "hospital", "colegio", "escuela",
    "barrio", "colonia", "calle", "avenida",
}  # fmt: skip
_BLOCK_PREV = _BLOCK_BEFORE | _BLOCK_ADJACENT
_CONNECTORS = {"de", "del", "la", "el", "las", "los", "of", "the"}
_TITLES = {
    "senor", "senora", "senorita", "sr", "sra", "srta", "don", "dona", "mr", "mrs", "ms", "miss", "dr", "dra",
    "doctor", "doctora", "lic", "licenciada", "licenciado", "sir", "lady", "madam", "hermana", "hermano",
    "padre", "madre", "sister", "brother", "father", "mother", "tia", "tio", "aunt", "uncle", "nina", "nino",
    "joven", "llamada", "llamado", "named", "called", "apodo", "alias",
}  # fmt: skip
_SPEECH_AFTER = {
    "dijo", "dice", "conto", "relato", "explico", "afirmo", "aseguro", "declaro", "senalo", "indico", "comento",
    "recordo", "narro", "agrego", "denuncio", "confeso", "said", "says", "told", "explained", "recalled", "added",
    "testified", "claimed", "recounted",
}  # fmt: skip
_LANGUAGE_BEFORE = {
    "habla", "hablan", "hablaba", "hablaban", "hablar", "hablo", "idioma", "lengua", "en", "al", "del", "clases",
    "speak", "speaks", "spoke", "speaking", "in", "into", "language", "translated", "from",
}  # fmt: skip
_AND = {"and", "or", "y", "e", "o", "u", "ni", "nor"}
_AGE_AFTER = re.compile(r"\s*[,(]\s*(?:de\s+)?\d{1,3}(?:\s*(?:anos|años|years|año)|\s*[,)])", re.IGNORECASE)

_MIN_UNSUPPORTED_POP = 50_000  # a smaller city needs its country elsewhere in the text
_AMBIGUOUS_MIN_POP = 300_000
_BIG_CITY = 1_000_000  # an ambiguous name goes to its largest bearer only when this big


#: Latin capitals: a capitalised word may start a name.
_UPPER = "A-Z" + "".join(ch for ch in map(chr, range(0xC0, 0x250)) if ch.isupper() and ch.isalpha())
_CAP_WORD = "[" + _UPPER + r"][^\W_]*"
_NEXT_TOKEN = re.compile(r"([ \u00a0]{0,2}[-'’‑.]?[ \u00a0]{0,2})([^\W_]+)")
_PREV_WORD_REVERSED = re.compile(r"[ \u00a0]*([^\W_]+)")
_NEXT_WORD = re.compile(r"[ \u00a0]*([^\W_]+)")
_STOP_STARTERS = {"la", "el", "los", "las", "de", "del", "the", "a", "an", "of", "in", "en", "y", "and", "san", "new"}


_PUNCT_TO_SPACE = bytes(b if chr(b).isalnum() else 32 for b in range(256))
_ACCENTS = {"a": "aáàâäã", "e": "eéèêë", "i": "iíìîï", "o": "oóòôöõ", "u": "uúùûü", "n": "nñ", "c": "cç"}


def _accent_insensitive(word: str) -> re.Pattern[str]:
    """A pattern for lower-case `word` written with or without accents, up to the end of a word."""
    parts = [f"[{_ACCENTS[ch]}]" if ch in _ACCENTS else re.escape(ch) for ch in word]
    return re.compile("".join(parts) + r"(?![^\W_])")


def _trie_pattern(words: set[str]) -> str:
    """A regular expression (a group) matching exactly `words`, as a trie: each alternative
    starts with its own letter, so a word that starts none is rejected at once."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        end = "" in node
        alternatives = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = (
            alternatives[0]
            if len(alternatives) == 1 and len(alternatives[0]) == 1
            else "(?:" + "|".join(alternatives) + ")"
        )
        return body + "?" if end else body

    return "(" + pattern(trie) + ")"


class _Index:
    """Everything the scanner needs, built once per process from the gazetteer."""

    def __init__(self) -> None:
        gaz = gz.get()
        self.gaz = gaz
        self.names = gaz.names
        self.regions: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.prefixes: set[str] = set(gaz.prefixes)
        for canonical, aliases, members in MULTI_COUNTRY_REGIONS:
            for alias in aliases:
                key = key_of(alias)
                self.regions[key] = (canonical, members)
                parts = key.split(" ")
                for n in range(1, len(parts)):
                    self.prefixes.add(" ".join(parts[:n]))
        self.starters: set[str] = {key.split(" ")[0] for key in self.names} | {
            key.split(" ")[0] for key in self.regions
        }
        # words that start a name in lower case too: countries, demonyms, multi-country regions
        lower: set[str] = set()
        for key, entries in self.names.items():
            if any(gaz.places[idx].kind == "country" and not flags & gz.ABBREV for idx, flags in entries):
                lower.add(key.split(" ")[0])
        lower |= {key.split(" ")[0] for key in self.regions}
        lower -= _STOP_STARTERS
        self.lower_starters = lower
        self.country_keys: set[str] = {
            key for key, entries in self.names.items() if all(gaz.places[idx].kind == "country" for idx, _f in entries)
        }
        self.cap_re = re.compile(_CAP_WORD)
        self.lower_starters_bytes = {w.encode("ascii", "ignore") for w in lower}
        self.word_res: dict[bytes, re.Pattern[str]] = {}
        # one regular expression over the text folded with its case kept (_fold_text): every
        # capitalised word, and every lower-case word that starts a country's or region's name
        # (led by the space before each word: the engine looks for spaces only); the Latin-1
        # capitals alone are a quick test, the others are for texts beyond cp1252
        lower_words = _trie_pattern(lower) + r"(?![^ ])"
        self.seed_re = re.compile(r" (?:([A-ZÆÐØÞ][^ ]*)|" + lower_words + ")")
        others = "".join(ch for ch in _UPPER[3:] if _fold_char(ch) == ch)
        self.seed_re_wide = re.compile(r" (?:([A-ZÆÐØÞ" + others + r"][^ ]*)|" + lower_words + ")")
        # a span's key: 1 a name or region, 2 the beginning of a longer one
        self.lex: dict[str, int] = dict.fromkeys(self.prefixes, 2)
        for key in self.names:
            self.lex[key] = self.lex.get(key, 0) | 1
        for key in self.regions:
            self.lex[key] = self.lex.get(key, 0) | 1
        # a country's name whose every entry is kept whatever the context (no abbreviation,
        # language or common word among them)
        checked = gz.ABBREV | gz.LANGUAGE | gz.COMMON_ES | gz.COMMON_EN
        self.plain_countries: dict[str, list[tuple[int, int, bool]]] = {
            key: [(idx, flags, False) for idx, flags in self.names[key]]
            for key in self.country_keys
            if not any(flags & checked for _idx, flags in self.names[key])
        }
        # each name's bearers with what the local rules read of them, filled on a name's first
        # sighting: (place index, flags, kind, population, of a Spanish-speaking country)
        self.entry_info: dict[str, list[tuple[int, int, str, int, bool]]] = {}
        self.country_of: list[str] = [p.country for p in gaz.places]
        self.is_country: list[bool] = [p.kind == "country" for p in gaz.places]


_index: _Index | None = None
_index_lock = threading.Lock()


def _get_index() -> _Index:
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = _Index()
    return _index


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    entries: list[tuple[int, int, bool]]  # (place index, flags, needs support from context)
    region: tuple[str, tuple[str, ...]] | None = None


_new_match = object.__new__


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def extract_places(text: str, language: str = "es", *, org_country: str | None = None) -> Extraction:
    """Countries, regions, cities and multi-country regions named in `text` (never raises)."""
    try:
        return _extract(text if isinstance(text, str) else str(text), language, org_country)
    except Exception:  # noqa: BLE001 - a pure helper on user text must never take a page down
        return Extraction()


def _extract(text: str, language: str, org_country: str | None) -> Extraction:
    index = _get_index()
    gaz = index.gaz
    lang = (language or "es").split("-")[0].lower()
    common_flag = gz.COMMON_EN if lang == "en" else gz.COMMON_ES
    org = (org_country or "").upper()
    folded = _fold_text(text)
    if folded is None:
        candidates = _scan_slow(text, index, common_flag)
    else:
        candidates = _scan(text, folded, index, common_flag)

    # context: countries named by a country name, or unambiguously by a place that needs no support
    places = gaz.places
    country_of = index.country_of
    is_country = index.is_country
    contributions: list[set[str]] = []
    counts: dict[str, int] = {}
    for cand in candidates:
        own: set[str] = set()
        if cand.region is None and len(cand.entries) == 1:
            only_idx, _flags, needs = cand.entries[0]
            if is_country[only_idx] or not needs:
                nation = country_of[only_idx]
                own = {nation}
                counts[nation] = counts.get(nation, 0) + 1
        elif cand.region is None:
            own = {country_of[idx] for idx, _f, _n in cand.entries if is_country[idx]}
            if not own and not any(needs for _i, _f, needs in cand.entries):
                found_countries = {country_of[idx] for idx, _f, _n in cand.entries}
                if len(found_countries) == 1:
                    own = found_countries
            for country in own:
                counts[country] = counts.get(country, 0) + 1
        contributions.append(own)

    place_matches: list[PlaceMatch] = []
    region_matches: list[RegionMatch] = []
    # candidates separated by nothing but a comma, a bracket or a dash: "Cancún, México"
    last = len(candidates) - 1
    apposed_next = [
        k < last and candidates[k + 1].region is None and text[cand.end : candidates[k + 1].start].strip() in _APPOSE
        for k, cand in enumerate(candidates)
    ]
    for k, cand in enumerate(candidates):
        if cand.region is not None:
            canonical, members = cand.region
            region_matches.append(RegionMatch(text[cand.start : cand.end], cand.start, cand.end, canonical, members))
            continue
        entries = cand.entries
        if len(entries) == 1:
            # one bearer of the name: _resolve's answer without building its pools
            only_idx, _flags, needs = entries[0]
            place: gz.Place = places[only_idx]
            if not is_country[only_idx]:
                nation = place.country
                settled = (
                    counts.get(nation, 0) - (1 if nation in contributions[k] else 0) > 0
                    or (k > 0 and apposed_next[k - 1] and nation in _countries_of(candidates[k - 1], country_of))
                    or (apposed_next[k] and nation in _countries_of(candidates[k + 1], country_of))
                    or nation == org
                )
                if not settled and (needs or (place.kind == "city" and place.population < _MIN_UNSUPPORTED_POP)):
                    continue
        else:
            own = contributions[k]

            def in_context(country: str, own: set[str] = own) -> bool:
                return counts.get(country, 0) - (1 if country in own else 0) > 0

            apposed: set[str] = set()
            if k > 0 and apposed_next[k - 1]:
                apposed.update(country_of[idx] for idx, _f, _n in candidates[k - 1].entries)
            if apposed_next[k]:
                apposed.update(country_of[idx] for idx, _f, _n in candidates[k + 1].entries)
            resolved = _resolve(gaz, cand, in_context, apposed, org, lang)
            if resolved is None:
                continue
            place = resolved
        end = cand.end
        # "EE. UU." and "U.S.": the abbreviation's last full stop belongs to it
        if "." in text[cand.start : end] and text[end : end + 1] == ".":
            end += 1
        # a frozen dataclass's __init__ sets each field through object.__setattr__: filling
        # its __dict__ directly is three times faster, same object
        match = _new_match(PlaceMatch)
        fields = match.__dict__
        fields["text"] = text[cand.start : end]
        fields["start"] = cand.start
        fields["end"] = end
        fields["name"] = place.name
        fields["country"] = place.country
        fields["kind"] = place.kind
        fields["lat"] = place.lat
        fields["lon"] = place.lon
        fields["region_code"] = place.region_code
        place_matches.append(match)
    countries: list[str] = []
    for pm in place_matches:
        if pm.country not in countries:
            countries.append(pm.country)
    result = _new_match(Extraction)
    fields = result.__dict__
    fields["countries"] = countries
    fields["places"] = place_matches
    fields["regions"] = region_matches
    return result


def _countries_of(cand: _Candidate, country_of: list[str]) -> set[str]:
    return {country_of[idx] for idx, _f, _n in cand.entries}


def _scan_slow(text: str, index: _Index, common_flag: int) -> list[_Candidate]:
    """The candidates of a text that _fold_text cannot fold letter by letter ("Straße", "½"):
    capitalised words by a regular expression, lower-case ones by a search for each."""
    names = index.names
    regions = index.regions
    prefixes = index.prefixes
    starters = index.starters
    seeds: list[tuple[int, int]] = [m.span() for m in index.cap_re.finditer(text)]
    # lower-case countries and demonyms ("hondureñas", "méxico") are rare: a set test on the
    # folded words first, then a search for the few found
    # (case kept: a capitalised "Colombia" is a seed already, only lower-case words are looked for)
    ascii_words = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").translate(_PUNCT_TO_SPACE)
    found_lower = index.lower_starters_bytes.intersection(ascii_words.split())
    if found_lower:
        for lower_word in found_lower:
            pattern = index.word_res.get(lower_word)
            if pattern is None:
                pattern = index.word_res.setdefault(lower_word, _accent_insensitive(lower_word.decode()))
            for m in pattern.finditer(text):
                first = m.start()
                if not text[first].isupper() and (first == 0 or not text[first - 1].isalnum()):
                    seeds.append(m.span())
        seeds.sort()

    candidates: list[_Candidate] = []
    cursor = 0
    for start, seed_end in seeds:
        if start < cursor:
            continue
        word = text[start:seed_end]
        key = fold(word)
        if key not in starters:
            continue
        # grow the span while it is a known name or the prefix of one
        found: list[tuple[int, str]] = []
        end = seed_end
        last = word
        while True:
            if key in names or key in regions:
                found.append((end, key))
            if key not in prefixes:
                break
            nxt = _NEXT_TOKEN.match(text, end)
            if nxt is None:
                break
            gap = nxt.group(1).replace(" ", "").replace("\u00a0", "")
            if gap == "." and len(last) > 2:
                break
            last = nxt.group(2)
            key = key + " " + fold(last)
            end = nxt.end()
        for span_end, span_key in reversed(found):
            cand = _local_filter(
                text, start, span_end, span_key, index, common_flag, *_neighbours(text, start, span_end)
            )
            if cand is not None:
                candidates.append(cand)
                cursor = span_end
                break

    return candidates


def _scan(text: str, folded: str, index: _Index, common_flag: int) -> list[_Candidate]:
    """The candidates of a text: every capitalised word that starts a name (and every lower-case
    one that starts a country's or region's name), grown to the longest known name, then the
    local rules. `folded` is the text folded letter by letter (same length)."""
    lex = index.lex
    candidates: list[_Candidate] = []
    cursor = 0
    next_token = _NEXT_TOKEN.match
    lowered = folded.lower()
    seed_re = index.seed_re if folded.isascii() else index.seed_re_wide
    for m in seed_re.finditer(" " + folded):
        start = m.start()  # the word's start in the text (the search ran on one space more)
        end = m.end() - 1
        if start < cursor:
            continue
        key = lowered[start:end]
        # a single word is in `lex` exactly when it starts a name (one look-up in one table)
        code = lex.get(key, 0)
        if not code:
            continue
        if code == 1:  # a name that starts no longer one: the span is the word
            cand = _local_filter(
                text, start, end, key, index, common_flag, *_neighbours_folded(text, lowered, start, end)
            )
            if cand is not None:
                candidates.append(cand)
                cursor = end
            continue
        last_len = end - start
        found: list[tuple[int, str]] = []
        while True:
            if code & 1:
                found.append((end, key))
            if not code & 2:
                break
            nxt = next_token(text, end)
            if nxt is None:
                break
            gap = nxt.group(1).replace(" ", "").replace("\u00a0", "")
            if gap == "." and last_len > 2:
                break
            token_start = nxt.start(2)
            end = nxt.end()
            last_len = end - token_start
            key = key + " " + lowered[token_start:end]
            code = lex.get(key, 0)
        for span_end, span_key in reversed(found):
            cand = _local_filter(
                text, start, span_end, span_key, index, common_flag, *_neighbours_folded(text, lowered, start, span_end)
            )
            if cand is not None:
                candidates.append(cand)
                cursor = span_end
                break
    return candidates


_UPPER_SET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ" + _UPPER[3:])  # the capitals of _CAP_WORD


def _fold_char(ch: str) -> str:
    """One character of the folded text: a letter without its accents, case kept, when its
    lower case is `fold` of it ("É" → "E"); a space for a non-word character; NUL otherwise
    ("ß", whose fold is two letters)."""
    if TOKEN_RE.fullmatch(ch) is None:
        return " "
    bare = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if len(bare) == 1 and bare != "\x00" and bare.lower() == fold(ch) and bare.isupper() == ch.isupper():
        return bare
    return "\x00"


def _fold_table() -> bytes:
    """cp1252 byte → the Latin-1 byte of _fold_char (NUL beyond Latin-1)."""
    table = bytearray(256)
    for b in range(256):
        try:
            ch = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            table[b] = 32
            continue
        f = _fold_char(ch)
        table[b] = ord(f) if ord(f) < 256 else 0
    return bytes(table)


class _FoldMap(dict):
    """Code point → _fold_char, filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        self[code] = value
        return value


_FOLD_BYTES = _fold_table()
_FOLD_MAP = _FoldMap()


def _fold_text(text: str) -> str | None:
    """The text folded letter by letter, same length, case kept: its lower case has `fold` of
    each word where the word is, spaces elsewhere. None when a letter folds to several."""
    try:
        folded = text.encode("cp1252").translate(_FOLD_BYTES).decode("latin-1")
    except UnicodeEncodeError:
        folded = text.translate(_FOLD_MAP)
    if "\x00" in folded:
        return None
    return folded


def _neighbours_folded(text: str, folded: str, start: int, end: int) -> tuple[str, str, str, str, int, int]:
    """_neighbours, read from the folded text."""
    prev = prev2 = nxt = nxt_raw = ""
    prev_start = prev_end = -1
    i = start
    while i > 0 and text[i - 1] in " \u00a0":
        i -= 1
    if i > 0 and folded[i - 1] != " ":
        prev_end = i
        prev_start = folded.rfind(" ", 0, i) + 1
        prev = folded[prev_start:i]
        i = prev_start
        while i > 0 and text[i - 1] in " \u00a0":
            i -= 1
        if i > 0 and folded[i - 1] != " ":
            prev2 = folded[folded.rfind(" ", 0, i) + 1 : i]
    k = end
    n = len(text)
    while k < n and text[k] in " \u00a0":
        k += 1
    if k < n and folded[k] != " ":
        e = folded.find(" ", k)
        if e < 0:
            e = n
        nxt = folded[k:e]
        nxt_raw = text[k:e]
    return prev, prev2, nxt, nxt_raw, prev_start, prev_end


def _neighbours(text: str, start: int, end: int) -> tuple[str, str, str, str, int, int]:
    """(previous word, the word before it, next word, next word as written, where the previous
    word starts and ends), folded; a word counts only when nothing but spaces separates it
    from the name."""
    prev = prev2 = nxt = nxt_raw = ""
    prev_start = prev_end = -1
    window = text[max(0, start - 40) : start][::-1]
    m = _PREV_WORD_REVERSED.match(window)
    if m:
        prev = fold(m.group(1)[::-1])
        prev_start, prev_end = start - m.end(1), start - m.start(1)
        m2 = _PREV_WORD_REVERSED.match(window, m.end())
        if m2:
            prev2 = fold(m2.group(1)[::-1])
    m3 = _NEXT_WORD.match(text, end)
    if m3:
        nxt_raw = m3.group(1)
        nxt = fold(nxt_raw)
    return prev, prev2, nxt, nxt_raw, prev_start, prev_end


_REGION_AFTER = {"state", "province", "region", "department", "governorate", "county", "prefecture", "oblast"}
_REGION_BEFORE = {"estado", "provincia", "departamento", "region", "state", "province", "gobernacion", "comarca"}
_APPOSE = (",", "(", "-", "–")
_SENTENCE_END = '.!?¿¡:;\n"“«(—–-•*'

_FUNCTION_WORDS = _CONNECTORS | _LANGUAGE_BEFORE | _AND | {
    "a", "al", "desde", "hacia", "hasta", "por", "para", "entre", "con", "sin", "sobre", "tras", "según", "segun",
    "to", "from", "at", "via", "through", "near", "into", "across", "for", "by", "with", "between", "toward",
    "towards", "on", "en", "estado", "provincia", "departamento", "state", "province", "region", "región",
    "ciudad", "city", "municipio", "distrito", "district", "county", "condado", "town", "pueblo", "villa",
}  # fmt: skip


def _capitalised_word_before(text: str, start: int, prev: str, prev_start: int, prev_end: int, index: _Index) -> bool:
    """Is the word right before `start` (only spaces between) a capitalised word that is not a
    place, not a function word and not the first word of a sentence?"""
    if prev_start < 0 or prev in _FUNCTION_WORDS or prev in index.starters:
        return False
    word = text[prev_start:prev_end]
    if not word[:1].isupper() or word.isupper():
        return False
    i = prev_start
    while i > 0 and text[i - 1] in " \u00a0":
        i -= 1
    return i > max(0, start - 40) and text[i - 1] not in '.!?¿¡:;\n"“«(—–-'


def _is_language(index: _Index, word: str) -> bool:
    return any(flags & gz.LANGUAGE for _idx, flags in index.names.get(word, ()))


def _local_filter(
    text: str,
    start: int,
    end: int,
    key: str,
    index: _Index,
    common_flag: int,
    prev: str,
    prev2: str,
    nxt: str,
    nxt_raw: str,
    prev_start: int,
    prev_end: int,
) -> _Candidate | None:
    """The span text[start:end] as a candidate, or None when the rules say it is not a place."""
    # streets, rivers, seas, businesses, newspapers: "calle Honduras", "río Grande", "Golfo de México"
    if prev in _BLOCK_PREV or nxt in _BLOCK_AFTER or (prev in _CONNECTORS and prev2 in _BLOCK_BEFORE):
        if not (prev == "st" and text[start - 2 : start - 1] == "."):
            return None
    region = index.regions.get(key)
    if region is not None:
        return _Candidate(start, end, [], region=region)
    if text[end : end + 1] == "$":
        return None  # "US$ 30" is a currency
    plain = index.plain_countries.get(key)
    if plain is not None:
        return _Candidate(start, end, plain)  # a country's name that no rule concerns
    gaz = index.gaz
    span = text[start:end]
    # "Defensoría del Pueblo", "Plaza de la Victoria": a common word inside an institution's name
    common_in_name = prev in _BLOCK_COMMON_BEFORE or (prev in _CONNECTORS and prev2 in _BLOCK_COMMON_BEFORE)

    capitalised = span[:1].isupper()
    entries = index.names[key]
    if key in index.country_keys:
        # a country's name or demonym: only the checks that can concern a country
        kept_countries: list[tuple[int, int, bool]] = []
        for idx, flags in entries:
            if flags & gz.ABBREV and not span.isupper() and any(ch.islower() for ch in span):
                continue
            if flags & gz.LANGUAGE and (prev in _LANGUAGE_BEFORE or (prev in _AND and _is_language(index, prev2))):
                continue
            if flags & common_flag and (
                not capitalised or (not flags & gz.DEMONYM and (prev in _TITLES or nxt in _SPEECH_AFTER))
            ):
                continue
            kept_countries.append((idx, flags, False))
        return _Candidate(start, end, kept_countries) if kept_countries else None

    person_like = (
        prev in _TITLES
        or nxt in _SPEECH_AFTER
        or (
            bool(nxt_raw)
            and nxt_raw[:1].isupper()
            and not nxt_raw.isupper()
            and text[end : end + 1] == " "
            and nxt not in index.starters
            and nxt not in _CONNECTORS
        )
        or bool(_AGE_AFTER.match(text, end))
    )
    # "Sua Martínez", "María Victoria": a capitalised word that is neither a place nor a function
    # word right before a one-word name makes it a person's name
    # (read only when the name is not a person's already)
    prev_name = (
        not person_like
        and bool(prev)
        and " " not in key
        and _capitalised_word_before(text, start, prev, prev_start, prev_end, index)
    )
    lang_en = common_flag == gz.COMMON_EN
    # "Edo State", "estado de Aragua", "provincia de Darién": a region by its own word
    region_word = nxt in _REGION_AFTER or prev in _REGION_BEFORE or (prev in _CONNECTORS and prev2 in _REGION_BEFORE)
    kept: list[tuple[int, int, bool]] = []
    info = index.entry_info.get(key)
    if info is None:
        places = gaz.places
        info = index.entry_info.setdefault(
            key,
            [
                (
                    idx,
                    flags,
                    places[idx].kind,
                    places[idx].population,
                    places[idx].country in gaz.spanish_speaking,
                )
                for idx, flags in entries
            ],
        )
    for idx, flags, kind, population, spanish in info:
        if flags & gz.ABBREV and any(ch.islower() for ch in span):
            continue
        if flags & gz.LANGUAGE and (prev in _LANGUAGE_BEFORE or (prev in _AND and _is_language(index, prev2))):
            continue
        if kind == "country":
            if flags & common_flag and not capitalised:
                continue
            if person_like and flags & common_flag and not flags & gz.DEMONYM:
                continue
            kept.append((idx, flags, False))
            continue
        # regions and cities
        if person_like or (prev_name and population < _BIG_CITY):
            continue
        needs_support = False
        if flags & gz.TOWN:
            if not capitalised or prev_name:
                continue
            needs_support = True
        elif flags & (common_flag | gz.ALTERNATE):
            last_capitalised = _capitalised(TOKEN_RE.findall(span)[-1]) if " " in key else capitalised
            if not last_capitalised or (flags & common_flag and common_in_name):
                continue
            # a common word capitalised inside a sentence is a name ("en Málaga"); at the start
            # of one ("Mesa de trabajo…") it needs its country named elsewhere
            # (in Spanish; English capitalises more than names: "Western", "Police")
            # — and only for a city of a Spanish-speaking country ("Pueblo", Colorado, and the
            # "Norte" of Guinea-Bissau are coincidences in a Spanish text)
            needs_support = bool(flags & common_flag) and (
                _sentence_start(text, start) or span.isupper() or lang_en or kind != "city" or not spanish
            )
        elif not capitalised and population < 100_000 and kind == "city":
            continue
        if len(key) <= 3 and not span.isupper() and not (kind == "region" and region_word):
            continue
        if region_word and kind == "region":
            needs_support = False
        kept.append((idx, flags, needs_support))
    if not kept:
        return None
    return _Candidate(start, end, kept)


def _sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 4) : start].rstrip(" \u00a0")
    return not before or before[-1] in _SENTENCE_END


_KIND_RANK = {"country": 0, "region": 2, "city": 3}


def _best(gaz: gz.Gazetteer, pool: list[gz.Place], lang: str) -> gz.Place:
    def rank(p: gz.Place) -> tuple:
        kind = _KIND_RANK.get(p.kind, 4)
        if p.kind == "city" and p.population >= 500_000:
            kind = 1
        spanish = 0 if lang != "es" or p.country in gaz.spanish_speaking else 1
        return (spanish, kind, -p.population)

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
    in_context: Callable[[str], bool],
    apposed: set[str],
    org: str,
    lang: str,
) -> gz.Place | None:
    if len(cand.entries) == 1:
        only = gaz.places[cand.entries[0][0]]
        if only.kind == "country":
            return only
    entries = [(gaz.places[idx], needs, bool(flags & gz.ALTERNATE)) for idx, flags, needs in cand.entries]
    nations = [p for p, _n, _a in entries if p.kind == "country"]
    sub = [(p, needs, alt) for p, needs, alt in entries if p.kind != "country"]

    def own_names_first(pool: list[tuple[gz.Place, bool, bool]]) -> list[gz.Place]:
        # a place's own name beats another place's alternate name ("Cancún" is not Changchun)
        own = [p for p, _n, alt in pool if not alt]
        return own or [p for p, _n, _a in pool]

    if any(p.country in apposed for p in nations):
        return nations[0]  # "Cancún, México": the country
    beside = [e for e in sub if e[0].country in apposed]
    if beside:
        return _best(gaz, own_names_first(beside), lang)
    supported = [e for e in sub if in_context(e[0].country)]
    if not supported and org:
        supported = [e for e in sub if e[0].country == org]
    if nations:
        nation = nations[0]
        # "Granada" in a text about Nicaragua, "Georgia" near Atlanta: a place of another country
        # named elsewhere in the text wins over a smaller country not otherwise named
        rivals = [e for e in supported if e[0].country != nation.country and 3 * e[0].population >= nation.population]
        if rivals and not in_context(nation.country):
            return _best(gaz, own_names_first(rivals), lang)
        return nation
    if supported:
        return _best(gaz, own_names_first(supported), lang)
    free = own_names_first([e for e in sub if not e[1]])
    if not free:
        return None
    best = _best(gaz, free, lang)
    spread = len({p.country for p in free})
    # an ambiguous name, nothing in the text to settle it: the language's, then the largest, bearer
    # — only when it is a big city; a name borne in many countries needs a bigger one
    if spread > 2 and best.population < _BIG_CITY:
        return None
    if spread == 2 and best.population < _AMBIGUOUS_MIN_POP:
        return None
    if best.kind == "city" and best.population < _MIN_UNSUPPORTED_POP:
        return None
    return best
