"""The whole referral-to-shelter journey in Chromium, in Spanish, with axe-core (issue 9, the
browser journey it asks for; decision 0033): A's case worker refers a survivor (with consent)
to B's shelter under an active agreement; B's case worker accepts and opens B's own case
(consent recorded again); B's shelter manager admits her from the referral and discharges
her, which reports the outcome; A sees the outcome and never the shelter's address. Then a
person with JavaScript off finds the shelter's intake line on the public find-help page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amparo.accounts.models import User
from amparo.core.permissions import Role
from amparo.referrals.models import Referral
from amparo.referrals.workflow_models import ReferralStatus
from amparo.shelters import services
from amparo.shelters.models import Admission, BedType
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import nav_link, sign_in_verified, sign_out
from tests.conftest import as_verified
from tests.referral_helpers import UNSHARED, agreement, planted_case, shelter_of
from tests.sealing_helpers import org_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = "Zzcalle del Albergue Oculto 9090"


def test_a_survivor_referred_to_a_shelter_is_admitted_discharged_and_the_outcome_reaches_the_sender_in_spanish(
    page: Page, open_context, staff_a: dict[str, User], staff_b: dict[str, User]
) -> None:
    worker_a, worker_b, manager_b = staff_a[Role.CASE_WORKER], staff_b[Role.CASE_WORKER], staff_b[Role.SHELTER_MANAGER]
    org_a, org_b = worker_a.organisation, worker_b.organisation
    org_with_keys(org_a)
    org_with_keys(org_b)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    service.countries, service.languages = ",COL,", ",SPA,"
    service.save(update_fields=["countries", "languages"])
    shelter = services.shelter_create(
        actor=as_verified(manager_b),
        service=service,
        name="Casa Refugio Norte",
        street_address=ADDRESS,
        coordinates="4.711234, -74.072123",
        capacities={BedType.WOMEN: 2},
    )
    agreement(org_a, org_b)
    case = planted_case(worker_a)

    # A refers the survivor, whose consent to referral is on her case.
    sign_in_verified(page, worker_a)
    page.locator("header form.lang button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto(f"/cases/{case.reference}/")
    page.get_by_role("link", name="Derivar", exact=True).click()
    axe_check(page)
    page.select_option("select[name=service]", value=str(service.pk))
    page.select_option("select[name=field_set]", label="Ingreso en un albergue")
    page.get_by_role("button", name="Continuar").click()
    expect(page.get_by_label("Nombre de pila")).to_have_value("Yolanda")
    page.get_by_label("Necesidades inmediatas").fill("Una cama segura esta noche")
    axe_check(page)
    page.get_by_role("button", name="Enviar la derivación").click()
    expect(page.locator(".messages")).to_contain_text("La derivación se envió.")
    axe_check(page)
    sign_out(page)

    # B's case worker reads what was shared, accepts, and opens B's own case with consent again.
    sign_in_verified(page, worker_b)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    nav_link(page, "Derivaciones").click()
    page.locator("main tbody tr", has_text="Alpha Refuge").get_by_role("link").first.click()
    main = page.locator("main")
    expect(main).to_contain_text("Una cama segura esta noche")
    expect(main).not_to_contain_text(UNSHARED["family_name"])
    axe_check(page)
    page.get_by_role("button", name="Aceptar la derivación").click()
    expect(page.locator(".messages")).to_contain_text("La derivación se aceptó.")
    expect(main).not_to_contain_text("Ingresar en Casa Refugio Norte")  # the case worker does not admit
    page.get_by_role("link", name="Abrir un caso a partir de la derivación").click()
    expect(page.locator("input[name=given_name]")).to_have_value("Yolanda")
    axe_check(page)
    page.check("input[name=explained]")
    page.check("input[name=given_by][value=person]")
    for purpose in ("services", "referral"):
        page.check(f"input[name=agreed_{purpose}]")
    page.get_by_role("button", name="Abrir el caso").click()
    expect(page).to_have_url(re.compile(r"/cases/C-[A-Z0-9]{8}/$"))
    own_reference = page.url.rstrip("/").rsplit("/", 1)[1]
    axe_check(page)
    sign_out(page)

    # B's shelter manager admits her from the referral, without its sealed content, then discharges her.
    sign_in_verified(page, manager_b)
    nav_link(page, "Albergues").click()
    page.locator("main").get_by_role("link", name="Casa Refugio Norte").click()
    referred = page.locator("main table[aria-labelledby=referred-title]")
    expect(referred).to_contain_text("Alpha Refuge")
    axe_check(page)
    referred.get_by_role(
        "link", name="Alpha Refuge", exact=True
    ).click()  # the referral itself: metadata, no sealed content
    expect(main).not_to_contain_text("Una cama segura esta noche")
    axe_check(page)
    page.get_by_role("link", name="Ingresar en Casa Refugio Norte").click()
    expect(page.locator("main h1")).to_have_text(f"Ingresar {own_reference} en Casa Refugio Norte")
    expect(main).not_to_contain_text("Yolanda")
    axe_check(page)
    page.get_by_label("Estancia prevista en días").fill("30")
    page.get_by_role("button", name="Ingresar", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("La persona ingresó")
    expect(page.locator("main h1")).to_have_text(f"Estancia de {own_reference}")
    expect(main).to_contain_text("Alpha Refuge")
    expect(main).to_contain_text("En curso")
    axe_check(page)
    page.get_by_label("Destino").select_option(label="Reunificación familiar")
    page.get_by_label("Motivo").fill("Volvió con su madre")
    page.get_by_label("Nota para Alpha Refuge (opcional)").fill("Llegó bien y volvió con su familia")
    page.get_by_role("button", name="Registrar el egreso").click()
    expect(page.locator(".messages")).to_contain_text("La estancia terminó: la cama está libre.")
    expect(page.locator(".messages")).to_contain_text("Alpha Refuge: Servicio prestado")
    axe_check(page)
    sign_out(page)

    # A sees the outcome and B's note; never where the shelter is, nor why the stay ended.
    sign_in_verified(page, worker_a)
    page.goto("/referrals/sent/")
    expect(page.locator("main tbody")).to_contain_text("Realizado")
    axe_check(page)
    page.locator("main tbody tr", has_text="Casa Refugio Norte").get_by_role("link").first.click()
    expect(main).to_contain_text("Servicio prestado")
    expect(main).to_contain_text("Llegó bien y volvió con su familia")
    expect(page.locator("body")).not_to_contain_text("Albergue Oculto")
    expect(page.locator("body")).not_to_contain_text("Volvió con su madre")
    axe_check(page)
    page.goto(f"/directory/services/{service.pk}/")
    expect(page.locator("body")).not_to_contain_text("Albergue Oculto")
    axe_check(page)

    referral = Referral.objects.get()
    assert referral.status == ReferralStatus.DONE and referral.outcome == "provided"
    stay = Admission.objects.get()
    assert stay.referral_id == referral.pk and stay.shelter_id == shelter.pk and stay.destination == "family"

    # Anyone, JavaScript off, in Spanish: the public find-help page finds the shelter's intake line.
    public = open_context(java_script_enabled=False).new_page()
    checker = open_context().new_page()  # axe runs as a script: check each page as served
    public.goto("/help/?lang=es")
    expect(public.locator("h1")).to_have_text("Buscar ayuda")
    public.get_by_label("País").select_option(label="Colombia")
    public.get_by_label("Tipo de ayuda").select_option("shelter")
    public.get_by_role("button", name="Buscar", exact=True).click()
    expect(public).to_have_url(re.compile(r"country=COL"))
    results = public.locator("section[aria-labelledby=results-title]")
    expect(results).to_contain_text("Casa Refugio Norte")
    expect(results).to_contain_text("+57 1 000 0000")
    expect(public.locator("body")).not_to_contain_text("Albergue Oculto")
    checker.goto(public.url)
    axe_check(checker)
    assert public.context.cookies() == []
