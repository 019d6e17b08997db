"""Permission-matrix expectations for the service directory (see tests/test_permission_matrix.py).

The directory is shared (decision 0018): `referrals:service_detail` names organisation A's
published service and opens to every organisation's staff (SHARED_OBJECT_ROUTES). The
matrix's entry is a provider not on Amparo, so the page names no organisation A marker.
"""

from __future__ import annotations

from amparo.core.permissions import Perm, Role
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import load_global_types

EXPECTATIONS = {
    "referrals:directory": ("GET", Perm.DIRECTORY_VIEW, None),
    "referrals:service_detail": ("GET", Perm.DIRECTORY_VIEW, "directory_service"),
    "referrals:our_services": ("GET", Perm.SERVICE_MANAGE, None),
    "referrals:service_create": ("GET", Perm.SERVICE_MANAGE, None),
    "referrals:service_update": ("GET", Perm.SERVICE_MANAGE, "directory_service"),
    "api:directory_service_list": ("GET", Perm.DIRECTORY_VIEW, None),
}

#: Routes naming an object that every organisation's staff with the permission may open.
SHARED_OBJECT_ROUTES = {"referrals:service_detail"}

READ_ONLY = {"referrals:service_detail"}


def _shelter_type(ctx) -> int:
    return ServiceType.objects.get(organisation=None, code="shelter").pk


POST_BODIES = {
    "referrals:service_update": lambda ctx: {
        "name": "Matrix Clinic renamed",
        "service_type": _shelter_type(ctx),
        "provider_name": "Matrix Clinic Provider",  # on_amparo unticked: still a provider not on Amparo
        "intake_contact": "+34 600 000 001",
        "is_published": "on",
    },
}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    load_global_types()
    service = Service.objects.create(
        organisation=org_a,
        name="Matrix Clinic",
        on_amparo=False,
        provider_name="Matrix Clinic Provider",
        service_type=ServiceType.objects.get(organisation=None, code="medical"),
        intake_contact="+34 600 000 000",
        created_by=staff_a[Role.ORG_ADMIN],
    )
    return {"directory_service": {"pk": service.pk}}
