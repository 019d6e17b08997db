"""Page structure a screen reader relies on: every aria-describedby names an element on the page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.permissions import Role
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def _dangling_descriptions(html: str) -> list[str]:
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    named = [name for value in re.findall(r'aria-describedby="([^"]+)"', html) for name in value.split()]
    return [name for name in named if name not in ids]


def test_help_texts_are_on_the_page_that_points_to_them(staff_a):
    pages = {
        "public report form": Client().get(reverse("report:report_create")),
        "hotline intake": verified_client(staff_a[Role.HOTLINE_ADVOCATE]).get(reverse("reports:hotline_create")),
    }
    described = 0
    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert not _dangling_descriptions(html), (name, _dangling_descriptions(html))
        described += html.count("aria-describedby=")
    assert described, "the pages checked carry no aria-describedby at all: the test checks nothing"


def test_error_messages_are_on_the_page_that_points_to_them(staff_a):
    # Django names "<id>_error" in a field's aria-describedby when it has errors: the message
    # a screen reader announces must carry that id, or the field is described by nothing.
    response = verified_client(staff_a[Role.HOTLINE_ADVOCATE]).post(
        reverse("reports:hotline_create"), {"what_happened": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'class="error"' in html
    assert re.search(r'aria-describedby="[^"]*_error', html), "no field points to its error: the test checks nothing"
    assert not _dangling_descriptions(html), _dangling_descriptions(html)
