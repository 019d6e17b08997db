"""Case panels for the home page: overdue tasks and notices of emergency accesses."""

from __future__ import annotations

from typing import Any

from django import template

from amparo.cases import services

register = template.Library()


@register.inclusion_tag("cases/_dashboard.html")
def case_dashboard(user: Any) -> dict[str, Any]:
    """The user's overdue services and the emergency accesses of the last 30 days to their
    cases; both empty for users who cannot read cases."""
    if not getattr(user, "is_authenticated", False):
        return {"accesses": [], "overdue": []}
    return {
        "accesses": list(services.emergency_notices(user=user)[:10]),
        "overdue": list(services.overdue_services(user=user)[:20]),
    }
