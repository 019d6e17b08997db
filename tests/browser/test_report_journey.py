"""The reporter's journey in Chromium: report in Spanish with a photo, keep the receipt, come
back, read the organisation's question, answer it. axe-core checks every public page."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from amparo.core.permissions import Role
from amparo.reports.models import Message, Receipt, RoutingRule, Signal
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import sign_in_verified
from tests.sealing_helpers import org_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_reporter_reports_in_spanish_with_a_photo_and_answers_the_organisation(
    open_context, staff_a, org_a, settings
) -> None:
    settings.AMPARO_POW_BITS = 8
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")

    reporter = open_context().new_page()  # (the fixture fixes the locale; ?lang=es chooses Spanish)
    reporter.goto("/?lang=es")  # the site's root: the public front page
    expect(reporter.locator("html")).to_have_attribute("lang", "es")
    axe_check(reporter)
    reporter.locator("main").get_by_role("link", name=re.compile("Hacer un reporte")).click()
    axe_check(reporter)
    reporter.fill("textarea[name=what_happened]", "Vi a dos chicas encerradas en un taller de costura en Puebla")
    reporter.select_option("select[name=country]", "MEX")
    reporter.fill("input[name=region_text]", "Puebla")
    reporter.check("input[name=danger][value=no]")
    reporter.set_input_files(
        "input[name=attachments]", files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    reporter.locator("#report-form button[type=submit]").click()
    # Before anything is sent: who receives it (one organisation here); photos are chosen again.
    expect(reporter.locator("#recipients")).to_contain_text(org_a.name, timeout=30000)
    assert not Signal.objects.exists()
    reporter.set_input_files(
        "input[name=attachments]", files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
    )
    reporter.locator("#report-form button[type=submit]").click()
    receipt_node = reporter.locator("#receipt")
    expect(receipt_node).to_be_visible(timeout=30000)
    axe_check(reporter)
    receipt = receipt_node.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{8}(-[A-Z2-7]{4}){4}", receipt)
    assert reporter.context.cookies() == []

    signal = Signal.objects.get()
    assert signal.held is False and signal.region == "MX-PUE"  # the browser solved the puzzle
    assert signal.attachments.count() == 1

    staff = open_context().new_page()
    sign_in_verified(staff, staff_a[Role.HOTLINE_ADVOCATE])
    staff.goto(f"/reports/{signal.reference}/")
    expect(staff.locator("main")).to_contain_text("taller de costura")
    axe_check(staff)
    staff.fill("textarea[name=text]", "¿Sabe la dirección del taller?")
    staff.locator("form:has(input[name=action][value=reply]) button[type=submit]").click()
    expect(staff.locator("main")).to_contain_text("¿Sabe la dirección del taller?")

    reporter.goto("/report/follow-up/?lang=es")
    axe_check(reporter)
    reporter.fill("input[name=receipt]", receipt.lower())
    reporter.locator("main button[type=submit]").click()
    expect(reporter.locator(".thread")).to_contain_text("¿Sabe la dirección del taller?")
    axe_check(reporter)
    reporter.fill("textarea[name=text]", "Calle 5 de Mayo, junto a la panadería")
    reporter.locator("form:has(input[name=action][value=reply]) button[type=submit]").click()
    expect(reporter.locator("main")).to_contain_text("Su respuesta se envió")
    axe_check(reporter)
    reporter.fill("input[name=receipt]", receipt)
    reporter.locator("main button[type=submit]").click()
    expect(reporter.locator(".thread")).to_contain_text("Calle 5 de Mayo")
    assert reporter.context.cookies() == []

    staff.reload()
    expect(staff.locator("main")).to_contain_text("Calle 5 de Mayo")


def test_a_hotline_caller_replaces_the_advocates_secret_with_a_passphrase_without_javascript(
    open_context, staff_a, org_a, settings
) -> None:
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    org_with_keys(org_a)

    advocate = open_context().new_page()
    sign_in_verified(advocate, staff_a[Role.HOTLINE_ADVOCATE])
    advocate.goto("/reports/hotline/new/")
    advocate.select_option("select[name=channel]", "call")
    advocate.select_option("select[name=language]", "es")
    advocate.fill("textarea[name=what_happened]", "Su hermana trabaja en una casa en Puebla y le quitaron el pasaporte")
    advocate.select_option("select[name=country]", "MEX")
    advocate.check("input[name=issue_receipt]")
    advocate.locator("main button[type=submit]").click()
    given_node = advocate.locator("main p.secret strong")
    expect(given_node).to_be_visible()
    expect(advocate.locator("ol.caller-steps[lang=es]")).to_contain_text("/report/follow-up/?lang=es")
    axe_check(advocate)
    given = given_node.inner_text().strip()

    caller = open_context(java_script_enabled=False).new_page()
    checker = open_context().new_page()  # axe needs JavaScript: it checks the caller's pages as they came

    def axe_check_as_served() -> None:
        checker.goto("/report/follow-up/?lang=es")
        checker.set_content(caller.content())
        axe_check(checker)

    caller.goto("/report/follow-up/?lang=es")
    caller.fill("input[name=receipt]", given)
    caller.locator("main button[type=submit]").click()
    expect(caller.locator("h1")).to_have_text("Elija su propio secreto")
    expect(caller.locator("main")).not_to_contain_text("Alpha Refuge")
    axe_check_as_served()
    caller.fill("input[name=passphrase]", "mi hermana ana vive en puebla desde 2019")
    caller.fill("input[name=passphrase_again]", "Mi hermana Ana vive en Puebla desde 2019.")
    caller.locator("form:has(input[name=choice][value=own]) button[type=submit]").click()
    expect(caller.locator("main")).to_contain_text("Su frase secreta está lista")
    axe_check_as_served()
    caller.fill("textarea[name=text]", "Puede llamar los domingos")
    caller.locator("form:has(input[name=action][value=reply]) button[type=submit]").click()
    expect(caller.locator("main")).to_contain_text("Su respuesta se envió")
    assert Message.objects.filter(author="reporter").count() == 1
    assert caller.context.cookies() == []

    caller.goto("/report/follow-up/?lang=es")
    caller.fill("input[name=receipt]", given)
    caller.locator("main button[type=submit]").click()
    expect(caller.locator(".errors")).to_be_visible()  # the advocate's receipt no longer opens anything
    assert Receipt.objects.get().must_change is False
