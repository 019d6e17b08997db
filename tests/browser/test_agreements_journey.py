"""Data-sharing agreements in Chromium, in Spanish, with axe-core (issue 9, part 3): the
administrator of A proposes an agreement to B, B's administrator accepts it, both see it
active, and A ends it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amparo.accounts.models import AgreementStatus, SharingAgreement, User
from amparo.core.permissions import Role
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import nav_link, sign_in_verified, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_propose_accept_and_end_an_agreement_in_spanish(
    page: Page, staff_a: dict[str, User], staff_b: dict[str, User]
) -> None:
    admin_a, admin_b = staff_a[Role.ORG_ADMIN], staff_b[Role.ORG_ADMIN]
    today = timezone.localdate()

    sign_in_verified(page, admin_a)
    page.locator("header form.lang button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    nav_link(page, "Acuerdos de intercambio de datos").click()
    expect(page.locator("main h1")).to_have_text("Acuerdos de intercambio de datos")
    axe_check(page)
    page.get_by_role("link", name="Proponer un acuerdo").click()
    axe_check(page)
    # An end date before the start date: a clear message, nothing saved.
    page.select_option("select[name=receiver]", label="Beta Police Unit")
    page.get_by_label("Derivación a otras organizaciones").check()
    page.get_by_label("Ingreso en un albergue").check()
    page.fill("input[name=starts_on]", (today + datetime.timedelta(days=5)).isoformat())
    page.fill("input[name=ends_on]", today.isoformat())
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("La fecha de fin debe ser igual o posterior a la fecha de inicio.")
    axe_check(page)
    assert not SharingAgreement.objects.exists()
    page.fill("input[name=starts_on]", today.isoformat())
    page.fill("input[name=ends_on]", (today + datetime.timedelta(days=90)).isoformat())
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page.locator("#agreement-status")).to_have_text("Propuesto")
    expect(page.get_by_role("button", name="Aceptar el acuerdo")).to_have_count(0)
    axe_check(page)
    sign_out(page)

    sign_in_verified(page, admin_b)  # the language chosen stays with the browser
    expect(page.locator("html")).to_have_attribute("lang", "es")
    nav_link(page, "Acuerdos de intercambio de datos").click()
    page.locator("main tbody").get_by_role("link", name="Alpha Refuge").click()
    expect(page.locator("main")).to_contain_text("Franja de edad")
    axe_check(page)
    page.get_by_role("button", name="Aceptar el acuerdo").click()
    expect(page.locator(".messages")).to_contain_text("El acuerdo está activo.")
    expect(page.locator("#agreement-status")).to_have_text("Activo")
    axe_check(page)
    nav_link(page, "Acuerdos de intercambio de datos").click()
    expect(page.locator("main tbody tr", has_text="Alpha Refuge")).to_contain_text("Activo")
    sign_out(page)

    sign_in_verified(page, admin_a)
    nav_link(page, "Acuerdos de intercambio de datos").click()
    row = page.locator("main tbody tr", has_text="Beta Police Unit")
    expect(row).to_contain_text("Activo")
    row.get_by_role("link", name="Beta Police Unit").click()
    page.get_by_label("Motivo").fill("El programa conjunto terminó")
    page.get_by_role("button", name="Terminar el acuerdo").click()
    expect(page.locator(".messages")).to_contain_text("El acuerdo se terminó.")
    expect(page.locator("#agreement-status")).to_have_text("Terminado")
    expect(page).to_have_url(re.compile(r"/accounts/agreements/\d+/$"))
    axe_check(page)
    agreement = SharingAgreement.objects.get()
    assert agreement.status == AgreementStatus.ENDED and agreement.ended_by == admin_a
