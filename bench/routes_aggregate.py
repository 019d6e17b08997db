"""Route aggregates at scale (decision 0043): 1,000,000 legs and 1,000,000 points on PostgreSQL.

    .venv/bin/python bench/routes_aggregate.py [--legs 1000000] [--url postgres://postgres@127.0.0.1:5432/amparo_bench_routes]

Creates the database (dropping one of that name first), migrates the routes app, generates
legs and points by SQL (300,000 people across 100 organisations and 40 countries, 36 months,
exploitation types, genders and age groups; points on 6,000 res-6 hexagons), ANALYZEs, then
times, best of 3, what the map page asks the database for with every organisation covered:

  - target: country flows + res-4 hotspots + res-6 hotspots (with their res-4 parents), all
    suppressed (threshold, own-organisation part, complement) — must be < 2 s;
  - the whole `route_aggregates` at country and at city level (names and points included);
  - a filtered query (a quarter and a gender: 5 relaxations counted for differencing).

Drops the database at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTRIES = (
    "HND GTM SLV NIC MEX USA CAN COL VEN ECU PER BOL BRA ARG CHL PRY URY PAN CRI DOM "
    "HTI CUB ESP ITA FRA DEU GBR NLD PHL THA VNM MMR KHM CHN IND NPL BGD NGA GHA ZAF"
).split()


def best_of(fn, n: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def admin(url: str, sql: str) -> None:
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/amparo_bench_routes")
    args = parser.parse_args()
    name = urlparse(args.url).path.lstrip("/")
    admin(args.url, f'DROP DATABASE IF EXISTS "{name}"')
    admin(args.url, f'CREATE DATABASE "{name}"')
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        admin(args.url, f'DROP DATABASE IF EXISTS "{name}"')


def run(args: argparse.Namespace) -> None:
    import tempfile

    os.environ["DATABASE_URL"] = args.url
    os.environ["AMPARO_VAR_DIR"] = tempfile.mkdtemp(prefix="amparo-bench-routes-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    import h3
    from django.core.management import call_command
    from django.db import connection, transaction

    from amparo.routes.aggregates import Query, flow_cells, hotspot_cells, route_aggregates
    from amparo.routes.legs import build_cells
    from amparo.routes.suppression import threshold

    call_command("migrate", "routes", verbosity=0)
    rng = random.Random(43)
    cells = []
    for _ in range(6000):
        fine = h3.latlng_to_cell(rng.uniform(-35, 50), rng.uniform(-120, 120), 6)
        cells.append((fine, h3.cell_to_parent(fine, 4)))
    legs, people, orgs = args.legs, 300_000, 100
    t0 = time.perf_counter()
    countries = "(ARRAY[" + ",".join(f"'{c}'" for c in COUNTRIES) + "])"
    common = f"""
        (('x' || substr(md5(((g % {people}))::text), 1, 16))::bit(64)::bigint),
        (ARRAY['case','case','case','report','signal'])[1 + (g % 5)],
        1 + ((g % {people}) % {orgs}),
        make_date((2024 + (g % 3))::int, (1 + ((g / 7) % 12))::int, 1),
        2024 + (g % 3),
        1 + (((g / 7) % 12) / 3),
        (ARRAY['forced_labour','sexual_exploitation','servitude','forced_begging'])[1 + ((g % {people}) % 4)],
        (ARRAY['feminine','masculine','not_specified'])[1 + ((g % {people}) % 3)],
        (ARRAY['9-17','18-20','21-23','27-29','30-38'])[1 + ((g % {people}) % 5)]
    """
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bench_cells (i int, h3_6 text, h3_4 text)")
        cur.executemany("INSERT INTO bench_cells VALUES (%s, %s, %s)", [(i, f, p) for i, (f, p) in enumerate(cells)])
        cur.execute(  # constants and integers of this script only
            f"""
            INSERT INTO routes_routeleg (subject, subject_kind, organisation_id, month, year, quarter,
                exploitation_type, sex, age_band, from_stage, to_stage, from_country, to_country,
                from_region, to_region, from_city, to_city)
            SELECT {common}, 'recruitment', 'exploitation',
                {countries}[1 + (g % 7)], {countries}[1 + ((g * 13) % 40)], '', '', '', ''
            FROM generate_series(1::bigint, {legs}) AS g
            """  # noqa: S608
        )
        cur.execute(  # constants and integers of this script only
            f"""
            INSERT INTO routes_routepoint (subject, subject_kind, organisation_id, month, year, quarter,
                exploitation_type, sex, age_band, stage, country, region, city, h3_4, h3_6)
            SELECT {common}, (ARRAY['recruitment','transit','exploitation'])[1 + (g % 3)],
                {countries}[1 + (g % 40)], '', '', c.h3_4, c.h3_6
            FROM generate_series(1::bigint, {legs}) AS g JOIN bench_cells c ON c.i = (g * 7919) % {len(cells)}
            """  # noqa: S608
        )
        cur.execute("ANALYZE routes_routeleg")
        cur.execute("ANALYZE routes_routepoint")
    print(f"generated {legs:,} legs and {legs:,} points in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    with transaction.atomic():
        written = build_cells()
    with connection.cursor() as cur:
        cur.execute("ANALYZE routes_routecell")
    print(
        f"rebuild's cell table (build_cells, the nightly step after the legs): {written:,} cells in {time.perf_counter() - t0:.1f} s"
    )
    covered, own, k = set(range(1, orgs + 1)), 1, threshold()

    def target() -> None:
        flow_cells(Query(), covered, own, k)
        hotspot_cells(Query(), covered, own, k)
        hotspot_cells(Query(level="city"), covered, own, k)

    figures = {
        "country flows + hotspots res 4 and 6, suppressed (target < 2 s)": best_of(target),
        "route_aggregates, country level (flows + res-4 hexagons, names, points)": best_of(
            lambda: route_aggregates(Query(), covered, own)
        ),
        "route_aggregates, city level (city flows + res-6 hexagons)": best_of(
            lambda: route_aggregates(Query(level="city"), covered, own)
        ),
        "route_aggregates, 2025-Q2 + feminine (5 relaxations counted)": best_of(
            lambda: route_aggregates(Query(period="2025-Q2", sex="feminine"), covered, own)
        ),
    }
    result = route_aggregates(Query(), covered, own)
    print(f"PostgreSQL {connection.pg_version}, threshold {k}, {orgs} organisations covered")  # type: ignore[attr-defined]
    print(f"shown: {len(result.flows)} country flows, {len(result.hotspots)} res-4 hotspots")
    for label, seconds in figures.items():
        print(f"{label}: {seconds * 1000:.0f} ms (best of 3)")


if __name__ == "__main__":
    main()
