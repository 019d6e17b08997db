"""Route aggregates: flows between places and H3 hotspots, in distinct people, suppressed
(issue 11; decision 0043). Computed by the database (GROUP BY on precomputed columns);
suppression in `amparo.routes.suppression`; who is covered in `amparo.routes.scope`.

Only shown cells leave this module: pages, the API and exports all call `route_aggregates`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Any

import h3
from django.db.models import Q, Sum

from amparo.core.countries import country_name
from amparo.routes import geo, suppression
from amparo.routes.models import RouteCell

PERIOD = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$")
LEVELS = ("country", "region", "city")
MEASURES = ("case", "report", "signal")
FLOW_KEYS = {
    "country": ("from_country", "to_country"),
    "region": ("from_country", "from_region", "to_country", "to_region"),
    "city": ("from_country", "from_region", "from_city", "to_country", "to_region", "to_city"),
}


@dataclass(frozen=True)
class Query:
    """One question a viewer can ask: fixed choices only (a year or a quarter, never dates)."""

    period: str = ""  # "" (all time), "2026" or "2026-Q2"
    exploitation_type: str = ""
    sex: str = ""
    age_band: str = ""
    measure: str = "case"
    level: str = "country"

    def period_filter(self) -> dict[str, int]:
        match = PERIOD.match(self.period)
        if not match:
            return {}
        found = {"year": int(match["year"])}
        if match["quarter"]:
            found["quarter"] = int(match["quarter"])
        return found

    def relaxations(self) -> list[Query]:
        """Every other query whose cells contain this one's: any subset of filters relaxed."""
        periods = [self.period]
        match = PERIOD.match(self.period)
        if match:
            periods = [self.period, *([match["year"]] if match["quarter"] else []), ""]
        options = [
            periods,
            sorted({self.exploitation_type, ""}),
            sorted({self.sex, ""}),
            sorted({self.age_band, ""}),
        ]
        found = []
        for period, etype, sex, age in itertools.product(*options):
            other = replace(self, period=period, exploitation_type=etype, sex=sex, age_band=age)
            if other != self:
                found.append(other)
        return found

    def filters(self) -> dict[str, Any]:
        found: dict[str, Any] = {"subject_kind": self.measure, **self.period_filter()}
        for name in ("exploitation_type", "sex", "age_band"):
            if getattr(self, name):
                found[name] = getattr(self, name)
        return found


@dataclass
class Flow:
    key: tuple[str, ...]
    count: int
    from_country: str
    to_country: str
    from_region: str = ""
    to_region: str = ""
    from_city: str = ""
    to_city: str = ""
    from_name: str = ""
    to_name: str = ""
    from_point: tuple[float, float] | None = None
    to_point: tuple[float, float] | None = None


@dataclass
class Hotspot:
    cell: str
    res: int
    stage: str
    count: int
    boundary: list[list[float]] = field(default_factory=list)
    center: tuple[float, float] = (0.0, 0.0)


@dataclass
class Aggregates:
    query: Query
    threshold: int
    organisations: int  # how many organisations' data the figures cover (never their names)
    flows: list[Flow]
    hotspots: list[Hotspot]
    hidden_flows: bool
    hidden_hotspots: bool


DIMS = ("exploitation_type", "sex", "age_band")


def _periods(query: Query) -> list[str]:
    """The query's period and those containing it: a quarter, its year, all time."""
    match = PERIOD.match(query.period)
    if not match:
        return [""]
    return [query.period, *([match["year"]] if match["quarter"] else []), ""]


