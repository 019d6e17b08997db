"""Navigation built from the permission map: a role sees only the sections it may open; the
release in the footer, for signed-in staff only (decision 0038)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from amparo.core.permissions import Perm, can

NAVIGATION = [
    ("core:home", _("Home"), None),
    ("cases:my_cases", _("My cases"), Perm.CASE_VIEW),
    ("cases:case_list", _("Cases"), Perm.CASE_VIEW),
    ("cases:closure_list", _("Closures to approve"), Perm.CASE_CLOSE_APPROVE),
    ("cases:transfer_list", _("Cases offered"), Perm.CASE_TRANSFER_DECIDE),
    ("cases:case_erase_start", _("Erase a case"), Perm.CASE_ERASE),
    ("cases:case_break_glass", _("Emergency access"), Perm.CASE_BREAK_GLASS),
    ("reports:signal_list", _("Signals"), Perm.REPORT_VIEW),
    ("reports:routing_rule_list", _("Report routing"), Perm.REPORT_ROUTING),
    ("referrals:directory", _("Service directory"), Perm.DIRECTORY_VIEW),
    ("referrals:our_services", _("Our services"), Perm.SERVICE_MANAGE),
    ("shelters:shelter_list", _("Shelters"), Perm.SHELTER_VIEW),
    ("findhelp:awareness_manage", _("Awareness pages"), Perm.AWARENESS_EDIT),
    ("referral:waiting", _("Referrals"), Perm.REFERRAL_VIEW),
    ("routes:map", _("Routes and hotspots"), Perm.ROUTES_VIEW),
    ("accounts:organisation_detail", _("Organisation"), Perm.ORG_VIEW),
    ("accounts:staff_list", _("Staff"), Perm.STAFF_VIEW),
    ("accounts:agreement_list", _("Data-sharing agreements"), Perm.AGREEMENT_VIEW),
    ("core:audit_list", _("Audit log"), Perm.AUDIT_VIEW),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"nav_items": []}
    import amparo

    return {
        "amparo_version": amparo.__version__,
        "nav_items": [
            {"url_name": url_name, "label": label}
            for url_name, label, perm in NAVIGATION
            if perm is None or can(user, perm)
        ],
    }
