"""Dates no reader can swap (issue 8, item 15): "12 Feb 2026" / "12 feb 2026", never
"02/12/2026" or "12/02/2026", on pages and in e-mails."""

from __future__ import annotations

import datetime
import re

from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import formats, translation

from amparo.cases import services
from amparo.core.permissions import Role
from tests.conftest import as_verified, registered_case, verified_client

ES_MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]
NUMERIC_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")


def test_formats_put_the_month_in_words_in_both_languages():
    day = datetime.date(2026, 2, 12)
    with translation.override("en"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "12 Feb 2026"
        assert formats.date_format(day, "DATE_FORMAT") == "12 Feb 2026"
        assert (
            formats.date_format(datetime.datetime(2026, 2, 12, 9, 5, tzinfo=datetime.UTC), "DATETIME_FORMAT")
            == "12 Feb 2026, 09:05"
        )
    with translation.override("es"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "12 feb 2026"
        assert (
            formats.date_format(datetime.datetime(2026, 12, 3, 9, 5, tzinfo=datetime.UTC), "SHORT_DATETIME_FORMAT")
            == "3 dic 2026, 09:05"
        )


def test_pages_show_dates_with_the_month_in_words(staff_a):
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    case = registered_case(worker)
    closure = services.closure_request(actor=as_verified(worker), case=case, reason="services_completed")
    asked = closure.requested_at
    client = verified_client(admin)
    english = client.get(reverse("cases:closure_list")).content.decode()
    assert f"{asked.day} {asked.strftime('%b')} {asked.year}" in english
    assert not NUMERIC_DATE.search(english)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "es"
    spanish = client.get(reverse("cases:closure_list")).content.decode()
    assert f"{asked.day} {ES_MONTHS[asked.month - 1]} {asked.year}" in spanish
    assert not NUMERIC_DATE.search(spanish)