def _fetch(layer: str, query: Query, orgs: set[int], own: int, vary: str = "") -> dict[Query, suppression.Counts]:
    """People per cell of `layer`, in one GROUP BY, for every query of `query`'s lattice (each
    filter kept or relaxed); with `vary`, instead every real value of that dimension (for the
    period: the quarters of the year or the years) with the other filters kept or relaxed.
    A sum over the precomputed cells of the covered organisations (people never span
    organisations)."""
    rows = RouteCell.objects.covering(orgs).filter(layer=layer, subject_kind=query.measure)
    for name in DIMS:
        if name == vary:
            rows = rows.exclude(**{name: ""})
        else:
            rows = rows.filter(**{f"{name}__in": sorted({getattr(query, name), ""})})
    if vary == "period":
        match = PERIOD.match(query.period)
        if match and match["quarter"]:
            rows = rows.filter(period__startswith=f"{match['year']}-Q")
        else:
            rows = rows.filter(period__regex=r"^[0-9]{4}$")
    else:
        rows = rows.filter(period__in=_periods(query))
    grouped = (
        rows.values("key", "period", *DIMS)
        .annotate(total=Sum("n"), others=Sum("n", filter=~Q(organisation_id=own)))
        .order_by()
    )
    found: dict[Query, suppression.Counts] = {}
    for row in grouped:
        other = replace(query, period=row["period"], **{name: row[name] for name in DIMS})
        found.setdefault(other, {})[tuple(row["key"].split("|"))] = (row["total"] or 0, row["others"] or 0)
    return found


def _counts(layer: str, query: Query, orgs: set[int], own: int) -> suppression.Counts:
    """People per cell of `layer` under exactly `query`'s filters."""
    return _fetch(layer, query, orgs, own).get(query, {})


def _set_dimensions(query: Query) -> list[tuple[str, Query]]:
    """Each filter the query sets, with the query that relaxes it (the siblings' parent): a
    quarter within its year, a year within all time, a type, sex or age band within all."""
    found = [(name, replace(query, **{name: ""})) for name in DIMS if getattr(query, name)]
    match = PERIOD.match(query.period)
    if match:
        found.append(("period", replace(query, period=match["year"] if match["quarter"] else "")))
    return found


def _sibling(other: Query, query: Query, dim: str) -> bool:
    """Whether `other` is `query` with another real value of `dim` (or `query` itself)."""
    value = getattr(other, dim)
    if not value or replace(other, **{dim: getattr(query, dim)}) != query:
        return False
    return dim != "period" or len(value) == len(query.period)


def _level(
    layer: str, query: Query, orgs: set[int], own: int, k: int
) -> tuple[suppression.Counts, set[suppression.Key]]:
    """The query's cells and those shown: the primary test (threshold, own part, every
    relaxation) and, for each filter set, the complement over its siblings (all values of the
    dimension, whose group's remainder against the relaxed cell must give nothing away)."""
    counts = _fetch(layer, query, orgs, own)
    at = counts.get(query, {})
    if not at:
        return at, set()
    primary: dict[Query, set[suppression.Key]] = {}

    def primary_of(q: Query) -> set[suppression.Key]:
        if q not in primary:
            relaxed = [counts.get(other, {}) for other in q.relaxations()]
            primary[q] = suppression.primary_shown(counts.get(q, {}), relaxed, k)
        return primary[q]

    shown = primary_of(query)
    for dim, parent_query in _set_dimensions(query):
        counts.update(_fetch(layer, query, orgs, own, vary=dim))
        siblings = [q for q in counts if _sibling(q, query, dim)]
        parent = counts.get(parent_query, {})
        for key in list(shown):
            children = {getattr(q, dim): counts[q][key] for q in siblings if key in counts[q]}
            visible = {getattr(q, dim) for q in siblings if key in primary_of(q)}
            kept = suppression.siblings_shown(
                children, visible, parent.get(key, (0, 0)), k, overlapping=dim == "exploitation_type"
            )
            if getattr(query, dim) not in kept:
                shown.discard(key)
    return at, shown


def _listable_flow(level: str) -> Any:
    def listable(key: suppression.Key) -> bool:
        values = key
        if level == "region":
            return bool(values[1] and values[3])
        if level == "city":
            return bool(values[2] and values[5])
        return True

    return listable


