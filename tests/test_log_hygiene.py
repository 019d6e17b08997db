"""No log line carries an address, a user agent, a name, a report's words or a receipt.

A reporter submits a report (form and API) and follows up with the receipt, a case worker
signs in with password and TOTP code, registers a case with a name and a street address, and
asks for a few pages that do not exist. Every logger is captured at DEBUG and rendered with
the production formatter and filter (settings.LOGGING: JSON, request paths replaced by route
names); every request is also written to an access log by gunicorn's own logger with the
format of deploy/gunicorn.conf.py. Neither may contain any planted marker."""

from __future__ import annotations

import datetime
import io
import json
import logging
import logging.config
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.core.permissions import Role
from amparo.reports.models import Signal
from tests.conftest import PASSWORD
from tests.test_auth import totp_now
from tests.test_cases import consent_post
from tests.test_reports import _cheap_crypto_and_puzzles, receiving_fixture, solved_form  # noqa: F401
from tests.test_reports_api import post as api_post
from tests.test_reports_api import solved

ROOT = Path(__file__).resolve().parent.parent

ADDRESS = "203.0.113.219"
FORWARDED = "198.51.100.44"
USER_AGENT = "MarkerPhone/7.3 (rare-model-QX55; build 20261203)"
REFERER = "https://marker-referrer.example/tip?who=someone"
NAME = "Evangelina Throckmorton"
STREET = "Calle de los Tulipanes 8812, Colonia Marcador"
WORDS = "They lock Evangelina Throckmorton in the tortilla warehouse behind the bus depot"
MARKERS = [ADDRESS, FORWARDED, USER_AGENT, "MarkerPhone", "marker-referrer", NAME, "Throckmorton", STREET, "Tulipanes", WORDS, "tortilla warehouse"]  # fmt: skip

IDENTIFYING = {
    "REMOTE_ADDR": ADDRESS,
    "HTTP_USER_AGENT": USER_AGENT,
    "HTTP_X_FORWARDED_FOR": FORWARDED,
    "HTTP_REFERER": REFERER,
}


class AccessLog:
    """gunicorn's access logger with deploy/gunicorn.conf.py's format, fed every request."""

    def __init__(self, path: Path) -> None:
        from gunicorn.config import Config
        from gunicorn.glogging import Logger

        conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
        config = Config()
        config.set("accesslog", str(path))
        config.set("access_log_format", conf["access_log_format"])
        self.format = conf["access_log_format"]
        self.logger = Logger(config)

    def write(self, method: str, path: str, query: str, status: int, sent: int) -> None:
        environ = {
            "REQUEST_METHOD": method,
            "RAW_URI": f"{path}?{query}" if query else path,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            **IDENTIFYING,
        }
        headers = [("USER-AGENT", USER_AGENT), ("X-FORWARDED-FOR", FORWARDED), ("REFERER", REFERER)]
        response = SimpleNamespace(status=f"{status} X", headers=[], sent=sent)
        request = SimpleNamespace(headers=headers)
        self.logger.access(response, request, environ, datetime.timedelta(milliseconds=12))


class MarkedClient(Client):
    """A test client whose every request carries the planted address, user agent and referrer,
    and is written to the access log as gunicorn would."""

    def __init__(self, access: AccessLog, **kwargs) -> None:
        super().__init__(**kwargs, **IDENTIFYING)
        self.access = access

    def request(self, **request):
        response = super().request(**request)
        self.access.write(
            request.get("REQUEST_METHOD", "GET"),
            request.get("PATH_INFO", "/"),
            request.get("QUERY_STRING", ""),
            response.status_code,
            len(getattr(response, "content", b"") or b""),
        )
        return response


@pytest.fixture
def captured_logs():
    """Every logger at DEBUG, propagating to one handler with the production formatter and
    filter; restored afterwards."""
    config = django_settings.LOGGING
    formatter_conf = dict(config["formatters"]["json"])
    formatter_class = formatter_conf.pop("()")
    formatter_conf["fmt"] = formatter_conf.pop("format")  # as logging.config does for a factory
    module, _, name = formatter_class.rpartition(".")
    formatter = getattr(__import__(module, fromlist=[name]), name)(**formatter_conf)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    from amparo.core.ops import LogHygieneFilter

    handler.addFilter(LogHygieneFilter())
    handler.setLevel(logging.DEBUG)
    saved = {}
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)] + [
        logging.getLogger("django.request"),
        logging.getLogger("django.security"),
        logging.getLogger("gunicorn.error"),
        logging.getLogger("gunicorn.access"),
        logging.getLogger("amparo"),
        logging.getLogger("axes"),
    ]
    for logger in loggers:
        saved[logger.name] = (logger.level, logger.propagate, logger.disabled)
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
        logger.disabled = False
    root_level = logging.root.level
    logging.root.setLevel(logging.DEBUG)
    logging.root.addHandler(handler)
    try:
        yield stream
    finally:
        logging.root.removeHandler(handler)
        logging.root.setLevel(root_level)
        for logger in loggers:
            logger.level, logger.propagate, logger.disabled = saved[logger.name]


