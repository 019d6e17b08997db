"""Route legs and points from trafficking events and confirmed places (issue 11; decision 0043).

A subject's stops, ordered by stage (recruitment -> transit -> exploitation) then month, make
legs between consecutive stops at different places; the stops themselves are kept as points
for hotspots. Rows carry no source id: the subject is an HMAC under a key derived from the
key file, so one person is counted once per cell without a way back to the case, report or
signal. Month precision only. `rebuild` replaces both tables in one transaction.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import h3
from django.db import connection, models, transaction

from amparo.core.vault import derived_key
from amparo.routes import geo
from amparo.routes.models import RouteCell, RouteLeg, RoutePoint

STAGE_ORDER = {"recruitment": 0, "transit": 1, "exploitation": 2}
HEX_RESOLUTIONS = (4, 6)
BATCH = 5000


@dataclass(frozen=True)
class StopInput:
    subject_kind: str  # "case" | "report" | "signal"
    subject_id: str  # the source's primary key as text (never stored; legs keep a keyed hash)
    organisation_id: int
    stage: str  # recruitment | transit | exploitation
    country: str
    region_code: str
    city: str
    lat: float | None
    lon: float | None
    month: datetime.date | None
    exploitation_type: str = ""
    sex: str = ""
    age_band: str = ""


def subject_hash(kind: str, subject_id: str) -> int:
    """The keyed hash a leg stores instead of the source's id (never reversible without the key):
    the first 64 bits of an HMAC-SHA256, as a signed integer, so that the database counts
    distinct people by comparing integers (a collision among a million people: ~3 in 10^8)."""
    key = derived_key("route-subjects")
    digest = hmac.new(key, f"{kind}:{subject_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def stops_from_events() -> Iterator[StopInput]:
    """One stop per trafficking event and exploitation type of its case (a case with two types
    counts once under each type's filter and once without a filter: counts are distinct people)."""
    from amparo.cases.models import TraffickingEvent

    # scoping: a system rebuild of de-identified aggregates; no row leaves this module
    events = TraffickingEvent.objects.select_related("case").only(
        "id",
        "event_type",
        "month",
        "country",
        "region",
        "city",
        "latitude",
        "longitude",
        "case__id",
        "case__organisation_id",
        "case__exploitation_types",
        "case__gender",
        "case__age_band",
    )
    for event in events.iterator(chunk_size=2000):
        case = event.case
        types = [t for t in (case.exploitation_types or []) if isinstance(t, str)] or [""]
        found_city = geo.city(event.country, event.city or "")
        lat = float(event.latitude) if event.latitude is not None else None
        lon = float(event.longitude) if event.longitude is not None else None
        for exploitation_type in types:
            yield StopInput(
                subject_kind="case",
                subject_id=str(case.pk),
                organisation_id=case.organisation_id,
                stage=event.event_type,
                country=event.country,
                region_code=geo.region_code(event.country, event.region or ""),
                city=found_city[0] if found_city else "",
                lat=lat,
                lon=lon,
                month=event.month,
                exploitation_type=exploitation_type,
                sex=case.gender or "",
                age_band=case.age_band or "",
            )


def _period(month: datetime.date | None) -> dict[str, object]:
    if month is None:
        return {"month": None, "year": None, "quarter": None}
    month = month.replace(day=1)
    return {"month": month, "year": month.year, "quarter": (month.month - 1) // 3 + 1}


def _point_of(stop: StopInput) -> tuple[float, float] | None:
    if stop.lat is not None and stop.lon is not None:
        return (stop.lat, stop.lon)
    if stop.city:
        found = geo.city(stop.country, stop.city)
        if found:
            return (found[1], found[2])
    if stop.region_code:
        return geo.region_point(stop.region_code)
    return None


def _cells(stop: StopInput) -> tuple[str, str]:
    point = _point_of(stop)
    if point is None:
        return ("", "")
    fine = h3.latlng_to_cell(point[0], point[1], 6)
    return (h3.cell_to_parent(fine, 4), fine)  # the res-4 cell is the res-6 cell's parent, exactly


def _place(stop: StopInput) -> tuple[str, str, str]:
    return (stop.country, stop.region_code, stop.city)


def build(stops: Iterable[StopInput]) -> tuple[list[RouteLeg], list[RoutePoint]]:
    """The rows for `stops` (pure apart from the key): legs between a subject's consecutive
    stops at different places, and one point per stop."""
    by_subject: dict[tuple[str, str, str], list[StopInput]] = defaultdict(list)
    for stop in stops:
        if stop.stage not in STAGE_ORDER or not stop.country:
            continue
        # Only a city the gazetteer knows, under its canonical name, becomes a key: whatever a
        # person typed (a shelter's name, a farm) never reaches an aggregate, and "san pedro sula"
        # typed by hand and "San Pedro Sula" from an event are one place (decision 0043).
        found = geo.city(stop.country, stop.city) if stop.city else None
        city = found[0] if found else ""
        region = stop.region_code if geo.region_name(stop.region_code) != stop.region_code else ""
        if city != stop.city or region != stop.region_code:
            stop = replace(stop, city=city, region_code=region)
        by_subject[(stop.subject_kind, stop.subject_id, stop.exploitation_type)].append(stop)
    legs: list[RouteLeg] = []
    points: list[RoutePoint] = []
    for (kind, subject_id, _type), subject_stops in by_subject.items():
        subject = subject_hash(kind, subject_id)
        subject_stops.sort(key=lambda s: (STAGE_ORDER[s.stage], s.month or datetime.date.max))
        for stop in subject_stops:
            h3_4, h3_6 = _cells(stop)
            points.append(
                RoutePoint(
                    subject=subject,
                    subject_kind=kind,
                    organisation_id=stop.organisation_id,
                    exploitation_type=stop.exploitation_type,
                    sex=stop.sex,
                    age_band=stop.age_band,
                    stage=stop.stage,
                    country=stop.country,
                    region=stop.region_code,
                    city=stop.city,
                    h3_4=h3_4,
                    h3_6=h3_6,
                    **_period(stop.month),  # type: ignore[arg-type]
                )
            )
        for a, b in zip(subject_stops, subject_stops[1:], strict=False):
            if _place(a) == _place(b):
                continue
            legs.append(
                RouteLeg(
                    subject=subject,
                    subject_kind=kind,
                    organisation_id=b.organisation_id,
                    exploitation_type=b.exploitation_type,
                    sex=b.sex,
                    age_band=b.age_band,
                    from_stage=a.stage,
                    to_stage=b.stage,
                    from_country=a.country,
                    to_country=b.country,
                    from_region=a.region_code,
                    to_region=b.region_code,
                    from_city=a.city,
                    to_city=b.city,
                    **_period(b.month or a.month),  # type: ignore[arg-type]
                )
            )
    return legs, points


def rebuild(stops: Iterable[StopInput]) -> int:
    """Replace the leg and point tables with those built from `stops`; returns legs written.
    Idempotent: the same stops give the same rows (the hash is deterministic)."""
    legs, points = build(stops)
    with transaction.atomic():
        RouteLeg.objects.all().delete()
        RoutePoint.objects.all().delete()
        RouteLeg.objects.bulk_create(legs, batch_size=BATCH)
        RoutePoint.objects.bulk_create(points, batch_size=BATCH)
        build_cells()
    return len(legs)


#: layer -> (model, key columns, the rows it counts)
LAYERS: dict[str, tuple[type[models.Model], tuple[str, ...], str]] = {
    "flow_country": (RouteLeg, ("from_country", "to_country"), "1=1"),
    "flow_region": (RouteLeg, ("from_country", "from_region", "to_country", "to_region"), "1=1"),
    "flow_city": (RouteLeg, ("from_country", "from_region", "from_city", "to_country", "to_region", "to_city"), "1=1"),
    "hex4": (RoutePoint, ("stage", "h3_4"), "h3_4 <> ''"),
    "hex6": (RoutePoint, ("stage", "h3_4", "h3_6"), "h3_6 <> ''"),
}
_PERIODS = (
    ("''", (), "1=1"),
    ("CAST(year AS TEXT)", ("year",), "year IS NOT NULL"),
    ("CAST(year AS TEXT) || '-Q' || CAST(quarter AS TEXT)", ("year", "quarter"), "year IS NOT NULL"),
)


def build_cells() -> int:
    """Replace the cell table: for every layer, every period level (all, year, quarter) and
    every subset of the filters (type, gender, age group) kept or relaxed, the distinct people
    per cell and organisation. Plain SQL that SQLite and PostgreSQL both run."""
    RouteCell.objects.all().delete()
    table = RouteCell._meta.db_table
    with connection.cursor() as cursor:
        for layer, (model, keys, where) in LAYERS.items():
            key = " || '|' || ".join(keys)
            for period, period_cols, period_where in _PERIODS:
                for kept in itertools.product((False, True), repeat=3):
                    dims = [col if keep else "''" for col, keep in zip(_DIMS, kept, strict=True)]
                    group = ["organisation_id", "subject_kind", *keys, *period_cols]
                    group += [col for col, keep in zip(_DIMS, kept, strict=True) if keep]
                    # A value kept is a real value: rows of unknown type, gender or age count
                    # only under "all" (else they would be a second "all" row).
                    known = "".join(f" AND {col} <> ''" for col, keep in zip(_DIMS, kept, strict=True) if keep)
                    cursor.execute(
                        f"INSERT INTO {table} (layer, key, organisation_id, subject_kind, period, "  # noqa: S608
                        "exploitation_type, sex, age_band, n) "
                        f"SELECT '{layer}', {key}, organisation_id, subject_kind, {period}, {', '.join(dims)}, "
                        f"COUNT(DISTINCT subject) FROM {model._meta.db_table} "
                        f"WHERE {where} AND {period_where}{known} GROUP BY {', '.join(group)}"
                    )
    return RouteCell.objects.count()


_DIMS = ("exploitation_type", "sex", "age_band")


def all_stops() -> Iterator[StopInput]:
    """Every source of stops: cases' trafficking events, and the places staff confirmed in
    reports, signals and case files (`amparo.places.services.route_stops`, decision 0041)."""
    from amparo.places.services import route_stops

    yield from stops_from_events()
    yield from route_stops()


def rebuild_all() -> int:
    return rebuild(all_stops())
