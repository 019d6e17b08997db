"""Permission-matrix expectations for route aggregates (decision 0043; see tests/test_permission_matrix.py).

Every route is organisation-wide (it names no object): staff whose role holds the permission
see their own organisation's aggregates and those shared with it, suppressed; the marker scan
over shared data is in tests/test_routes_access.py."""

from __future__ import annotations

from amparo.core.permissions import Perm

EXPECTATIONS = {
    "routes:map": ("GET", Perm.ROUTES_VIEW, None),
    "routes:export_csv": ("GET", Perm.ROUTES_EXPORT, None),
    "routes:export_geojson": ("GET", Perm.ROUTES_EXPORT, None),
    "routes:export_kml": ("GET", Perm.ROUTES_EXPORT, None),
    "api:route_flows": ("GET", Perm.ROUTES_VIEW, None),
    "api:route_hotspots": ("GET", Perm.ROUTES_VIEW, None),
}

READ_ONLY: set[str] = set()
POST_BODIES: dict = {}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    return {}
