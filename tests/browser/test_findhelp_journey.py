"""Find help in Chromium: a person on a phone, JavaScript off, in Spanish, searches by country
and kind of help, sees the numbers to call and the results, opens an awareness page; axe
clean and no cookie. With JavaScript on, "near me" puts only a rounded point in the address.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from amparo.findhelp.models import AwarenessPage, PageStatus, Topic
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import load_global_types
from tests.browser.conftest import axe_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
#: Somewhere in Mexico City, to more decimals than the search may ever see.
HERE = {"latitude": 19.43261, "longitude": -99.13321}


@pytest.fixture
def helpers(org_a):
    load_global_types()
    Service.objects.create(
        organisation=org_a,
        name="Casa Refugio Prueba",
        service_type=ServiceType.objects.get(organisation=None, code="shelter"),
        countries=",MEX,",
        regions=",MX-CMX,",
        languages=",SPA,",
        hours="24 h",
        cost="Gratuito",
        intake_contact="+52 55 0000 0199",
        address="Calle Secreta 77",
        latitude=Decimal("19.41234"),
        longitude=Decimal("-99.16789"),
        confidential_location=True,
    )
    AwarenessPage.objects.create(
        organisation=org_a,
        topic=Topic.SIGNS,
        language="es",
        title="Señales de la trata de personas",
        body="## Señales\n\n- Alguien guarda tus documentos.\n- No puedes salir cuando quieres.",
        status=PageStatus.PUBLISHED,
    )
    return org_a


def test_without_javascript_in_spanish_a_person_finds_a_shelter_the_numbers_and_the_signs(open_context, helpers):
    page = open_context(java_script_enabled=False, **PHONE).new_page()
    # axe runs as a script: a second page with the scripts served empty checks each page as served.
    checker = open_context(**PHONE).new_page()
    checker.route("**/report/assets/**/*.js", lambda route: route.fulfill(content_type="text/javascript", body=""))

    def axe_check_as_served() -> None:
        checker.goto(page.url)
        expect(checker.locator("#near-me")).to_be_hidden()
        axe_check(checker)

    page.goto("/report/?lang=es")
    page.locator("main").get_by_role("link", name=re.compile("Buscar ayuda")).first.click()
    expect(page.locator("h1")).to_have_text("Buscar ayuda")
    expect(page.locator("#near-me")).to_be_hidden()  # no location without JavaScript
    axe_check_as_served()
    page.get_by_label("País").select_option(label="México")
    page.get_by_label("Tipo de ayuda").select_option("shelter")
    page.get_by_role("button", name="Buscar", exact=True).click()
    numbers = page.locator("section[aria-labelledby=numbers-title]")
    expect(numbers).to_contain_text("Números a los que llamar en México")
    expect(numbers.get_by_role("link", name="911")).to_have_attribute("href", "tel:911")
    expect(numbers).to_contain_text("800 5533 000")
    results = page.locator("section[aria-labelledby=results-title]")
    expect(results).to_contain_text("Casa Refugio Prueba")
    expect(results).to_contain_text("+52 55 0000 0199")
    expect(results).not_to_contain_text("Calle Secreta")
    page.get_by_label("Estado, provincia o región").select_option("MX-CMX")  # a second step, without JavaScript
    page.get_by_role("button", name="Buscar", exact=True).click()
    expect(page).to_have_url(re.compile(r"region=MX-CMX"))
    expect(results).to_contain_text("Casa Refugio Prueba")
    axe_check_as_served()
    page.get_by_role("link", name=re.compile("Conozca las señales de la trata")).click()
    page.get_by_role("link", name="Señales de la trata de personas").click()
    expect(page.locator("h1")).to_have_text("Señales de la trata de personas")
    expect(page.locator("article h2")).to_have_text("Señales")
    expect(page.get_by_role("link", name="Salida rápida")).to_be_visible()
    axe_check_as_served()
    assert page.context.cookies() == []


def test_near_me_sends_only_a_rounded_point(open_context, helpers):
    session = open_context(geolocation=HERE, permissions=["geolocation"])
    page = session.new_page()
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.goto("/help/?lang=en")
    expect(page.locator("#near-me")).to_be_visible()
    page.get_by_role("button", name="Search near me").click()
    expect(page.locator("#results-title")).to_have_text("Services near you")
    query = parse_qs(urlsplit(page.url).query)
    assert query["lat"] == ["19.4"] and query["lon"] == ["-99.1"], page.url
    assert not [url for url in sent if "19.43" in url or "99.13" in url], sent
    expect(page.locator("section[aria-labelledby=results-title]")).to_contain_text("Casa Refugio Prueba")
    axe_check(page)
    assert page.context.cookies() == []
