"""An administrator creates the organisation's keys for sealed reports in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amparo.accounts.models import User
from amparo.core.models import KeyGrant, OrganisationKeys
from amparo.core.permissions import Role
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import sign_in_verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_keys_sees_the_recovery_key_once_and_gives_colleagues_access(
    page: Page, staff_a: dict[str, User]
) -> None:
    admin = staff_a[Role.ORG_ADMIN]
    sign_in_verified(page, admin)
    page.goto(page.url.rstrip("/") + "/accounts/organisation/")
    page.get_by_role("link", name="Keys for sealed reports").click()
    axe_check(page)
    page.get_by_role("button", name="Create the organisation's keys").click()
    recovery = page.locator("code.secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{1,4})+", recovery)
    axe_check(page)
    assert OrganisationKeys.objects.filter(organisation=admin.organisation).exists()
    page.goto(page.url)  # a fresh GET of the keys page
    expect(page.locator("code.secret")).to_have_count(0)  # shown once
    # Colleagues who have signed in since the keys exist can be given access.
    assert KeyGrant.objects.filter(user=admin).exists()
    # Rotating: nothing happens without the confirmation; with it, a new recovery key, once.
    page.get_by_role("button", name="Rotate the organisation key").click()
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
    assert OrganisationKeys.objects.get(organisation=admin.organisation).generation == 1
    axe_check(page)
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Rotate the organisation key").click()
    rotated = page.locator("code.secret").inner_text()
    assert rotated != recovery and re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{1,4})+", rotated)
    expect(page.get_by_text("The earlier recovery key no longer opens anything")).to_be_visible()
    axe_check(page)
    assert OrganisationKeys.objects.get(organisation=admin.organisation).generation == 2
