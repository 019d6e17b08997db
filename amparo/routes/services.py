"""What pages, API and exports ask for: a viewer's suppressed aggregates and their payload."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

import amparo
from amparo.routes.aggregates import Aggregates, Query, route_aggregates

__all__ = ["Query", "aggregates_for", "filters_of", "hidden_note", "metadata", "payload"]
from amparo.routes.scope import covered_organisations


def aggregates_for(user: Any, query: Query) -> Aggregates:
    """The viewer's aggregates: its own organisation and those sharing route aggregates with it."""
    return route_aggregates(query, covered_organisations(user), int(user.organisation_id), language=get_language())


def filters_of(query: Query) -> dict[str, str]:
    return {
        "period": query.period,
        "exploitation_type": query.exploitation_type,
        "sex": query.sex,
        "age_band": query.age_band,
        "level": query.level,
        "measure": query.measure,
    }


def metadata(result: Aggregates) -> dict[str, Any]:
    """What every export carries: threshold, period, filters, when, version and provenance
    (how many organisations the figures cover, never which)."""
    return {
        "threshold": result.threshold,
        "period": result.query.period or "all",
        "filters": filters_of(result.query),
        "generated_at": timezone.now().replace(microsecond=0).isoformat(),
        "amparo_version": amparo.__version__,
        "organisations_covered": result.organisations,
        "counts": "distinct people; cells counting fewer than the threshold are absent",
    }


def hidden_note(result: Aggregates) -> str:
    # Said on every page, whether or not anything was hidden: "some are hidden" on a narrow
    # filter would itself tell that at least one such person exists (decision 0043).
    return _("Flows and areas that count fewer than %(n)s people are never shown.") % {"n": result.threshold}


def payload(result: Aggregates) -> dict[str, Any]:
    """The map's data (the interface MAP's JavaScript draws): shown cells only."""
    return {
        "threshold": result.threshold,
        "filters": filters_of(result.query),
        "flows": [
            {
                "from": flow.from_country
                if result.query.level == "country"
                else "/".join(flow.key[: len(flow.key) // 2]),
                "to": flow.to_country if result.query.level == "country" else "/".join(flow.key[len(flow.key) // 2 :]),
                "from_name": flow.from_name,
                "to_name": flow.to_name,
                "from_lat": flow.from_point[0] if flow.from_point else None,
                "from_lon": flow.from_point[1] if flow.from_point else None,
                "to_lat": flow.to_point[0] if flow.to_point else None,
                "to_lon": flow.to_point[1] if flow.to_point else None,
                "count": flow.count,
            }
            for flow in result.flows
        ],
        "hotspots": [
            {"cell": h.cell, "res": h.res, "stage": h.stage, "count": h.count, "boundary": h.boundary}
            for h in result.hotspots
        ],
        "labels": {
            "flows": _("Flows"),
            "hotspots": _("Hotspots"),
            "count": _("People"),
            "legend_title": _("People counted"),
            "hidden_note": hidden_note(result),
            "stages": {
                "recruitment": _("Recruitment"),
                "transit": _("Transit"),
                "exploitation": _("Exploitation"),
            },
        },
    }
