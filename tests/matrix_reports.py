"""Permission-matrix expectations for the reporting app (see tests/matrix_cases.py).

The reporter's pages and API are public; staff pages need the report permissions.
"""

from __future__ import annotations

from amparo.core.permissions import Perm, Role
from amparo.reports.models import Attachment, RoutingRule, Signal
from amparo.reports.services import today

PUBLIC = "public"

EXPECTATIONS = {
    "report:public_home": ("GET", PUBLIC, None),
    "report:report_create": ("GET", PUBLIC, None),
    "report:report_followup": ("GET", PUBLIC, None),
    "report:receipt_claim": ("POST", PUBLIC, None),
    "report:asset": ("GET", PUBLIC, "public_asset"),
    "api:report_challenge": ("POST", PUBLIC, None),
    "api:report_recipients": ("POST", PUBLIC, None),
    "api:report_submit": ("POST", PUBLIC, None),
    "api:report_followup": ("POST", PUBLIC, None),
    "api:report_followup_reply": ("POST", PUBLIC, None),
    "api:report_receipt_change": ("POST", PUBLIC, None),
    "reports:signal_list": ("GET", Perm.REPORT_VIEW, None),
    "reports:signal_detail": ("GET", Perm.REPORT_VIEW, "signal"),
    "reports:attachment_download": ("GET", Perm.REPORT_VIEW, "attachment"),
    "reports:hotline_create": ("GET", Perm.REPORT_INTAKE, None),
    "reports:routing_rule_list": ("GET", Perm.REPORT_ROUTING, None),
    "reports:routing_rule_delete": ("POST", Perm.REPORT_ROUTING, "routing_rule"),
}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    signal = Signal.objects.create(
        organisation=org_a, channel="web", country="MEX", arrived_on=today(), sealed=b"not really sealed"
    )
    attachment = Attachment.objects.create(signal=signal, sealed_name=b"x", sealed_content=b"y")
    rule = RoutingRule.objects.create(organisation=org_a, country="MEX")
    assert staff_a[Role.ORG_ADMIN]
    return {
        "signal": {"reference": signal.reference},
        "attachment": {"reference": signal.reference, "pk": attachment.pk},
        "routing_rule": {"pk": rule.pk},
        "public_asset": {"name": "amparo/amparo.css"},
    }


READ_ONLY = {"reports:attachment_download"}

#: The permission a POST needs when it is not the one that opens the page.
POST_PERMISSIONS = {"reports:signal_detail": Perm.REPORT_TRIAGE}

POST_BODIES = {
    "reports:signal_detail": lambda ctx: {"action": "spam"},
    "reports:routing_rule_delete": lambda ctx: {"confirm": "yes"},
}
