"""Exports of the shown cells only: CSV, GeoJSON and KML, each with its metadata (decision 0043)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import simplekml

from amparo.referrals.figures_views import safe_cell
from amparo.routes.aggregates import Aggregates
from amparo.routes.services import metadata

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
}


def _line(flow: Any) -> list[list[float]] | None:
    if flow.from_point and flow.to_point:
        return [[flow.from_point[1], flow.from_point[0]], [flow.to_point[1], flow.to_point[0]]]
    return None


def to_csv(result: Aggregates) -> str:
    """Leading `#` comment lines carry the metadata; then one header and one row per cell."""
    out = io.StringIO()
    for key, value in metadata(result).items():
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
        out.write(f"# {key}: {text}\n")
    writer = csv.writer(out)
    writer.writerow(["kind", "from", "to", "area", "stage", "people"])
    for flow in result.flows:
        writer.writerow([safe_cell(c) for c in ("flow", flow.from_name, flow.to_name, "", "", str(flow.count))])
    for hot in result.hotspots:
        writer.writerow(
            [safe_cell(c) for c in ("hotspot", "", "", f"h3:{hot.res}:{hot.cell}", hot.stage, str(hot.count))]
        )
    return out.getvalue()


def to_geojson(result: Aggregates) -> str:
    features: list[dict[str, Any]] = []
    for flow in result.flows:
        line = _line(flow)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line} if line else None,
                "properties": {
                    "kind": "flow",
                    "from": flow.from_name,
                    "to": flow.to_name,
                    "from_code": "/".join(flow.key[: len(flow.key) // 2]),
                    "to_code": "/".join(flow.key[len(flow.key) // 2 :]),
                    "people": flow.count,
                },
            }
        )
    for hot in result.hotspots:
        ring = [[lon, lat] for lat, lon in hot.boundary]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "kind": "hotspot",
                    "h3": hot.cell,
                    "res": hot.res,
                    "stage": hot.stage,
                    "people": hot.count,
                },
            }
        )
    return json.dumps(
        {"type": "FeatureCollection", "metadata": metadata(result), "features": features}, ensure_ascii=False
    )


def to_kml(result: Aggregates) -> str:
    kml = simplekml.Kml(name="Amparo routes")
    meta = metadata(result)
    kml.document.description = json.dumps(meta, ensure_ascii=False)
    for key, value in meta.items():
        kml.document.extendeddata.newdata(
            name=key, value=json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
        )
    for flow in result.flows:
        line = _line(flow)
        if line is None:
            continue
        item = kml.newlinestring(
            name=f"{flow.from_name} → {flow.to_name}: {flow.count}", coords=[tuple(p) for p in line]
        )
        item.extendeddata.newdata(name="people", value=str(flow.count))
    for hot in result.hotspots:
        ring = [(lon, lat) for lat, lon in hot.boundary]
        ring.append(ring[0])
        poly = kml.newpolygon(name=f"{hot.stage}: {hot.count}", outerboundaryis=ring)
        poly.extendeddata.newdata(name="people", value=str(hot.count))
        poly.extendeddata.newdata(name="h3", value=hot.cell)
    return str(kml.kml())


def render(result: Aggregates, fmt: str) -> str:
    return {"csv": to_csv, "geojson": to_geojson, "kml": to_kml}[fmt](result)
