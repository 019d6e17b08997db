"""The public site as a person sees it, in Chromium, on a phone (360x740) and a desktop:
the front page, radio buttons, the language switch keeping what was typed, the quick exit,
the receipt on a phone and its copy button without JavaScript. axe-core checks each page.

Set AMPARO_SCREENSHOTS=<directory> to keep a screenshot of each page checked.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from amparo.reports.models import Message, RoutingRule, Signal
from tests.browser.conftest import axe_check
from tests.sealing_helpers import org_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
EXIT_URL = "https://www.google.com/search?q=weather"


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("AMPARO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def reporting(org_a, staff_a, settings):  # type: ignore[no-untyped-def]
    settings.AMPARO_POW_BITS = 8
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    return org_a


@pytest.mark.parametrize("screen", SCREENS)
def test_an_anonymous_visitor_at_the_root_finds_the_public_front_page(open_context, screen) -> None:
    page = open_context(**SCREENS[screen]).new_page()
    page.goto("/?lang=es")
    expect(page).to_have_url(re.compile(r"/report/\?lang=es$"))
    page.goto("/report/?lang=es")
    expect(page.locator("h1")).to_have_text("Reporte la trata de personas de forma segura")
    main = page.locator("main")
    expect(main.get_by_role("link", name=re.compile("Hacer un reporte"))).to_have_attribute(
        "href", "/report/new/?lang=es"
    )
    expect(main.get_by_role("link", name=re.compile("Tengo un código de recibo"))).to_be_visible()
    expect(main.get_by_role("link", name=re.compile("Buscar ayuda"))).to_be_visible()
    expect(page.locator("#help")).to_be_visible()
    page.locator("details.emergency summary").click()
    numbers = page.locator("details.emergency li")
    expect(numbers.filter(has_text="México")).to_contain_text("911")
    expect(numbers.filter(has_text="España")).to_contain_text("112")
    assert not re.search(r"\b(MEX|ESP|USA|GBR)\b", page.locator("details.emergency").inner_text())
    expect(page.get_by_role("link", name="Salida rápida")).to_be_visible()
    axe_check(page)
    _shot(page, f"front-{screen}")
    assert page.context.cookies() == []


@pytest.mark.parametrize("screen", SCREENS)
def test_radio_buttons_sit_beside_their_labels_in_a_named_group(open_context, screen) -> None:
    page = open_context(**SCREENS[screen]).new_page()
    page.goto("/report/new/")
    group = page.get_by_role("group", name="Is someone in immediate danger?")
    expect(group).to_be_visible()
    radios = group.locator("input[type=radio]")
    assert radios.count() == 3
    lefts = set()
    for i in range(radios.count()):
        geometry = radios.nth(i).evaluate(
            """input => {
                const box = input.getBoundingClientRect();
                const text = input.parentElement.querySelector("span").firstChild;
                const range = document.createRange();
                range.setStart(text, 0); range.setEnd(text, 1);
                const first = range.getBoundingClientRect();
                return {left: box.left, right: box.right, width: box.width, middle: box.top + box.height / 2,
                        textLeft: first.left, textMiddle: first.top + first.height / 2};
            }"""
        )
        assert geometry["width"] <= 24, geometry  # a radio button, not a box across the page
        assert geometry["right"] <= geometry["textLeft"] <= geometry["right"] + 16, geometry  # just before its text
        assert abs(geometry["middle"] - geometry["textMiddle"]) <= 4, geometry  # on the text's first line
        lefts.add(round(geometry["left"]))
    assert len(lefts) == 1  # one column
    checkbox = page.get_by_role("group", name=re.compile("Their ages")).locator("input[type=checkbox]").first
    assert checkbox.bounding_box()["width"] <= 24  # type: ignore[index]
    axe_check(page)
    _shot(page, f"report-form-{screen}")


@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_switching_language_keeps_what_was_typed_and_sends_nothing(open_context, reporting, javascript) -> None:
    page = open_context(java_script_enabled=javascript).new_page()
    page.goto("/report/new/?lang=en")
    page.fill("textarea[name=what_happened]", "Two girls locked in a sewing workshop")
    page.select_option("select[name=country]", "MEX")
    page.fill("input[name=city]", "Puebla")
    page.check("input[name=danger][value=yes]")
    page.check("input[name=age_groups][value=child]")
    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("textarea[name=what_happened]")).to_have_value("Two girls locked in a sewing workshop")
    expect(page.locator("select[name=country]")).to_have_value("MEX")
    expect(page.locator("input[name=city]")).to_have_value("Puebla")
    expect(page.locator("input[name=danger][value=yes]")).to_be_checked()
    expect(page.locator("input[name=age_groups][value=child]")).to_be_checked()
    expect(page.locator(".errors, .error")).to_have_count(0)  # nothing was submitted
    assert Signal.objects.count() == 0
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("textarea[name=what_happened]")).to_have_value("Two girls locked in a sewing workshop")
    # Enter in a text box sends the report (the default button), it does not switch the language.
    page.locator("input[name=city]").press("Enter")
    # The first send shows who will receive the report (nothing is sent yet); Enter again sends it.
    expect(page.locator("#recipients")).to_be_visible(timeout=30000)
    assert Signal.objects.count() == 0
    page.locator("input[name=city]").press("Enter")
    expect(page.locator("#receipt")).to_be_visible(timeout=30000)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert Signal.objects.get().held is (not javascript)
    assert page.context.cookies() == []


def _send(page) -> None:
    """Send the report form: the first click shows who receives it, the second sends it."""
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#recipients")).to_be_visible(timeout=30000)
    page.locator("#report-form button[type=submit]").click()


def test_the_language_switch_keeps_a_typed_answer_on_the_follow_up_page(open_context, reporting) -> None:
    page = open_context(java_script_enabled=False).new_page()
    page.goto("/report/new/?lang=en")
    page.fill("textarea[name=what_happened]", "A workshop with locked doors")
    page.select_option("select[name=country]", "MEX")
    _send(page)
    receipt = page.locator("#receipt").inner_text().strip()
    expect(page.locator("header").get_by_role("button", name="Español")).to_have_count(0)  # shown once: no way off
    expect(page.locator("header").get_by_role("link", name="Español")).to_have_count(0)
    page.goto("/report/follow-up/?lang=en")
    page.fill("input[name=receipt]", receipt)
    page.get_by_role("button", name="Español").click()
    expect(page.locator("input[name=receipt]")).to_have_value(receipt)
    page.locator("#receipt-form button[type=submit]").click()
    page.fill("textarea[name=text]", "They move the girls at night")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("textarea[name=text]")).to_have_value("They move the girls at night")
    assert Message.objects.count() == 0
    page.locator("#reply-form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Your answer was sent")
    page.reload()  # post/redirect/get: a reload asks for the page again, it does not send again
    expect(page.locator("main")).to_contain_text("Your answer was sent")
    assert Message.objects.count() == 1
    assert receipt[:8] not in page.url


def _exit_session(open_context, **options):  # type: ignore[no-untyped-def]
    session = open_context(**options)
    session.context.route(
        re.compile(r"^https://www\.google\.com/.*"),
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Weather</title><p>Sunny</p>"),
    )
    return session


@pytest.mark.parametrize("how", ["button", "escape-twice"])
def test_quick_exit_leaves_at_once_for_a_neutral_site_and_back_does_not_return(open_context, how) -> None:
    session = _exit_session(open_context, **PHONE)
    page = session.new_page()
    page.goto("/report/?lang=en")
    page.goto("/report/new/?lang=en")
    page.fill("textarea[name=what_happened]", "Something private")
    button = page.get_by_role("link", name="Quick exit")
    expect(button).to_be_visible()
    expect(button).to_be_in_viewport()
    page.mouse.wheel(0, 2000)
    expect(button).to_be_in_viewport()  # always in reach
    assert session.foreign == []  # nothing from another host on load
    if how == "button":
        button.click()
    else:
        page.locator("body").press("Escape")
        page.locator("body").press("Escape")
    expect(page).to_have_url(EXIT_URL)
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"/report/new/"))  # the page left is replaced in the history
    assert set(session.foreign) == {EXIT_URL}
    session.foreign.clear()


def test_quick_exit_is_a_plain_link_without_javascript(open_context) -> None:
    session = _exit_session(open_context, java_script_enabled=False)
    page = session.new_page()
    for path in ("/report/", "/report/new/", "/report/follow-up/"):
        page.goto(path)
        expect(page.get_by_role("link", name="Quick exit")).to_have_attribute("href", EXIT_URL)
        expect(page.get_by_role("link", name="Quick exit")).to_have_attribute("rel", "noreferrer noopener")
    page.get_by_role("link", name="Quick exit").click()
    expect(page).to_have_url(EXIT_URL)
    session.foreign.clear()


def test_the_receipt_stays_whole_on_a_phone_and_the_copy_button_needs_javascript(open_context, reporting) -> None:
    phone = open_context(java_script_enabled=False, **PHONE).new_page()
    phone.goto("/report/new/")
    phone.fill("textarea[name=what_happened]", "A workshop with locked doors")
    phone.select_option("select[name=country]", "MEX")
    _send(phone)
    receipt = phone.locator("#receipt")
    expect(receipt).to_be_visible()
    expect(phone.get_by_role("button", name="Copy the receipt")).to_be_hidden()  # it would do nothing
    groups = receipt.locator(".group")
    assert groups.count() == 5
    for i in range(groups.count()):
        assert groups.nth(i).evaluate("node => node.getClientRects().length") == 1  # never broken mid-group
    assert receipt.evaluate("node => node.scrollWidth <= node.clientWidth")
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert re.fullmatch(r"[A-Z2-7]{8}(-[A-Z2-7]{4}){4}", receipt.inner_text().strip())
    _shot(phone, "receipt-phone-nojs")

    page = open_context(**PHONE).new_page()
    page.goto("/report/new/")
    page.fill("textarea[name=what_happened]", "Another workshop")
    page.select_option("select[name=country]", "MEX")
    _send(page)
    expect(page.locator("#receipt")).to_be_visible(timeout=30000)
    expect(page.get_by_role("button", name="Copy the receipt")).to_be_visible()
    axe_check(page)
    _shot(page, "receipt-phone")
