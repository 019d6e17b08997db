"""The citizenship field: 249 countries as a searchable checkbox list (issue 8, item 16).
With JavaScript, a filter box that ignores accents; without it, a plain scrolling list.
Both are checked with axe-core and used with the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from amparo.cases.models import Case
from amparo.core.permissions import Role
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import sign_in_verified
from tests.conftest import registered_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _person_page(staff_a) -> tuple[Case, str]:
    case = registered_case(staff_a[Role.CASE_WORKER])
    return case, f"/cases/{case.reference}/person/"


def test_the_filter_finds_countries_without_accents_and_keeps_ticked_ones(open_context, staff_a):
    case, path = _person_page(staff_a)
    page = open_context().new_page()
    sign_in_verified(page, staff_a[Role.CASE_WORKER])
    page.locator("header form.lang button[name=language]").click()
    page.goto(path)
    fieldset = page.locator("fieldset.searchable")
    expect(fieldset.locator("legend")).to_contain_text("Nacionalidad")
    box = page.get_by_label("Buscar en la lista")
    expect(box).to_be_visible()
    axe_check(page)
    # Keyboard only: type in the filter, Tab to the first match, tick it with the space bar.
    box.focus()
    page.keyboard.type("peru")  # no accent typed; the country is "Perú"
    expect(fieldset.locator("[data-options] label:visible")).to_have_count(1)
    expect(fieldset.locator("[data-matches]")).to_have_text("1 resultado; las opciones marcadas siguen a la vista.")
    page.keyboard.press("Enter")  # does not submit the form
    expect(page).to_have_url(f"{page.url.split('/cases/')[0]}{path}")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_label("Perú")).to_be_checked()
    box.fill("guatemala")
    expect(fieldset.locator("[data-options] label:visible")).to_have_count(2)  # Guatemala, and Perú ticked
    page.get_by_label("Guatemala").check()
    box.fill("zzz")
    expect(fieldset.locator("[data-matches]")).to_have_text("Nada coincide; las opciones marcadas siguen a la vista.")
    axe_check(page)
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert sorted(case.citizenship) == ["GTM", "PER"]
    page.goto(path)
    # Ticked countries come first in the list.
    expect(fieldset.locator("[data-options] label").nth(0)).to_contain_text("Guatemala")
    expect(fieldset.locator("[data-options] label").nth(1)).to_contain_text("Perú")


def test_without_javascript_the_list_works_and_passes_axe(open_context, staff_a):
    case, path = _person_page(staff_a)
    signed_in = open_context()
    sign_in_verified(signed_in.new_page(), staff_a[Role.CASE_WORKER])
    page = open_context(java_script_enabled=False, storage_state=signed_in.context.storage_state()).new_page()
    page.goto(path)
    fieldset = page.locator("fieldset.searchable")
    expect(fieldset.locator(".filter")).to_be_hidden()
    expect(fieldset.locator("[data-options] input[type=checkbox]")).to_have_count(249)
    page.get_by_label("Mexico").check()
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_load_state()
    case.refresh_from_db()
    assert case.citizenship == ["MEX"]
    # axe runs as a script: check the page as it is without choices.js (served empty here).
    checker = signed_in.new_page()
    checker.route("**/choices*.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))
    checker.goto(path)
    expect(checker.locator("fieldset.searchable .filter")).to_be_hidden()
    axe_check(checker)
