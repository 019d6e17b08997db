"""Page weight of Amparo's pages on first load, measured in Chromium.

    .venv/bin/python bench/page_weight.py

Starts Amparo on a throwaway SQLite database in a temporary directory (migrate, seed_demo,
collectstatic), serves it with gunicorn on a free loopback port with static files served
by WhiteNoise exactly as in production (CompressedManifestStaticFilesStorage: gzip copies
made at collectstatic, served to browsers that accept them), signs in two demo accounts
and opens every main page in a fresh browser context (empty cache, so a first load).

The authority's route map (decision 0042) is measured too: it is the one page allowed up
to 500 KB, since it carries Leaflet and the Natural Earth borders that replace a tile server.

For each page it reports the requests made, the bytes on the wire (Chrome DevTools
Protocol, Network.loadingFinished encodedDataLength: headers + body as transferred) and
the decoded bytes (Network.dataReceived dataLength: what the same responses weigh without
any compression). The target (docs/quality.md) is <= 100 KB transferred on first load.

Two reference rows are measured on the same server in the same run:
  * floor: /health/, the smallest response the server gives (a 2-byte body, so nearly all
    of it is the response headers every Amparo response carries);
  * static: each static file alone, compressed and uncompressed, to show what WhiteNoise's
    compression saves.

The only process it starts is the gunicorn server, which it always terminates.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
TARGET_KB = 100
MAP_TARGET_KB = 500  # the route map page: Leaflet + Natural Earth borders (decision 0042)
MAP_PATH = "/routes/"
ORG_ADMIN = "org-admin@amanecer.example"
CASE_WORKER = "case-worker@amanecer.example"
AUTHORITY = "authority@amanecer.example"
NEW_USER = "first-sign-in@amanecer.example"  # created by this script, without a device
DEMO_PASSWORD = "amparo-demo-2026"  # noqa: S105  (the published demo password, DEBUG only)

SETTINGS = """\
# Written by bench/page_weight.py: Amparo's settings with production static files.
from amparo.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
# amparo/static belongs to no app, so collectstatic finds it only through STATICFILES_DIRS.
_PROJECT_STATIC = BASE_DIR / "amparo" / "static"  # noqa: F405
if not any(str(entry) == str(_PROJECT_STATIC) for entry in globals().get("STATICFILES_DIRS", [])):
    STATICFILES_DIRS = [*globals().get("STATICFILES_DIRS", []), _PROJECT_STATIC]
    PAGE_WEIGHT_ADDED_STATIC_DIR = True
