"""Issue 8, items 7, 8, 10 and 11 in Chromium: the reporter sees who receives the report,
must keep at least one of the two organisations, keeps both and agrees to passing it on
to services; a case worker sees the co-recipient, opens a case from the signal (the place
and the facts carried over) and the case file lists the signal; the reporter's follow-up
page shows the report, who holds it and each status."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from amparo.cases.models import Case, TraffickingEvent
from amparo.core.permissions import Role
from amparo.reports.models import RoutingRule, Signal
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import sign_in_verified
from tests.sealing_helpers import org_with_keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STORY = "Two boys work nights in the brick kiln on the Atlixco road and are never paid"


def test_a_report_chosen_for_two_organisations_becomes_a_case_and_the_reporter_sees_who_holds_it(
    open_context, staff_a, org_a, staff_b, org_b, settings
) -> None:
    settings.AMPARO_POW_BITS = 8
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    for org in (org_a, org_b):
        org_with_keys(org)
        RoutingRule.objects.create(organisation=org, country="MEX")

    reporter = open_context().new_page()
    reporter.goto("/report/new/?lang=en")  # /report/ is the front page
    reporter.fill("textarea[name=what_happened]", STORY)
    reporter.select_option("select[name=country]", "MEX")
    reporter.fill("input[name=region_text]", "Puebla")
    reporter.fill("input[name=city]", "Atlixco")
    reporter.check("input[name=danger][value=no]")
    reporter.check("input[name=consent_services]")
    reporter.locator("#report-form button[type=submit]").click()

    recipients = reporter.locator("#recipients")
    expect(recipients).to_contain_text(org_a.name, timeout=30000)
    expect(recipients).to_contain_text(org_b.name)
    axe_check(reporter)
    assert not Signal.objects.exists()  # nothing is sent before the reporter has seen who receives it
    for box in reporter.locator("#recipients input[name=recipients]").all():
        box.uncheck()
    reporter.locator("#report-form button[type=submit]").click()
    expect(reporter.locator("#recipients")).to_contain_text("Choose at least one organisation")
    assert not Signal.objects.exists()
    for box in reporter.locator("#recipients input[name=recipients]").all():
        box.check()
    reporter.locator("#report-form button[type=submit]").click()
    receipt_node = reporter.locator("#receipt")
    expect(receipt_node).to_be_visible(timeout=30000)
    receipt = receipt_node.inner_text().strip()
    assert set(Signal.objects.values_list("organisation_id", flat=True)) == {org_a.pk, org_b.pk}
    signal = Signal.objects.get(organisation=org_a)
    assert signal.consent_services is True and signal.consent_police is False

    staff = open_context().new_page()
    sign_in_verified(staff, staff_a[Role.CASE_WORKER])
    staff.goto(f"/reports/{signal.reference}/")
    expect(staff.locator(".co-recipients")).to_have_text(org_b.name)
    axe_check(staff)
    staff.get_by_role("link", name="Open a case from this signal").click()
    expect(staff.locator(".callout").first).to_contain_text(signal.reference)
    staff.check("input[name=explained]")
    staff.check("input[name=given_by][value=person]")
    staff.check("input[name=agreed_services]")
    staff.locator("main button[type=submit]").click()
    expect(staff).to_have_url(re.compile(rf"/cases/new/[0-9a-f-]+/\?signal={signal.reference}$"))
    expect(staff.locator("textarea[name=summary]")).to_have_value(re.compile("brick kiln"))
    axe_check(staff)
    staff.fill("input[name=given_name]", "Mateo")
    staff.locator("main form button[type=submit]").last.click()
    case = Case.objects.get()
    expect(staff).to_have_url(re.compile(rf"/cases/{case.reference}/$"))
    expect(staff.locator(".linked-signals")).to_contain_text(signal.reference)
    axe_check(staff)
    assert TraffickingEvent.objects.filter(case=case, country="MEX", region="Puebla", city="Atlixco").exists()
    staff.locator(".linked-signals a").click()
    expect(staff.locator("main")).to_contain_text(case.reference)

    reporter.goto("/report/follow-up/?lang=en")
    reporter.fill("input[name=receipt]", receipt)
    reporter.locator("main button[type=submit]").click()
    holders = reporter.locator("table.holders")
    expect(holders).to_contain_text(org_a.name)
    expect(holders).to_contain_text(org_b.name)
    expect(holders.locator("tr", has_text=org_a.name)).to_contain_text("Being followed up")
    expect(holders.locator("tr", has_text=org_b.name)).to_contain_text("Received, not read yet")
    reporter.locator(".your-report summary").click()
    expect(reporter.locator(".your-report")).to_contain_text(STORY)
    axe_check(reporter)
    assert reporter.context.cookies() == []
