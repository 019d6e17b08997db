"""Real-browser fixtures: Debian's Chromium driven by Playwright, axe-core for accessibility.

Every page fixture records the requests the browser makes; a request to any host other
than the live server fails the test at teardown (Amparo loads nothing from third parties),
and so does a stylesheet, script or icon that does not load (4xx/5xx or a network error).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body (fixtures, TOTP codes) are still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from django_otp.oath import TOTP  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class BrowserSession:
    """A fresh browser context plus the list of third-party requests it made."""

    def __init__(self, browser: Browser, base_url: str, **context_options: object) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).hostname
        self.foreign: list[str] = []
        self.broken: list[str] = []
        self.context = browser.new_context(base_url=self.base_url, locale="en-GB", **context_options)  # type: ignore[arg-type]
        self.context.on("request", self._on_request)
        self.context.on("response", self._on_response)
        self.context.on("requestfailed", lambda request: self.broken.append(f"{request.url} ({request.failure})"))

    def _on_request(self, request) -> None:  # type: ignore[no-untyped-def]
        parts = urlsplit(request.url)
        if parts.scheme in {"data", "blob", "about"}:
            return
        if parts.hostname != self.host:
            self.foreign.append(request.url)

    def _on_response(self, response) -> None:  # type: ignore[no-untyped-def]
        # Pages may answer 4xx on purpose (a lock-out); a stylesheet, icon or script may not.
        if response.status >= 400 and response.request.resource_type != "document":
            self.broken.append(f"{response.url} ({response.status})")

    def new_page(self) -> Page:
        return self.context.new_page()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_context(browser: Browser, live_server):  # type: ignore[no-untyped-def]
    """Factory for extra fresh contexts (a second device, a phone-sized screen)."""
    sessions: list[BrowserSession] = []

    def factory(**context_options: object) -> BrowserSession:
        session = BrowserSession(browser, live_server.url, **context_options)
        sessions.append(session)
        return session

    yield factory
    foreign = [url for session in sessions for url in session.foreign]
    broken = sorted({url for session in sessions for url in session.broken})
    for session in sessions:
        session.close()
    assert not foreign, f"third-party requests were made: {foreign}"
    assert not broken, f"sub-resources failed to load: {broken}"


@pytest.fixture
def page(open_context) -> Page:  # type: ignore[no-untyped-def]
    """A page in a fresh context; any request off the live server's host fails the test."""
    return open_context().new_page()


_axe = Axe()


def axe_check(page: Page) -> None:
    """Run axe-core on the page; fail on any serious or critical violation."""
    results = _axe.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"axe: {len(blocking)} serious/critical violation(s) on {page.url}"]
        for violation in blocking:
            targets = ", ".join(str(node.get("target")) for node in violation["nodes"][:5])
            lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
        pytest.fail("\n".join(lines))


def totp_code(user) -> str:  # type: ignore[no-untyped-def]
    """The code the user's authenticator shows now (or the next one, if this one was used)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return totp_for_key(
        device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift, last_t=device.last_t
    )


def totp_for_key(key: bytes, *, step: int = 30, t0: int = 0, digits: int = 6, drift: int = 0, last_t: int = -1) -> str:
    totp = TOTP(key, step, t0, digits, drift)
    now = time.time()
    totp.time = now
    if totp.t() <= last_t:  # a code is accepted once; the next step is inside the tolerance
        totp.time = now + step * (last_t + 1 - totp.t())
    return f"{totp.token():0{digits}d}"


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
