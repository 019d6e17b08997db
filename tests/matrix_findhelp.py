"""Permission-matrix expectations for find help (see tests/test_permission_matrix.py).

The find-help search and the published awareness pages are public (/help/); the pages that
write awareness texts need `Perm.AWARENESS_EDIT` in the page's own organisation. A published
page names its organisation, so organisation A's name may appear on the public pages.
"""

from __future__ import annotations

from amparo.core.permissions import Perm
from amparo.findhelp.models import AwarenessPage, PageStatus, Topic

PUBLIC = "public"

EXPECTATIONS = {
    "help:help_search": ("GET", PUBLIC, None),
    "help:awareness_list": ("GET", PUBLIC, None),
    "help:awareness_detail": ("GET", PUBLIC, "awareness_page"),
    "findhelp:awareness_manage": ("GET", Perm.AWARENESS_EDIT, None),
    "findhelp:awareness_create": ("GET", Perm.AWARENESS_EDIT, None),
    "findhelp:awareness_edit": ("GET", Perm.AWARENESS_EDIT, "awareness_page"),
}

#: Public pages that name the organisation that published a page.
ORGANISATION_NAMES_LISTED = {"help:awareness_list", "help:awareness_detail"}

READ_ONLY: set[str] = set()

POST_BODIES = {
    "findhelp:awareness_edit": lambda ctx: {
        "topic": Topic.SIGNS,
        "language": "es",
        "title": "Señales (cambiado)",
        "body": "Texto cambiado.",
        "status": PageStatus.PUBLISHED,
    },
}


def make_objects(*, staff_a, org_a, staff_b, org_b) -> dict[str, dict]:
    page = AwarenessPage.objects.create(
        organisation=org_a,
        topic=Topic.SIGNS,
        language="es",
        title="Señales de la matriz",
        body="Texto de la matriz.",
        status=PageStatus.PUBLISHED,
    )
    return {"awareness_page": {"pk": page.pk}}