def test_no_log_line_carries_an_address_a_user_agent_a_name_a_receipt_or_a_reports_words(
    receiving, staff_a, captured_logs, tmp_path, settings
):
    settings.AMPARO_LOG_FORMAT = "json"
    access_path = tmp_path / "access.log"
    access = AccessLog(access_path)

    # A reporter: the web form, then the API, then a follow-up with the receipt.
    reporter = MarkedClient(access)
    form = reporter.post(reverse("report:report_create"), solved_form(reporter, what_happened=WORDS))
    assert form.status_code in (200, 302)
    submitted = api_post(
        "report_submit",
        {"what_happened": WORDS, "country": "MEX", "region_text": STREET, **solved()},
        **IDENTIFYING,
    )
    assert submitted.status_code == 201
    receipt = submitted.json()["receipt"]
    access.write("POST", "/api/v1/report/", "", 201, 100)
    assert Signal.objects.count() == 2
    follow = api_post("report_followup", {"receipt": receipt}, **IDENTIFYING)
    assert follow.status_code == 200
    reporter.get(reverse("report:report_followup"), {"receipt": receipt})  # a receipt in a query string
    reporter.post(reverse("report:report_followup"), {"receipt": receipt})
    wrong = api_post("report_submit", {"what_happened": WORDS, "country": "ZZZ"}, **IDENTIFYING)
    assert wrong.status_code == 400

    # A case worker signs in with password and code, and registers a case.
    worker = staff_a[Role.CASE_WORKER]
    staff = MarkedClient(access)
    signed = staff.post(reverse("accounts:login"), {"username": worker.email, "password": PASSWORD})
    assert signed.status_code == 302
    verified = staff.post(
        reverse("accounts:two_factor_verify"), {"token": totp_now(TOTPDevice.objects.get(user=worker))}
    )
    assert verified.status_code == 302
    step1 = staff.post(reverse("cases:case_create"), consent_post())
    assert step1.status_code == 302
    person = {"given_name": "Evangelina", "family_name": "Throckmorton", "address": STREET, "summary": WORDS}
    created = staff.post(step1["Location"], person)
    assert created.status_code == 302
    from amparo.cases.models import Case

    case = Case.objects.get()
    staff.get(reverse("cases:case_detail", kwargs={"reference": case.reference}))
    # Failing requests, which Django's request logger reports with their path.
    staff.get(f"/cases/{receipt}/")
    staff.get(f"/reports/{receipt}/")
    staff.get(f"/no-such-page/{NAME}/?q={WORDS}")
    staff.post(reverse("accounts:login"), {"username": NAME, "password": WORDS})  # a failed sign-in

    log_text = captured_logs.getvalue()
    access_text = access_path.read_text()
    assert log_text.count("\n") >= 5, "too few log lines to prove anything"
    assert access_text.count("\n") >= 12
    for line in log_text.splitlines():
        json.loads(line)  # every line is one JSON object
    assert '"logger": "django.request"' in log_text  # the 404s were logged, by route name
    leaks = []
    for marker in [*MARKERS, receipt, receipt.split("-")[0], case.reference, worker.email, worker.full_name]:
        for source, text in (("app log", log_text), ("access log", access_text)):
            if marker in text:
                line = next(line for line in text.splitlines() if marker in line)
                leaks.append(f"{source}: {marker!r} in {line[:200]}")
    assert not leaks, "\n".join(leaks)


def test_the_redaction_filter_replaces_a_path_by_the_route_name(db, captured_logs):
    Client().get("/cases/C-SECRETREF/", HTTP_USER_AGENT=USER_AGENT)  # anonymous: redirected, not logged
    from django.test import RequestFactory

    request = RequestFactory().get("/cases/C-SECRETREF/")
    from django.urls import resolve

    request.resolver_match = resolve("/cases/C-SECRETREF/")
    logging.getLogger("django.request").warning(
        "%s: %s", "Not Found", request.path, extra={"request": request, "status_code": 404}
    )
    text = captured_logs.getvalue()
    assert "C-SECRETREF" not in text.splitlines()[-1]
    assert json.loads(text.splitlines()[-1])["message"] == "Not Found: cases:case_detail"
    assert "WSGIRequest" not in text
