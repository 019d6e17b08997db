"""Permission-matrix expectations for the reporting app (see tests/matrix_cases.py)."""

from __future__ import annotations

EXPECTATIONS: dict[str, tuple[str, str, str | None]] = {}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    return {}
