"""Traces a report, a reporter's visit or a staff sign-in leaves behind (issue 8, item 5):
in Redis, on the reporter's phone, in the sign-in records and in attachment names."""

from __future__ import annotations

import base64
import io
import re
import secrets
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from amparo.core.permissions import Role
from amparo.reports import abuse
from amparo.reports.models import Signal
from tests.conftest import PASSWORD, verified_client
from tests.sealing_helpers import unlocked_client
from tests.test_reports import (  # noqa: F401
    _cheap_crypto_and_puzzles,
    _redis_or_skip,
    _worker,
    followup,
    receiving_fixture,
    solved_form,
    submit,
)

# --- Redis counters ----------------------------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    _redis_or_skip()
    prefix = f"amparo-test-{secrets.token_hex(6)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "amparo.core.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/12",
            "KEY_PREFIX": prefix,
        }
    }
    client = abuse._redis_client()
    yield client
    for name in client.keys(f"{prefix}:*"):
        client.delete(name)


def test_counter_names_come_from_the_key_file_not_from_the_cache(db):
    """Whoever holds a copy of Redis finds no secret there to recompute the counters' names."""
    name = abuse._bucket("receipt-failed", "ABCDEFGH", abuse.HOUR)[0]
    abuse.hit("receipt-failed", "ABCDEFGH")
    assert not [key for key in cache._cache if "secret" in key]  # LocMemCache: nothing but counters
    cache.clear()
    assert abuse._bucket("receipt-failed", "ABCDEFGH", abuse.HOUR)[0] == name  # same key file, same name
    assert abuse._bucket("receipt-failed", "ABCDEFGI", abuse.HOUR)[0] != name
    assert abuse._bucket("receipt-failed", "ABCDEFGH", 600)[0] != name  # each window, its own names


def _expiry_ms(client, key: str) -> int:
    full = caches["default"].make_and_validate_key(key)
    ttl = client.pttl(full)
    assert ttl > 0, f"{key} has no time to live"
    return int(time.time() * 1000) + ttl


@pytest.mark.parametrize("window", [abuse.HOUR, 600])
def test_counters_on_redis_expire_on_a_window_boundary_not_when_first_counted(redis_cache, window):
    """A counter's time to live dates nothing finer than its window: every counter of one
    window expires at the same whole second, whenever its first event came."""
    abuse.hit("org", "7", window=window)
    abuse.room(held=True, organisation_ids=[9], count_it=True)
    counted = abuse.room(held=False, organisation_ids=[11], count_it=True)
    abuse.uncount(counted.counted)
    keys = [abuse._bucket("org", "7", window)[0]]
    if window == abuse.HOUR:
        keys += [abuse._bucket(name, value, window)[0] for name, value in (("org", "9"), ("held", ""), ("org", "11"))]
    keys.append(abuse._bucket("submissions", "", window)[0])
    for key in keys:
        expiry = _expiry_ms(redis_cache, key)
        distance = min(expiry % (window * 1000), window * 1000 - expiry % (window * 1000))
        assert distance < 200, f"{key} expires {distance} ms away from a window boundary"
        assert expiry > (int(time.time()) // window + 1) * window * 1000  # outlives its window


# --- the reporter's phone ------------------------------------------------------------------------


def _assets(html: bytes) -> list[str]:
    return re.findall(rb'<(?:link|script)[^>]+(?:href|src)="(/[^"]+)"', html)


def test_public_pages_load_their_assets_with_no_store_and_from_under_report(receiving):
    client = Client()
    for page in (
        client.get(reverse("report:report_create"), {"lang": "es"}),
        client.get(reverse("report:report_followup")),
    ):
        assert page["Cache-Control"] == "no-store, max-age=0"
        assets = _assets(page.content)
        assert len(assets) >= 3, assets  # style sheet, icon, script
        for url in assets:
            assert url.startswith(b"/report/"), url
            asset = client.get(url.decode())
            assert asset.status_code == 200 and asset.content, url
            assert asset["Cache-Control"] == "no-store, max-age=0" and not asset.cookies
            assert "Last-Modified" not in asset and "ETag" not in asset
    css = client.get(_assets(client.get(reverse("report:report_create")).content)[0].decode())
    assert css["Content-Type"].startswith("text/css") and b"body" in css.content


def test_a_missing_public_page_loads_no_staff_static_file(receiving):
    page = Client().get("/report/nothing-here/", {"lang": "es"})
    assert page.status_code == 404 and page["Cache-Control"] == "no-store, max-age=0"
    assert _assets(page.content) and all(url.startswith(b"/report/") for url in _assets(page.content))


def test_only_named_public_assets_are_served_under_report(receiving):
    client = Client()
    for name in ("../settings.py", "amparo/../../settings.py", "django_htmx/htmx-2.min.js", "nothing.css"):
        assert client.get(f"/report/assets/{name}").status_code == 404


def test_no_public_template_loads_an_asset_that_browsers_keep_for_years():
    templates = Path(django_settings.BASE_DIR) / "amparo" / "templates"
    public = [
        path
        for path in templates.rglob("*.html")
        if path.name == "public_base.html" or '"reports/public_base.html"' in path.read_text()
    ]
    assert len(public) >= 4
    for path in public:
        assert "{% static" not in path.read_text(), path


def test_staff_pages_keep_caching_their_static_files(staff_a):
    page = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("core:home"))
    assert any(url.startswith(b"/static/") for url in _assets(page.content))


