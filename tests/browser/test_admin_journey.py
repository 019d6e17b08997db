"""An administrator's morning in Chromium with axe-core (issue 8, items 12-15): a colleague
locked out by failed sign-ins is unlocked from the staff page; a closure is decided with
the need-to-know summary, the case worker is e-mailed; the audit log reads in words, with
dates no reader can swap."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from amparo.accounts.models import User
from amparo.cases import services
from amparo.core.permissions import Role
from tests.browser.conftest import axe_check, sign_in
from tests.browser.test_journeys import sign_in_verified, sign_out
from tests.conftest import PASSWORD, as_verified, registered_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_locked_out_colleague_is_unlocked_by_the_administrator(
    page: Page, staff_a: dict[str, User], settings
) -> None:
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(page, worker.email, "not-my-password")
    sign_in(page, worker.email, PASSWORD)
    expect(page.locator("main")).to_contain_text("paused for 60 minutes after the last failed attempt")
    axe_check(page)

    sign_in_verified(page, admin)
    notice = page.locator("main section[aria-labelledby=admin-notices]")
    expect(notice).to_contain_text("1 colleague is locked out after failed sign-ins.")
    axe_check(page)
    notice.get_by_role("link", name="See the staff page").click()
    row = page.locator("main tbody tr", has_text=worker.full_name)
    expect(row).to_contain_text("Sign-in locked until")
    axe_check(page)
    row.get_by_role("button", name=re.compile("Unlock")).click()
    expect(page.locator(".messages")).to_contain_text(f"{worker.full_name} can sign in again.")
    expect(page.locator("main tbody tr", has_text=worker.full_name)).not_to_contain_text("Sign-in locked")
    sign_out(page)

    sign_in_verified(page, worker)
    expect(page).to_have_url(re.compile(r"/$"))


def test_a_closure_decided_with_a_summary_notifies_the_worker_and_reads_in_the_log(
    page: Page, staff_a: dict[str, User]
) -> None:
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    case = registered_case(worker)
    services.service_plan(
        actor=as_verified(worker),
        case=case,
        plan_type="education",
        service_type="shelter",
        due_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    services.closure_request(actor=as_verified(worker), case=case, reason="services_completed")

    sign_in_verified(page, admin)
    page.goto("/cases/closures/")
    page.locator("main tbody").get_by_role("link", name=case.reference).click()
    summary = page.locator("main section[aria-labelledby=decision-summary]")
    expect(summary).to_contain_text("1 open (of which 0 overdue), 0 done, 0 cancelled")
    expect(summary).to_contain_text("Active")
    expect(page.locator("main")).not_to_contain_text("Yolanda")
    expect(summary.get_by_role("link")).to_have_count(0)  # nothing that would 404
    axe_check(page)
    page.check("input[name=decision][value=approve]")
    page.locator("main form[method=post] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/closures/$"))
    assert [message.to for message in mail.outbox] == [[worker.email]]
    assert case.reference in mail.outbox[0].body and "Yolanda" not in mail.outbox[0].body

    page.goto("/audit/")
    page.fill("input[name=reference]", case.reference)
    page.locator("main form.inline button[type=submit]").click()
    rows = page.locator("main tbody tr")
    expect(rows.filter(has_text="Approved the closure of a case")).to_have_count(1)
    expect(rows.first).to_contain_text(case.reference)
    expect(rows.filter(has_text=worker.full_name).first).to_be_visible()
    today = timezone.localdate()
    expect(rows.first).to_contain_text(f"{today.day} {today.strftime('%b')} {today.year}")
    assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", page.locator("main").inner_text())
    axe_check(page)
