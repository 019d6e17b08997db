"""htmx (50 KB uncompressed, about 17 KB gzip) is loaded only by pages that use it.

No page used it while base.html loaded it on every page. A page whose markup has hx-
attributes includes `_htmx.html` in its head block; no other page loads it.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client
from django.urls import reverse

from amparo.core.permissions import Role
from tests.conftest import verified_client

TEMPLATES = Path(__file__).resolve().parent.parent / "amparo" / "templates"
HX_ATTRIBUTE = re.compile(r"\shx-[a-z-]+=")


def _template_texts() -> dict[str, str]:
    return {str(path.relative_to(TEMPLATES)): path.read_text() for path in TEMPLATES.rglob("*.html")}


def test_htmx_is_loaded_only_by_templates_that_use_it():
    for name, text in _template_texts().items():
        if name == "_htmx.html":
            continue
        loads = "htmx-2" in text or '"_htmx.html"' in text
        uses = bool(HX_ATTRIBUTE.search(text))
        assert not loads or uses, f"{name} loads htmx but uses no hx- attribute"
        assert loads or not uses, f"{name} uses hx- attributes without including _htmx.html"
    assert "htmx" not in (TEMPLATES / "base.html").read_text()


def test_pages_without_htmx_do_not_download_it(staff_a):
    pages = {
        "sign in": Client().get(reverse("accounts:login")),
        "public report form": Client().get(reverse("report:report_create")),
        "case worker home": verified_client(staff_a[Role.CASE_WORKER]).get(reverse("core:home")),
        "case list": verified_client(staff_a[Role.CASE_WORKER]).get(reverse("cases:case_list")),
        "signals inbox": verified_client(staff_a[Role.CASE_WORKER]).get(reverse("reports:signal_list")),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert b"htmx" not in response.content, name