@pytest.fixture
def hsts(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = False
    return settings


def test_no_hsts_record_for_a_reporter_or_a_visitor_only_for_signed_in_staff(hsts, receiving, staff_a):
    """Browsers keep HSTS hosts, with the time first seen, for the max-age: no reporter gets one."""
    anonymous = Client()
    for path in (reverse("report:report_create"), reverse("report:report_followup"), reverse("accounts:login"), "/"):
        response = anonymous.get(path, secure=True)
        assert "Strict-Transport-Security" not in response, path
    assert "Strict-Transport-Security" not in anonymous.post(reverse("report:report_followup"), {}, secure=True)
    api = anonymous.post(reverse("api:report_challenge"), {}, content_type="application/json", secure=True)
    assert "Strict-Transport-Security" not in api
    staff = verified_client(staff_a[Role.CASE_WORKER])
    assert staff.get(reverse("core:home"), secure=True)["Strict-Transport-Security"].startswith("max-age=31536000")
    # A signed-in staff member opening the public form is a reporter there: cookies are dropped.
    assert "Strict-Transport-Security" not in staff.get(reverse("report:report_create"), secure=True)


# --- staff sign-in records -------------------------------------------------------------------------


def _fail_sign_in(email: str):
    return Client(
        REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="CanaryBrowser/9.1 (Pixel 7)", HTTP_ACCEPT="text/canary"
    ).post(reverse("accounts:login") + "?next=/cases/", {"username": email, "password": "wrong-password"})


def test_failed_sign_ins_keep_only_a_keyed_hash_of_the_account_and_a_coarse_time(staff_a, settings):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    worker = staff_a[Role.CASE_WORKER]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail_sign_in(worker.email)
    assert _fail_sign_in(worker.email).status_code == 429
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT
    assert attempt.ip_address is None
    assert (attempt.user_agent, attempt.http_accept, attempt.path_info) == ("", "", "")
    assert (attempt.get_data, attempt.post_data) == ("", "")
    assert worker.email not in attempt.username and len(attempt.username) == 64
    assert (attempt.attempt_time.second, attempt.attempt_time.microsecond) == (0, 0)
    assert not AccessFailureLog.objects.exists() and not AccessLog.objects.exists()


def test_the_lock_is_lifted_by_e_mail_as_before(staff_a, settings):
    from axes.utils import reset

    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    for email in (worker.email, admin.email):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _fail_sign_in(email)
    call_command("axes_reset_username", worker.email.upper(), stdout=io.StringIO())
    signed_in = Client().post(reverse("accounts:login"), {"username": worker.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert reset(username=admin.email) == 1
    assert Client().post(reverse("accounts:login"), {"username": admin.email, "password": PASSWORD}).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_raw_database_holds_no_address_browser_or_e_mail_of_a_failed_sign_in(staff_a, settings):
    from tests.rawdb import plaintext_hits

    worker = staff_a[Role.CASE_WORKER]
    worker.email = "canary.locked@x.test"
    worker.save()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _fail_sign_in("Nobody.Here@x.test")
        _fail_sign_in(worker.email)
    assert plaintext_hits("198.51.100.23", "CanaryBrowser", "text/canary", "nobody.here@x.test") == []


# --- attachment names ------------------------------------------------------------------------------


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (20, 120, 20)).save(out, format="JPEG")
    return out.getvalue()


def _downloaded_names(org) -> list[str]:
    worker = unlocked_client(_worker(org))
    names = []
    for signal in Signal.objects.all():
        for attachment in signal.attachments.all():
            response = worker.get(reverse("reports:attachment_download", args=[signal.reference, attachment.pk]))
            names.append(re.search(r'filename="([^"]+)"', response["Content-Disposition"]).group(1))
    return sorted(names)


def test_web_attachments_get_a_neutral_name_unless_the_reporter_keeps_theirs(receiving):
    client = Client()
    data = solved_form(client)
    data["attachments"] = [
        SimpleUploadedFile("IMG_20260314_231502.jpg", _jpeg(), content_type="image/jpeg"),
        SimpleUploadedFile("Screenshot 2026-03-14 at 23.15.png", _jpeg(), content_type="image/png"),
    ]
    assert client.post(reverse("report:report_create"), data).status_code == 200
    assert _downloaded_names(receiving) == ["attachment-1.jpg", "attachment-2.jpg"]
    Signal.objects.all().delete()
    kept = solved_form(client, keep_file_names="on")
    kept["attachments"] = [SimpleUploadedFile("IMG_20260314_231502.jpg", _jpeg(), content_type="image/jpeg")]
    assert client.post(reverse("report:report_create"), kept).status_code == 200
    assert _downloaded_names(receiving) == ["IMG_20260314_231502.jpg"]


def test_the_report_form_offers_to_keep_file_names_unticked(receiving):
    page = Client().get(reverse("report:report_create")).content.decode()
    box = re.search(r'<input type="checkbox" name="keep_file_names"[^>]*>', page)
    assert box and "checked" not in box.group(0)


def test_follow_up_photos_get_a_neutral_name_too(receiving):
    receipt = submit()
    photo = SimpleUploadedFile("IMG_20260315_080102.jpg", _jpeg(), content_type="image/jpeg")
    assert followup(receipt, action="reply", text="Here is the gate", attachments=[photo]).status_code == 303
    assert _downloaded_names(receiving) == ["attachment-1.jpg"]


def test_api_attachments_get_a_neutral_name_unless_keep_file_names(receiving):
    from tests.test_reports_api import post, report, solved

    photo = {"name": "PXL_20260314_231502.jpg", "content_base64": base64.b64encode(_jpeg()).decode()}
    assert post("report_submit", {**report(attachments=[photo, photo]), **solved()}).status_code == 201
    assert _downloaded_names(receiving) == ["attachment-1.jpg", "attachment-2.jpg"]
    Signal.objects.all().delete()
    body = {**report(attachments=[photo], keep_file_names=True), **solved()}
    assert post("report_submit", body).status_code == 201
    assert _downloaded_names(receiving) == ["PXL_20260314_231502.jpg"]
    assert post("report_submit", {**report(keep_file_names="perhaps"), **solved()}).status_code == 400


# --- the raw-database scan ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_raw_scan_sees_text_inside_binary_columns():
    import datetime

    from amparo.reports.models import Receipt
    from tests.rawdb import plaintext_hits

    Receipt.objects.create(
        public_id="CANARY22",
        salt=b"\x00" * 16,
        verifier=b"Bytea canary Zq7",
        reporter_public_key=b"\x01" * 32,
        issued_on=datetime.date(2026, 1, 1),
    )
    assert plaintext_hits("Bytea canary Zq7", "not stored anywhere 5Yk") == ["Bytea canary Zq7"]
