"""The public site's front page and what its pages carry (issue 8, items 9 and 11), through
the HTTP interface. What a person sees in a browser is in tests/browser/test_public_site.py."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from amparo.core.permissions import Role
from amparo.reports.models import Message, Signal
from tests.conftest import verified_client
from tests.test_reports import (  # noqa: F401
    _cheap_crypto_and_puzzles,
    followup,
    receiving_fixture,
    recipients_kept,
    submit,
)

pytestmark = pytest.mark.django_db


def test_the_root_sends_an_anonymous_visitor_to_the_public_front_page_keeping_the_language():
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"] == reverse("report:public_home")
    assert Client().get("/", {"lang": "es"})["Location"] == reverse("report:public_home") + "?lang=es"
    assert Client().get("/", {"lang": 'x"><script>'})["Location"] == reverse("report:public_home")
    assert not response.cookies
    assert Client().get("/cases/")["Location"].startswith(reverse("accounts:login"))  # staff pages: sign-in


def test_the_root_still_gives_signed_in_staff_their_home_behind_two_factor(staff_a):
    user = staff_a[Role.CASE_WORKER]
    assert verified_client(user).get("/").status_code == 200
    unverified = Client()
    unverified.force_login(user, backend="amparo.accounts.backends.StaffBackend")
    assert "/accounts/two-factor/" in unverified.get("/")["Location"]  # the second factor still guards it


def test_the_front_page_links_report_follow_up_help_and_lists_emergency_numbers_by_country_name():
    page = Client().get(reverse("report:public_home"), {"lang": "es"})
    body = page.content.decode()
    assert page.status_code == 200 and not page.cookies and page["Cache-Control"] == "no-store, max-age=0"
    assert f'href="{reverse("report:report_create")}?lang=es"' in body
    assert f'href="{reverse("report:report_followup")}?lang=es"' in body
    assert 'id="help"' in body
    numbers = body.split('class="plain numbers"')[1].split("</ul>")[0]
    assert (
        "<span>México</span> <strong>911</strong>" in numbers
        and "<span>Reino Unido</span> <strong>999</strong>" in numbers
    )
    assert not re.search(r"\b(MEX|GBR|ESP|USA)\b", numbers)


def test_the_report_form_lists_emergency_numbers_by_country_name_in_english():
    body = Client().get(reverse("report:report_create")).content.decode()
    numbers = body.split('class="plain numbers"')[1].split("</ul>")[0]
    assert "<span>Mexico</span> <strong>911</strong>" in numbers and "MEX" not in numbers


def test_the_sign_in_page_links_to_the_reporting_site():
    body = Client().get(reverse("accounts:login")).content.decode()
    assert "go to the reporting site" in body and f'href="{reverse("report:public_home")}"' in body


def test_every_public_page_has_a_quick_exit_to_a_neutral_site_and_loads_nothing_from_it(settings):
    settings.AMPARO_QUICK_EXIT_URL = "https://weather.example/today"
    for name in ("report:public_home", "report:report_create", "report:report_followup"):
        body = Client().get(reverse(name)).content.decode()
        assert (
            '<a class="quick-exit" id="quick-exit" href="https://weather.example/today" rel="noreferrer noopener"'
            in body
        )
        assert body.count("weather.example") == 1  # a link only: no script, image or prefetch from it


def test_a_form_posted_to_the_old_address_is_still_received_as_a_report(receiving):
    """Pages open in a browser across the upgrade posted the form to /report/; it must not be lost."""
    data = {"what_happened": "A workshop with locked doors", "country": "MEX", "danger": "unsure"}
    data["exploitation_type"] = "factories"
    response = Client().post(reverse("report:public_home"), recipients_kept(data))
    assert response.status_code == 200 and b'id="receipt"' in response.content
    assert Signal.objects.count() == 1


# --- the language switch keeps what was typed, sends nothing ---------------------------------


def test_switching_language_on_the_report_form_keeps_the_answers_and_sends_nothing(receiving):
    data = {
        "what_happened": "Two girls locked in a sewing workshop",
        "country": "MEX",
        "city": "Puebla",
        "danger": "yes",
        "age_groups": ["child", "adult"],
        "exploitation_type": "factories",
        "lang": "en",
        "switch_lang": "es",
        "attachments": "foto.jpg",  # the switch posts without files: only the name arrives
        "pow_nonce": "123",
    }
    page = Client().post(reverse("report:report_create"), data)
    body = page.content.decode()
    assert page.status_code == 200 and '<html lang="es">' in body
    assert "Two girls locked in a sewing workshop</textarea>" in body
    assert 'value="MEX" selected' in body and 'value="Puebla"' in body
    assert re.search(r'value="yes"[^>]*checked', body) and re.search(r'value="child"[^>]*checked', body)
    assert re.search(r'value="adult"[^>]*checked', body)
    assert 'class="error"' not in body and 'class="errors"' not in body  # nothing was submitted
    assert "Las fotos no se conservan" in body and "foto.jpg" not in body
    assert 'name="pow_nonce"' in body and 'name="pow_nonce" value="123"' not in body  # a fresh puzzle
    assert Signal.objects.count() == 0


def test_switching_language_on_the_follow_up_pages_keeps_the_receipt_and_the_answer(receiving):
    receipt = submit()
    typed = Client().post(reverse("report:report_followup"), {"receipt": receipt, "switch_lang": "es", "lang": "en"})
    assert typed.status_code == 200 and f'value="{receipt}"'.encode() in typed.content
    assert b'<html lang="es">' in typed.content and b"Messages" not in typed.content  # not opened: only shown
    answer = followup(receipt, action="reply", text="They move the girls at night", switch_lang="es", lang="en")
    body = answer.content.decode()
    assert answer.status_code == 200 and '<html lang="es">' in body
    assert "They move the girls at night</textarea>" in body and 'id="reply-form"' in body
    assert not Message.objects.exists()  # nothing sent


def test_a_page_showing_a_receipt_once_offers_no_language_switch(receiving):
    from tests.test_reports import solved_form

    client = Client()
    body = client.post(reverse("report:report_create"), solved_form(client)).content.decode()
    assert 'id="receipt"' in body and "switch_lang" not in body and 'hreflang="es"' not in body
    changed = followup(submit(), action="change_receipt").content.decode()
    assert "Your receipt has changed" in changed and "switch_lang" not in changed