"""

CREATE_NEW_USER = f'''
from amparo.accounts.models import Organisation, User
org = User.objects.get(email="{ORG_ADMIN}").organisation
if not User.objects.filter(email="{NEW_USER}").exists():
    User.objects.create_user("{NEW_USER}", "{DEMO_PASSWORD}", full_name="Demo First Sign-in",
                             organisation=org, role="case_worker", language="es", is_demo=True)
'''


@dataclass
class Load:
    label: str
    path: str
    target_kb: int = TARGET_KB
    requests: int = 0
    transferred: int = 0
    decoded: int = 0
    statuses: list[int] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    parts: list[tuple[str, int, int]] = field(default_factory=list)  # (url path, transferred, decoded)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until_up(base_url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before it served a request")
        try:
            with urllib.request.urlopen(base_url + "/health/", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /health/ in time")


def measure(
    browser: Browser,
    base_url: str,
    path: str,
    label: str,
    state: dict | None = None,
    *,
    only_url: bool = False,
    **headers: str,
) -> Load:
    """Open `path` in a brand-new context (empty cache) and add up what crossed the wire.

    With only_url, count the response for `path` alone (not the /favicon.ico that Chromium
    asks for when it shows a non-HTML document)."""
    context = browser.new_context(base_url=base_url, storage_state=state, extra_http_headers=headers or None)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    finished: dict[str, int] = {}
    decoded: dict[str, int] = {}
    statuses: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    failed: list[str] = []
    cdp.on("Network.loadingFailed", lambda e: failed.append(e.get("errorText", "failed")))
    cdp.on("Network.responseReceived", lambda e: statuses.__setitem__(e["requestId"], e["response"]["status"]))
    cdp.on(
        "Network.dataReceived",
        lambda e: decoded.__setitem__(e["requestId"], decoded.get(e["requestId"], 0) + e["dataLength"]),
    )
    cdp.on("Network.loadingFinished", lambda e: finished.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.goto(path, wait_until="load")
    page.wait_for_load_state("networkidle")
    final_path = page.url.removeprefix(base_url)
    context.close()
    if final_path != path:
        raise SystemExit(f"{label}: {path} redirected to {final_path}; the sign-in did not hold")
    if only_url:
        finished = {rid: size for rid, size in finished.items() if urls.get(rid) == base_url + path}
        failed = []
    load = Load(label, path)
    load.requests = len(finished) + len(failed)
    load.failed = failed
    load.transferred = sum(finished.values())
    load.decoded = sum(decoded.get(request_id, 0) for request_id in finished)
    load.parts = [
        (urls.get(rid, "?").removeprefix(base_url), size, decoded.get(rid, 0)) for rid, size in finished.items()
    ]
    load.statuses = sorted(statuses.get(request_id, 0) for request_id in finished)
    return load


def sign_in(
    browser: Browser, base_url: str, env: dict[str, str], email: str, *, verify: bool = True
) -> tuple[dict, dict | None]:
    """Sign in; return the storage state before the second step and (if verify) after it."""
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    before = context.storage_state()
    after = None
    if verify:
        if "/two-factor/verify/" not in page.url:
            raise SystemExit(f"{email}: expected the two-factor step, got {page.url}")
        page.fill("input[name=token]", run(env, "demo_code", email).strip())
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
        if page.url.rstrip("/") != base_url:
            raise SystemExit(f"{email}: two-factor step failed, at {page.url}")
        after = context.storage_state()
    context.close()
    return before, after


def first_link(browser: Browser, base_url: str, state: dict, path: str, pattern: str) -> str:
    context = browser.new_context(base_url=base_url, storage_state=state)
    page = context.new_page()
    page.goto(path)
    hrefs = [page.locator("main a").nth(i).get_attribute("href") or "" for i in range(page.locator("main a").count())]
    context.close()
    for href in hrefs:
        if re.fullmatch(pattern, href):
            return href
    raise SystemExit(f"no link matching {pattern} on {path}")


def kb(n: int) -> str:
    return f"{n / 1024:.1f}"


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="amparo-page-weight-"))
    (tmp / "page_weight_settings.py").write_text(SETTINGS)
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "AMPARO_ENV"}
    }
    env.update(
        AMPARO_VAR_DIR=str(tmp / "var"),
        AMPARO_DEBUG="1",
        STATIC_ROOT=str(tmp / "static"),
        DJANGO_SETTINGS_MODULE="page_weight_settings",
        PYTHONPATH=os.pathsep.join([str(tmp), str(ROOT)]),
        LOG_LEVEL="WARNING",
    )
    server: subprocess.Popen | None = None
    try:
        print(f"setting up a throwaway instance in {tmp} ...", file=sys.stderr)
        run(env, "compile_catalogues")
        run(env, "migrate", "--noinput")
        run(env, "seed_demo")
        run(env, "shell", "-c", CREATE_NEW_USER)
        run(env, "rebuild_routes")
        run(env, "collectstatic", "--noinput")
        added = run(
            env,
            "shell",
            "-c",
            "from django.conf import settings; print(hasattr(settings, 'PAGE_WEIGHT_ADDED_STATIC_DIR'))",
        )
        note = (
            "NOTE: amparo/settings.py does not collect amparo/static (no STATICFILES_DIRS); "
            "this run adds it so that the stylesheet and icon are served and counted."
            if added.split()[-1:] == ["True"]
            else ""
        )
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = (tmp / "gunicorn.log").open("w")
        server = subprocess.Popen(
            [GUNICORN, "amparo.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        try:
            wait_until_up(base_url, server)
        except SystemExit:
            log.flush()
            print((tmp / "gunicorn.log").read_text(), file=sys.stderr)
            raise

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                loads = measure_all(browser, base_url, env)
                version = browser.version
            finally:
                browser.close()
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    pages, references = loads
    if note:
        print(note)
    print(f"Amparo page weight, first load (empty cache), Chromium {version}, gunicorn + WhiteNoise, SQLite demo data")
    header = f"{'page':<44} {'path':<34} {'requests':>8} {'KB transferred':>15} {'KB uncompressed':>16} {'target':>9}"
    print(header)
    print("-" * len(header))
    for load in pages:
        ok = f"{load.target_kb} {'yes' if load.transferred <= load.target_kb * 1024 else 'NO'}"
        print(
            f"{load.label:<44} {load.path:<34} {load.requests:>8} {kb(load.transferred):>15} {kb(load.decoded):>16} {ok:>9}"
        )
    print()
    print("Reference rows, same server, same run (one request each):")
    for load in references:
        print(f"{load.label:<44} {load.path:<34} {load.requests:>8} {kb(load.transferred):>15} {kb(load.decoded):>16}")
    print()
    print(f"What one page is made of ({pages[0].label}, {pages[0].path}):")
    for url, transferred, decoded_size in sorted(pages[0].parts, key=lambda part: -part[1]):
        print(f"  {url:<76} {kb(transferred):>15} {kb(decoded_size):>16}")
    heaviest = max(pages, key=lambda load: load.transferred)
    print()
    within = sum(load.transferred <= load.target_kb * 1024 for load in pages)
    print(
        f"pages within target ({TARGET_KB} KB; the route map {MAP_TARGET_KB} KB): {within}/{len(pages)}; "
        f"heaviest: {heaviest.label} at {kb(heaviest.transferred)} KB"
    )
    route_map = next((load for load in pages if load.path == MAP_PATH), None)
    if route_map is not None:
        print()
        print(f"What the route map is made of ({route_map.path}):")
        for url, transferred, decoded_size in sorted(route_map.parts, key=lambda part: -part[1]):
            print(f"  {url:<76} {kb(transferred):>15} {kb(decoded_size):>16}")
    bad = [load for load in pages if load.failed or any(status >= 400 for status in load.statuses)]
    if bad:
        print("error responses on: " + ", ".join(load.label for load in bad))
        return 1
    return 0


def measure_all(browser: Browser, base_url: str, env: dict[str, str]) -> tuple[list[Load], list[Load]]:
    pages: list[Load] = []
    pages.append(measure(browser, base_url, "/accounts/login/", "public: sign in"))
    pages.append(measure(browser, base_url, "/accounts/password-reset/", "public: password reset"))
    pages.append(measure(browser, base_url, "/report/", "public: front page"))
    pages.append(measure(browser, base_url, "/report/new/", "public: report a situation"))
    pages.append(measure(browser, base_url, "/report/follow-up/", "public: follow up with a receipt"))
    pages.append(measure(browser, base_url, "/help/?lang=es", "public: find help"))
    pages.append(measure(browser, base_url, "/help/?country=MEX&type=shelter&lang=es", "public: find help, results"))
    pages.append(measure(browser, base_url, "/help/pages/?lang=es", "public: awareness pages"))

    # Password only (a session of its own, since verifying would upgrade it), then both steps.
    unverified, _none = sign_in(browser, base_url, env, ORG_ADMIN, verify=False)
    pages.append(measure(browser, base_url, "/accounts/two-factor/verify/", "org admin: two-factor code", unverified))
    _unverified, admin = sign_in(browser, base_url, env, ORG_ADMIN)
    assert admin is not None
    member = first_link(browser, base_url, admin, "/accounts/staff/", r"/accounts/staff/\d+/")
    for path, label in [
        ("/", "org admin: home"),
        ("/accounts/staff/", "org admin: staff list + invite"),
        (member, "org admin: staff member"),
        ("/accounts/staff/invite/", "org admin: invite form"),
        ("/accounts/organisation/", "org admin: organisation"),
        ("/accounts/organisation/edit/", "org admin: edit organisation"),
        ("/audit/", "org admin: audit log"),
    ]:
        pages.append(measure(browser, base_url, path, label, admin))

    _unverified, worker = sign_in(browser, base_url, env, CASE_WORKER)
    assert worker is not None
    case = first_link(browser, base_url, worker, "/cases/", r"/cases/(?!new/)[^/]+/")
    for path, label in [
        ("/", "case worker: home"),
        ("/cases/", "case worker: case list"),
        ("/cases/new/", "case worker: consent, before registering"),
        ("/reports/", "case worker: signals inbox"),
        (case, "case worker: case file"),
        (f"{case}screen/?tool=ilo_ec_children_sexual", "case worker: screening, longest ILO-EC list"),
    ]:
        pages.append(measure(browser, base_url, path, label, worker))

    _unverified, authority = sign_in(browser, base_url, env, AUTHORITY)
    assert authority is not None
    route_map = measure(browser, base_url, MAP_PATH, "authority: route map (Leaflet + borders)", authority)
    route_map.target_kb = MAP_TARGET_KB
    pages.append(route_map)

    fresh, _none = sign_in(browser, base_url, env, NEW_USER, verify=False)
    pages.append(measure(browser, base_url, "/accounts/two-factor/setup/", "new user: two-factor setup (QR)", fresh))

    references = [measure(browser, base_url, "/health/", "floor: /health/ (2-byte body)", only_url=True)]
    for name in ("amparo/amparo.css", "amparo/favicon.svg"):
        path = f"/static/{name}"
        references.append(measure(browser, base_url, path, f"static {name}, gzip (WhiteNoise)", only_url=True))
        references.append(
            measure(
                browser,
                base_url,
                path,
                f"static {name}, no compression",
                only_url=True,
                **{"Accept-Encoding": "identity"},
            )
        )
    return pages, references


if __name__ == "__main__":
    sys.exit(main())
