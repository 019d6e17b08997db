"""A referral between organisations in Chromium, in Spanish, with axe-core (issue 9, part 4):
A's case worker refers a survivor to B's shelter with the shelter-intake fields; B's case
worker reads exactly those fields, accepts, and reports the outcome; A sees the outcome."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amparo.accounts.models import User
from amparo.core.permissions import Role
from amparo.referrals.models import Referral
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import nav_link, sign_in_verified, sign_out
from tests.referral_helpers import UNSHARED, agreement, planted_case, shelter_of
from tests.sealing_helpers import org_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_refer_accept_and_report_the_outcome_in_spanish(
    page: Page, staff_a: dict[str, User], staff_b: dict[str, User]
) -> None:
    worker_a, worker_b = staff_a[Role.CASE_WORKER], staff_b[Role.CASE_WORKER]
    org_a, org_b = worker_a.organisation, worker_b.organisation
    org_with_keys(org_a)
    org_with_keys(org_b)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    agreement(org_a, org_b)
    case = planted_case(worker_a)

    sign_in_verified(page, worker_a)
    page.locator("header form.lang button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto(f"/cases/{case.reference}/")
    page.get_by_role("link", name="Derivar", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Derivar a un servicio")
    axe_check(page)
    page.select_option("select[name=service]", value=str(service.pk))
    page.select_option("select[name=field_set]", label="Ingreso en un albergue")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_label("Nombre de pila")).to_have_value("Yolanda")
    axe_check(page)
    page.get_by_label("Necesidades inmediatas").fill("Una cama segura esta noche")
    page.get_by_role("button", name="Enviar la derivación").click()
    expect(page.locator(".messages")).to_contain_text("La derivación se envió.")
    expect(page.locator("main")).to_contain_text("Enviada, esperando respuesta")
    axe_check(page)
    sign_out(page)

    sign_in_verified(page, worker_b)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    nav_link(page, "Derivaciones").click()
    expect(page.locator("main h1")).to_have_text("Derivaciones que esperan nuestra respuesta")
    axe_check(page)
    page.locator("main tbody tr", has_text="Alpha Refuge").get_by_role("link").first.click()
    main = page.locator("main")
    expect(main).to_contain_text("Una cama segura esta noche")
    for marker in (UNSHARED["family_name"], UNSHARED["phone"], UNSHARED["summary"], UNSHARED["note"]):
        expect(main).not_to_contain_text(marker)
    axe_check(page)
    page.get_by_role("button", name="Aceptar la derivación").click()
    expect(page.locator(".messages")).to_contain_text("La derivación se aceptó.")
    page.select_option("select[name=outcome]", label="Servicio prestado")
    page.locator("form[action$='/complete/'] textarea[name=note]").fill("Llegó bien y está a salvo")
    page.get_by_role("button", name="Marcar como terminada").click()
    expect(page.locator(".messages")).to_contain_text("El resultado se comunicó a la organización que derivó.")
    axe_check(page)
    sign_out(page)

    sign_in_verified(page, worker_a)
    page.goto("/referrals/sent/")
    expect(page.locator("main tbody")).to_contain_text("Realizado")
    axe_check(page)
    page.locator("main tbody tr", has_text="Casa Refugio Norte").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/referrals/\d+/$"))
    expect(page.locator("main")).to_contain_text("Servicio prestado")
    expect(page.locator("main")).to_contain_text("Llegó bien y está a salvo")
    axe_check(page)
    assert Referral.objects.get().outcome == "provided"
