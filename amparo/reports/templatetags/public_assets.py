"""`{% public_asset "amparo/amparo.css" %}`: the address of a static file for the public
pages, under /report/assets/ and never cached (amparo.reports.public_assets). Public
templates use it instead of `{% static %}` (tests/test_traces.py checks)."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def public_asset(name: str) -> str:
    return reverse("report:asset", kwargs={"name": name})
