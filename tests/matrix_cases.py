"""Permission-matrix expectations for the cases app (see tests/test_permission_matrix.py).

EXPECTATIONS: url name -> (method, rule, object kind or None); rule is "public", "staff",
"signed-in" or a Perm. make_objects returns URL kwargs for each object kind, created in
organisation A (the matrix checks that organisation B's staff are denied them).
"""

from __future__ import annotations

from amparo.cases.models import Case
from amparo.core.permissions import Perm, Role

EXPECTATIONS = {
    "cases:case_list": ("GET", Perm.CASE_VIEW, None),
    "cases:case_create": ("GET", Perm.CASE_EDIT, None),
    "cases:case_detail": ("GET", Perm.CASE_VIEW, "case"),
    "api:case_list": ("GET", Perm.CASE_VIEW, None),
    "api:case_detail": ("GET", Perm.CASE_VIEW, "case"),
}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    case = Case.objects.create(organisation=org_a, person_name="Matrix Person", created_by=staff_a[Role.CASE_WORKER])
    return {"case": {"reference": case.reference}}