def flow_cells(query: Query, orgs: set[int], own: int, k: int) -> tuple[suppression.Counts, set[suppression.Key]]:
    """Country flows; region flows checked against the shown country flows; city flows against
    the country flows and then against the shown region flows (themselves checked against the
    country), so no level's remainder against the level above is small."""
    countries, countries_shown = _level("flow_country", query, orgs, own, k)
    if query.level == "country":
        return countries, countries_shown

    def country_of(key: suppression.Key) -> suppression.Key:
        half = len(key) // 2
        return (key[0], key[half])

    regions, regions_shown = _level("flow_region", query, orgs, own, k)
    regions_shown = suppression.complement(
        regions, regions_shown, countries, countries_shown, country_of, _listable_flow("region"), k
    )
    if query.level == "region":
        return regions, regions_shown
    at, shown = _level("flow_city", query, orgs, own, k)
    shown = suppression.complement(at, shown, countries, countries_shown, country_of, _listable_flow("city"), k)

    def region_of(key: suppression.Key) -> suppression.Key:
        return (key[0], key[1], key[3], key[4])

    # A flow whose region is unknown on one side is never listed; its cities answer to the
    # country check above, and still to the remainder against the unlisted region flow.
    region_parents = regions_shown | {key for key in regions if not _listable_flow("region")(key)}
    shown = suppression.complement(at, shown, regions, region_parents, region_of, _listable_flow("city"), k)
    return at, shown


def hotspot_cells(
    query: Query, orgs: set[int], own: int, k: int
) -> tuple[int, suppression.Counts, set[suppression.Key]]:
    parents, parents_shown = _level("hex4", query, orgs, own, k)
    parents_shown = {key for key in parents_shown if key[1]}
    if query.level == "country":
        return 4, parents, parents_shown
    at, shown = _level("hex6", query, orgs, own, k)

    def parent_of(key: suppression.Key) -> suppression.Key:
        values = key
        return (values[0], values[1])

    def listable(key: suppression.Key) -> bool:
        return bool(key[2])

    return 6, at, suppression.complement(at, shown, parents, parents_shown, parent_of, listable, k)


def _flow(level: str, key: tuple[str, ...], count: int, language: str | None) -> Flow:
    if level == "country":
        fc, tc = key
        fr = tr = fci = tci = ""
    elif level == "region":
        fc, fr, tc, tr = key
        fci = tci = ""
    else:
        fc, fr, fci, tc, tr, tci = key

    def point(country: str, region: str, city: str) -> tuple[float, float] | None:
        if city:
            found = geo.city(country, city)
            if found:
                return (found[1], found[2])
        if region:
            return geo.region_point(region) or geo.country_point(country)
        return geo.country_point(country)

    return Flow(
        key=key,
        count=count,
        from_country=fc,
        to_country=tc,
        from_region=fr,
        to_region=tr,
        from_city=fci,
        to_city=tci,
        from_name=geo.place_name(fc, fr, fci, language),
        to_name=geo.place_name(tc, tr, tci, language),
        from_point=point(fc, fr, fci),
        to_point=point(tc, tr, tci),
    )


def route_aggregates(query: Query, orgs: set[int], own: int, *, language: str | None = None) -> Aggregates:
    """The shown flows and hotspots of `query` over the organisations `orgs` (the viewer's own
    is `own`), suppressed; largest first."""
    k = suppression.threshold()
    flow_counts, flows_shown = flow_cells(query, orgs, own, k)
    res, hot_counts, hot_shown = hotspot_cells(query, orgs, own, k)
    flows = [_flow(query.level, key, flow_counts[key][0], language) for key in flows_shown]
    flows.sort(key=lambda f: (-f.count, f.from_name, f.to_name))
    hotspots = []
    for key in hot_shown:
        values = key
        cell = values[-1]
        boundary = [[round(lat, 5), round(lon, 5)] for lat, lon in h3.cell_to_boundary(cell)]
        center = h3.cell_to_latlng(cell)
        hotspots.append(
            Hotspot(
                cell=cell,
                res=res,
                stage=values[0],
                count=hot_counts[key][0],
                boundary=boundary,
                center=(round(center[0], 4), round(center[1], 4)),
            )
        )
    hotspots.sort(key=lambda h: (-h.count, h.stage, h.cell))
    listable_flows = [key for key in flow_counts if _listable_flow(query.level)(key)]
    listable_hot = [key for key in hot_counts if key[-1]]
    return Aggregates(
        query=query,
        threshold=k,
        organisations=len(orgs),
        flows=flows,
        hotspots=hotspots,
        hidden_flows=len(flows) < len(listable_flows),
        hidden_hotspots=len(hotspots) < len(listable_hot),
    )


__all__ = ["Aggregates", "Flow", "Hotspot", "Query", "country_name", "route_aggregates"]
