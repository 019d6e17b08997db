"""No reporter's address, user agent, referer or precise time is kept anywhere.

Reports, follow-ups and API calls are made with a distinctive address (also in
X-Forwarded-For and X-Real-IP), user agent and referer. Afterwards the raw database file,
every log record of every logger (captured at DEBUG), every file under the var directory
and MEDIA_ROOT, the cache and the outgoing mail are scanned for them: zero hits.
"""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from amparo.reports.models import Signal
from tests.rawdb import raw_database_bytes
from tests.sealing_helpers import unlocked_client
from tests.test_reports import _cheap_crypto_and_puzzles, _worker, receiving_fixture, solved_form  # noqa: F401

CANARY_IP = "203.0.113.77"
CANARY_UA = "AmparoLeakCanary/9.9"
CANARY_REFERER = "https://canary-referer.example/leak"
NEEDLES = [CANARY_IP, CANARY_UA, "LeakCanary", "canary-referer", "203.0.113"]
HEADERS = {
    "REMOTE_ADDR": CANARY_IP,
    "HTTP_X_FORWARDED_FOR": f"{CANARY_IP}, 10.0.0.1",
    "HTTP_X_REAL_IP": CANARY_IP,
    "HTTP_FORWARDED": f"for={CANARY_IP}",
    "HTTP_USER_AGENT": CANARY_UA,
    "HTTP_REFERER": CANARY_REFERER,
}


@pytest.fixture
def every_log_record(caplog):
    """caplog's handler on every logger, including those that do not propagate."""
    caplog.set_level(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)] + [logging.getLogger()]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.addHandler(caplog.handler)
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
    yield caplog
    for lg, level, disabled in saved:
        lg.removeHandler(caplog.handler)
        lg.setLevel(level)
        lg.disabled = disabled


def _log_text(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.__dict__))
    return "\n".join(parts)


def _files_written() -> bytes:
    roots = {Path(django_settings.VAR_DIR), Path(django_settings.MEDIA_ROOT)}
    data = b""
    for root in roots:
        if root.exists():
            for path in root.rglob("*"):
                if path.is_file() and path.stat().st_size < 200_000_000:
                    data += path.read_bytes()
    return data


def _cache_bytes() -> bytes:
    from django.core.cache import cache

    store = getattr(cache, "_cache", {})
    return b"".join(pickle.dumps((k, v)) for k, v in store.items())


def _hits(blob: bytes) -> list[str]:
    return [n for n in NEEDLES if n.encode() in blob or n.encode("utf-16-le") in blob]


@pytest.mark.django_db(transaction=True)
def test_no_reporter_address_or_browser_is_kept_anywhere(receiving, every_log_record):  # noqa: F811
    client = Client(**HEADERS)
    client.get(reverse("report:report_create"), {"lang": "es"})
    page = client.post(reverse("report:report_create"), solved_form(client))
    receipt = re.sub(r"<[^>]+>", "", re.search(r'id="receipt"><strong>(.+?)</strong>', page.content.decode()).group(1))
    client.post(reverse("report:report_create"), {"what_happened": ""})  # an invalid one too
    client.post(reverse("report:report_followup"), {"receipt": "AAAAAAAA-BBBB-CCCC-DDDD-EEEE"})
    signal = Signal.objects.get()
    unlocked_client(_worker(receiving)).post(
        reverse("reports:signal_detail", args=[signal.reference]), {"action": "reply", "text": "Hello"}
    )
    client.post(reverse("report:report_followup"), {"receipt": receipt, "action": "reply", "text": "Answer"})
    api = Client(**HEADERS)
    challenge = api.post(reverse("api:report_challenge")).json()
    from amparo.reports import abuse

    api.post(
        reverse("api:report_submit"),
        {
            "what_happened": "Seen at the port",
            "country": "MEX",
            "pow_challenge": challenge["challenge"],
            "pow_nonce": abuse.solve(challenge["challenge"]),
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    api.post(reverse("api:report_followup"), {"receipt": receipt}, content_type="application/json")
    api.post(reverse("api:report_submit"), {"what_happened": 5}, content_type="application/json")

    assert every_log_record.records, "no log record captured: the capture itself is broken"
    assert _hits(raw_database_bytes()) == []
    assert _hits(_log_text(every_log_record).encode()) == []
    assert _hits(_files_written()) == []
    assert _hits(_cache_bytes()) == []
    assert _hits(b"".join(m.message().as_bytes() for m in mail.outbox)) == []


def test_the_scans_would_catch_a_leak(every_log_record):
    logging.getLogger("django.request").error("leak %s", CANARY_UA)
    assert _hits(_log_text(every_log_record).encode()) == [CANARY_UA, "LeakCanary"]


def test_views_on_the_public_paths_never_see_the_address(rf):
    from amparo.reports.middleware import AnonymousReportingMiddleware

    seen = {}

    def view(request):
        seen.update(request.META)
        from django.http import HttpResponse

        return HttpResponse("ok")

    middleware = AnonymousReportingMiddleware(view)
    middleware(rf.get("/report/", **HEADERS, HTTP_COOKIE="tracker=1", HTTP_SEC_CH_UA='"Chromium";v="1"'))
    assert not {k for k in seen if k in HEADERS or k in {"HTTP_COOKIE", "HTTP_SEC_CH_UA"}}
    seen.clear()
    middleware(rf.get("/reports/", **HEADERS))  # staff pages keep them (sign-in lock-out needs nothing else)
    assert seen["REMOTE_ADDR"] == CANARY_IP


def test_a_trusted_network_is_recognised_before_the_address_is_dropped(rf, settings):
    from amparo.reports.middleware import AnonymousReportingMiddleware

    settings.AMPARO_REPORT_TRUSTED_NETWORKS = ["203.0.113.0/24"]
    seen = {}

    def view(request):
        seen["trusted"] = request.amparo_trusted_network
        seen["addr"] = request.META.get("REMOTE_ADDR")
        from django.http import HttpResponse

        return HttpResponse("ok")

    AnonymousReportingMiddleware(view)(rf.post("/report/", REMOTE_ADDR=CANARY_IP))
    assert seen == {"trusted": True, "addr": None}


@pytest.mark.django_db(transaction=True)
def test_a_crash_on_a_public_page_reports_no_address_or_browser(receiving, every_log_record, monkeypatch, settings):  # noqa: F811
    from amparo.reports import services

    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "report_submit", explode)
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.LOGGING_CONFIG = None
    from django.utils.log import AdminEmailHandler

    admin_mail = AdminEmailHandler(include_html=True)
    logging.getLogger("django.request").addHandler(admin_mail)
    try:
        client = Client(raise_request_exception=False, **HEADERS)
        response = client.post(reverse("report:report_create"), solved_form(client))
    finally:
        logging.getLogger("django.request").removeHandler(admin_mail)
    assert response.status_code == 500
    assert any("boom" in repr(r.__dict__) or r.exc_info for r in every_log_record.records)
    assert _hits(_log_text(every_log_record).encode()) == []
    assert mail.outbox, "the error report e-mail was not produced: the check would prove nothing"
    assert _hits(b"".join(m.message().as_bytes() for m in mail.outbox)) == []
