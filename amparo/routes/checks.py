"""System check: the route threshold may be raised, never lowered below 5 (decision 0043)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

MINIMUM_THRESHOLD = 5


@checks.register()
def route_threshold(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    value = getattr(settings, "AMPARO_ROUTE_THRESHOLD", MINIMUM_THRESHOLD)
    if not isinstance(value, int) or isinstance(value, bool) or value < MINIMUM_THRESHOLD:
        return [
            checks.Error(
                f"AMPARO_ROUTE_THRESHOLD must be a whole number of at least {MINIMUM_THRESHOLD} (got {value!r}).",
                hint="Route aggregates hide every cell counting fewer people than this (decision 0043).",
                id="amparo.routes.E001",
            )
        ]
    return []
