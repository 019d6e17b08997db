"""Main journeys of Amparo, end to end in Chromium, with axe-core on every page visited."""

from __future__ import annotations

import base64
import re

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect

from amparo.accounts.models import Invitation, Organisation, User
from amparo.cases.models import Case
from amparo.core.permissions import Role
from tests.browser.conftest import axe_check, sign_in, totp_code, totp_for_key
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_verified(page: Page, user: User) -> None:
    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/verify/"))
    axe_check(page)
    page.fill("input[name=token]", totp_code(user))
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))


def sign_out(page: Page) -> None:
    page.locator("header form[action$='/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def nav_link(page: Page, label: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("navigation", name=re.compile(".+")).get_by_role("link", name=label, exact=True)


def spanish(message: str) -> str:
    with translation.override("es"):
        return translation.gettext(message)


def test_org_admin_invites_staff_and_edits_organisation(page: Page, staff_a: dict[str, User]) -> None:
    admin = staff_a[Role.ORG_ADMIN]

    page.goto("/accounts/login/")
    axe_check(page)
    sign_in_verified(page, admin)
    expect(page.locator("h1")).to_contain_text("Welcome")
    axe_check(page)

    nav_link(page, "Staff").click()
    expect(page).to_have_url(re.compile(r"/accounts/staff/$"))
    expect(page.locator("h1")).to_have_text("Staff")
    axe_check(page)

    worker = staff_a[Role.CASE_WORKER]
    page.locator(f"main a[href$='/accounts/staff/{worker.pk}/']").click()
    expect(page.locator("h1")).to_have_text(worker.full_name)
    axe_check(page)
    page.get_by_role("link", name="Back to staff").click()
    expect(page).to_have_url(re.compile(r"/accounts/staff/$"))

    invite = page.locator("form[action$='/staff/invite/']")
    invite.locator("input[name=email]").fill("new.person@orga.test")
    invite.locator("select[name=role]").select_option(Role.CASE_WORKER)
    invite.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/staff/$"))
    expect(page.locator(".messages")).to_contain_text("new.person@orga.test")
    pending = page.locator("ul.plain li", has_text="new.person@orga.test")
    expect(pending).to_contain_text(str(Role.CASE_WORKER.label))
    axe_check(page)
    assert Invitation.objects.filter(email="new.person@orga.test").exists()

    nav_link(page, "Audit log").click()
    expect(page).to_have_url(re.compile(r"/audit/$"))
    invite_row = page.locator("tbody tr", has_text="Invited a staff member")
    expect(invite_row.first).to_contain_text(admin.full_name)
    expect(invite_row.first).to_contain_text("new.person@orga.test")
    axe_check(page)

    nav_link(page, "Organisation").click()
    expect(page).to_have_url(re.compile(r"/accounts/organisation/$"))
    axe_check(page)
    page.get_by_role("link", name="Edit the profile").click()
    expect(page).to_have_url(re.compile(r"/accounts/organisation/edit/$"))
    axe_check(page)
    page.fill("input[name=city]", "Oaxaca de Juárez")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/organisation/$"))
    expect(page.locator("dl.facts")).to_contain_text("Oaxaca de Juárez")
    axe_check(page)
    assert Organisation.objects.get(pk=admin.organisation_id).city == "Oaxaca de Juárez"

    sign_out(page)
    axe_check(page)
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_new_user_sets_up_two_factor_on_first_sign_in(page: Page, org_a: Organisation) -> None:
    user = User.objects.create_user(
        "first.day@orga.test", PASSWORD, full_name="First Day", organisation=org_a, role=Role.CASE_WORKER
    )

    sign_in(page, user.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/$"))
    axe_check(page)

    # Nothing else opens before the second step is set up.
    page.goto("/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/$"))

    secret = page.locator("code.secret").inner_text().strip()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("input[name=token]", totp_for_key(key))
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_contain_text("Welcome")
    expect(page.locator(".messages")).to_be_visible()
    axe_check(page)
    assert user.totpdevice_set.get().confirmed


def test_case_worker_works_in_spanish(page: Page, open_context, staff_a: dict[str, User]) -> None:  # type: ignore[no-untyped-def]
    worker = staff_a[Role.CASE_WORKER]
    sign_in_verified(page, worker)
    axe_check(page)

    page.locator("header form.lang button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("header form.lang button[name=language]")).to_have_text("English")
    cases_label = spanish("Cases")
    # While the Spanish catalogue is being written, an untranslated label stays in English.
    expect(nav_link(page, cases_label)).to_be_visible()
    axe_check(page)
    worker.refresh_from_db()
    assert worker.language == "es"

    nav_link(page, cases_label).click()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    axe_check(page)
    page.locator("main a.button.primary[href$='/cases/new/']").click()
    expect(page).to_have_url(re.compile(r"/cases/new/$"))
    axe_check(page)
    page.check("input[name=explained]")
    page.check("input[name=given_by][value=person]")
    page.check("input[name=agreed_services]")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/new/[0-9a-f-]{36}/$"))
    axe_check(page)
    page.fill("input[name=given_name]", "Dora")
    page.fill("input[name=family_name]", "Ficticia Ejemplo")
    page.fill("input[name=phone]", "+52 55 4444 0199")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/[^/]+/$"))
    expect(page.locator("dl.facts")).to_contain_text("Dora Ficticia Ejemplo")
    expect(page.locator("dl.facts")).to_contain_text("+52 55 4444 0199")
    reference = page.url.rstrip("/").rsplit("/", 1)[1]
    axe_check(page)

    page.goto("/cases/")
    page.fill("input[name=q]", "+52 55 4444 0199")
    page.locator("form[role=search] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/cases/\?q="))
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link", name=reference)).to_be_visible()
    expect(rows.first).to_contain_text("Dora Ficticia Ejemplo")
    axe_check(page)

    # Sign out and in again in the same browser: still Spanish (the language cookie).
    sign_out(page)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    sign_in_verified(page, worker)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(nav_link(page, cases_label)).to_be_visible()

    # A different browser with no cookie: the choice saved on the account applies once signed in.
    other = open_context().new_page()
    other.goto("/accounts/login/")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    sign_in(other, worker.email, PASSWORD)
    expect(other.locator("html")).to_have_attribute("lang", "es")
    other.fill("input[name=token]", totp_code(worker))
    other.locator("main button[type=submit]").click()
    expect(other).to_have_url(re.compile(r"/$"))
    expect(other.locator("html")).to_have_attribute("lang", "es")
    expect(other.locator("header form.lang button[name=language]")).to_have_text("English")
    axe_check(other)


def test_phone_screen_has_no_horizontal_scroll(open_context, staff_a: dict[str, User]) -> None:  # type: ignore[no-untyped-def]
    page = open_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True).new_page()
    worker = staff_a[Role.CASE_WORKER]
    case = Case.objects.create(
        organisation=worker.organisation,
        person_name="Elena Prueba Inventada",
        phone="+52 55 0000 0303",
        created_by=worker,
    )

    page.goto("/accounts/login/")
    assert_no_horizontal_scroll(page)
    axe_check(page)
    sign_in_verified(page, worker)
    for path in ("/", "/cases/", f"/cases/{case.reference}/screen/?tool=ilo_ec_children_sexual"):
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        assert_no_horizontal_scroll(page)
        axe_check(page)


def assert_no_horizontal_scroll(page: Page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} scrolls sideways: {width}px content in a {inner}px window"


def test_repeated_wrong_passwords_lock_the_account(page: Page, staff_a: dict[str, User]) -> None:
    user = staff_a[Role.HOTLINE_ADVOCATE]
    for attempt in range(5):
        sign_in(page, user.email, f"wrong-password-{attempt}")
        if attempt < 4:
            expect(page.locator("main .errors")).to_be_visible()
            expect(page.locator("h1")).to_have_text("Sign in")
    axe_check(page)

    sign_in(page, user.email, PASSWORD)
    expect(page.locator("h1")).to_have_text("Sign-in paused")
    expect(page).to_have_title(re.compile("Sign-in paused"))
    axe_check(page)
    # The lock is real: the locked page is all there is, no two-factor step.
    page.goto("/cases/")  # (the root would send a visitor to the public front page)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_password_reset_page(page: Page, staff_a: dict[str, User]) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"/accounts/password-reset/$"))
    axe_check(page)
    page.fill("input[name=email]", staff_a[Role.ANALYST].email)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/password-reset/sent/$"))
    axe_check(page)
