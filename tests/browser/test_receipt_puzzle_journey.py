"""The follow-up page in Chromium: report.js solves the receipt puzzle, and a receipt that had
ten wrong attempts opens after the harder puzzle instead of being locked out (issue 8, item 4)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from amparo.reports import abuse
from amparo.reports.models import RoutingRule
from tests.browser.conftest import axe_check
from tests.sealing_helpers import org_with_keys
from tests.test_reports import submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browser_solves_the_receipt_puzzle_and_a_locked_receipt_still_opens(
    open_context, staff_a, org_a, settings
) -> None:
    settings.AMPARO_POW_BITS = 8
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    receipt = submit(Client())
    assert reverse("report:report_followup") == "/report/follow-up/"

    reporter = open_context().new_page()
    reporter.goto("/report/follow-up/?lang=en")
    reporter.fill("input[name=receipt]", receipt)
    reporter.locator("main button[type=submit]").click()
    expect(reporter.locator(".thread")).to_be_visible(timeout=30000)
    assert abuse.count("receipt-unsolved") == 0  # the page sent a solved puzzle

    for _ in range(10):  # someone guessed at this receipt
        abuse.receipt_failed(receipt[:8])
    reporter.goto("/report/follow-up/?lang=en")
    reporter.fill("input[name=receipt]", receipt)
    reporter.locator("main button[type=submit]").click()
    expect(reporter.locator("main")).to_contain_text("do more work", timeout=30000)
    axe_check(reporter)
    reporter.locator("main button[type=submit]").click()  # the receipt is still in the box
    expect(reporter.locator(".thread")).to_be_visible(timeout=60000)
    assert abuse.count("receipt-unsolved") == 0
