"""A case worker's day in Spanish, in Chromium with axe-core on every page: search first,
register with consent, screen, plan a service, add a note, ask to close; the administrator approves."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amparo.accounts.models import User
from amparo.cases.models import Case, CaseStatus, Consent
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import sign_in_verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(page: Page) -> None:
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_load_state()


def test_register_screen_note_and_close_with_approval_in_spanish(page: Page, staff_a: dict[str, User]) -> None:
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    sign_in_verified(page, worker)
    page.locator("header form.lang button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")

    # Search before create: nobody sounds like her yet.
    page.goto("/cases/?name=Llolanda+Belasques")
    expect(page.locator("main tbody tr")).to_have_count(1)
    expect(page.locator("main tbody td a")).to_have_count(0)
    axe_check(page)

    # Step 1: consent, in Spanish, before anything about the person.
    page.locator("main a.button.primary[href$='/cases/new/']").click()
    expect(page).to_have_url(re.compile(r"/cases/new/$"))
    expect(page.locator(".consent-text")).to_contain_text("Antes de anotar nada")
    axe_check(page)
    page.check("input[name=explained]")
    page.check("input[name=given_by][value=person]")
    for purpose in ("services", "referral", "research"):
        page.check(f"input[name=agreed_{purpose}]")
    submit(page)
    expect(page).to_have_url(re.compile(r"/cases/new/[0-9a-f-]{36}/$"))
    axe_check(page)

    # Step 2: the person.
    page.fill("input[name=given_name]", "Yolanda")
    page.fill("input[name=family_name]", "Velázquez Peña")
    page.fill("input[name=birth_date]", "1998-04-02")
    page.fill("input[name=phone]", "+502 5555 0101")
    page.select_option("select[name=primary_language]", "mam")
    submit(page)
    expect(page).to_have_url(re.compile(r"/cases/C-[A-Z0-9]{8}/$"))
    expect(page.locator("dl.facts").first).to_contain_text("Yolanda Velázquez Peña")
    reference = page.url.rstrip("/").rsplit("/", 1)[1]
    axe_check(page)
    case = Case.objects.get(reference=reference)
    assert Consent.objects.get(case=case).text_language == "es"

    # Searching by how the name sounds now finds her.
    page.goto("/cases/?name=Llolanda+Belasques")
    expect(page.locator("main tbody").get_by_role("link", name=reference)).to_be_visible()

    # Screen with the ILO indicators (Spanish text from the versioned list).
    page.goto(f"/cases/{reference}/screen/")
    expect(page.locator("main")).to_contain_text("Servidumbre por deudas")
    axe_check(page)
    for indicator in ("deception", "debt_bondage", "retention_of_identity_documents"):
        page.check(f"input[name=present][value={indicator}]")
    submit(page)
    expect(page).to_have_url(re.compile(rf"/cases/{reference}/screenings/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("3")
    axe_check(page)

    # Switch to the ILO–EC adults' labour list (a plain link) and screen by dimension.
    page.goto(f"/cases/{reference}/screen/")
    page.locator("main nav.lists a[href='?tool=ilo_ec_adults_labour']").click()
    expect(page.locator("main fieldset.indicators legend").first).to_have_text(
        "Captación engañosa (incluidos el traslado y el transporte)"
    )
    expect(page.locator("main .callout")).to_contain_text("pendiente de cotejo")
    axe_check(page)
    for indicator in (
        "deceptive_recruitment.nature_of_job",
        "deceptive_recruitment.wages",
        "exploitative_conditions.excessive_hours",
        "exploitative_conditions.hazardous_work",
        "coercion_at_destination.documents",
        "coercion_at_destination.isolation",
    ):
        page.check(f"input[name=present][value='{indicator}']")
    submit(page)
    expect(page.locator("main .suggestion")).to_contain_text("Los indicadores apuntan a una posible víctima de trata.")
    axe_check(page)
    page.goto(f"/cases/{reference}/")
    expect(page.locator("main")).to_contain_text("Indicadores de trata OIT–CE: personas adultas, explotación laboral")

    # Plan a service.
    page.locator(f"main a[href$='/cases/{reference}/services/new/']").click()
    axe_check(page)
    page.select_option("select[name=plan_type]", "health")
    page.select_option("select[name=service_type]", "psychosocial")
    page.fill("input[name=provider]", "Clínica Fronteriza")
    page.fill("input[name=due_on]", "2030-01-15")
    submit(page)
    expect(page.locator("main")).to_contain_text("Clínica Fronteriza")

    # A note.
    page.locator(f"main a[href$='/cases/{reference}/notes/new/']").click()
    axe_check(page)
    page.fill("textarea[name=body]", "Primera entrevista en el albergue.")
    submit(page)
    expect(page.locator("main article.note")).to_contain_text("Primera entrevista en el albergue.")

    # Ask to close.
    page.locator(f"main a[href$='/cases/{reference}/close/']").click()
    axe_check(page)
    page.select_option("select[name=reason]", "services_completed")
    submit(page)
    expect(page).to_have_url(re.compile(rf"/cases/{reference}/$"))
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE

    # The administrator approves.
    page.locator("header form[action$='/logout/'] button").click()
    sign_in_verified(page, admin)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto("/cases/closures/")
    axe_check(page)
    page.locator("main tbody").get_by_role("link", name=reference).click()
    expect(page.locator("main")).not_to_contain_text("Yolanda")  # the admin sees the reason, not the person
    axe_check(page)
    page.check("input[name=decision][value=approve]")
    submit(page)
    expect(page).to_have_url(re.compile(r"/cases/closures/$"))
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert AuditEntry.objects.filter(action="case.close_approved", actor=admin).exists()
