"""The shelter manager's day in Chromium, in Spanish, with axe-core (issue 9, part 2): sign in,
see the shelter's occupancy, admit a person from the waiting list, discharge her with a
destination, and see the occupancy chart."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from amparo.accounts.models import User
from amparo.core.permissions import Role
from amparo.shelters import services
from amparo.shelters.models import Admission, BedType, WaitingEntry, WaitingStatus
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import nav_link, sign_in_verified
from tests.conftest import as_verified
from tests.test_shelters import admit, case_of, shelter_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_shelter_manager_admits_from_the_waiting_list_and_discharges_in_spanish(
    page: Page, staff_a: dict[str, User]
) -> None:
    shelter = shelter_of(staff_a, name="Casa Amparo", beds={BedType.WOMEN: 2, BedType.CHILDREN: 1})
    admit(staff_a, shelter, case_of(staff_a, "Ya Alojada"), on=services.today() - datetime.timedelta(days=6))
    waiting_case = case_of(staff_a, "En Espera")
    services.waiting_add(
        actor=as_verified(staff_a[Role.CASE_WORKER]),
        shelter=shelter,
        case_reference=waiting_case.reference,
        bed_type=BedType.WOMEN,
        priority=1,
    )

    sign_in_verified(page, staff_a[Role.SHELTER_MANAGER])
    page.locator("header form.lang button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#home-shelters")).to_have_text("Sus albergues")
    expect(page.locator("main")).to_contain_text("1 de 3 camas ocupadas; 1 persona en espera.")
    axe_check(page)

    nav_link(page, "Albergues").click()
    axe_check(page)
    page.locator("main").get_by_role("link", name="Casa Amparo").click()
    occupancy = page.locator("main table").first
    expect(occupancy.locator("tr", has_text="Mujeres")).to_contain_text("2")
    expect(page.locator("main")).to_contain_text(waiting_case.reference)
    axe_check(page)

    # Admit from the waiting list: the bed type comes from the entry.
    page.get_by_role("link", name=f"Ingresar {waiting_case.reference}").click()
    expect(page.locator("main h1")).to_have_text(f"Ingresar {waiting_case.reference} en Casa Amparo")
    axe_check(page)
    page.get_by_label("Estancia prevista en días").fill("45")
    page.get_by_role("button", name="Ingresar", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("La persona ingresó y salió de la lista de espera.")
    expect(page.locator("main")).to_contain_text("Nadie está en espera.")
    expect(page.locator("main table").first.locator("tr", has_text="Mujeres")).to_contain_text("0")
    axe_check(page)

    # A third woman would be over capacity; discharge the one just admitted instead.
    page.locator("main").get_by_role("link", name=waiting_case.reference).click()
    expect(page.locator("main h1")).to_have_text(f"Estancia de {waiting_case.reference}")
    axe_check(page)
    page.get_by_role("button", name="Registrar el egreso").click()  # no destination yet: a clear message
    expect(page.locator("main")).to_contain_text("Este campo es requerido.")
    axe_check(page)
    page.get_by_label("Destino").select_option(label="Reunificación familiar")
    page.get_by_label("Motivo").fill("Volvió con su madre en Puebla")
    page.get_by_role("button", name="Registrar el egreso").click()
    expect(page.locator(".messages")).to_contain_text("La estancia terminó: la cama está libre.")
    expect(page.locator("main table").first.locator("tr", has_text="Mujeres")).to_contain_text("1")

    page.get_by_role("link", name="Historial de ocupación").click()
    expect(page.locator("main h1")).to_have_text("Ocupación de Casa Amparo")
    chart = page.locator("main svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("title")).to_contain_text("Camas ocupadas por día")
    expect(page.locator("main table tbody tr")).to_have_count(30)
    axe_check(page)
    page.get_by_label("Periodo").select_option(label="Últimos 90 días")
    page.get_by_role("button", name="Mostrar").click()
    expect(page.locator("main table tbody tr")).to_have_count(90)
    expect(page).to_have_url(re.compile(r"days=90"))
    axe_check(page)

    stay = Admission.objects.get(case=waiting_case)
    assert stay.destination == "family" and stay.discharged_on == services.today() and stay.expected_days == 45
    assert WaitingEntry.objects.get(case=waiting_case).status == WaitingStatus.ADMITTED
