"""Redis down at intake: a translated 503 "try again in a few minutes", nothing stored (decision 0036).

The cache points at a real closed port (nothing listens on 127.0.0.1:1): the connection is
refused as it is when Redis is stopped. No mock."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amparo.reports.models import Receipt, Signal, SubmissionKey
from tests.conftest import verified_client
from tests.test_reports import (  # noqa: F401
    _cheap_crypto_and_puzzles,
    _worker,
    receiving_fixture,
    solved_form,
)
from tests.test_reports_api import report, solved

CLOSED = {"default": {"BACKEND": "amparo.core.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
TRY_AGAIN = {
    "en": "Please try again in a few minutes.",
    "es": "Por favor, vuelva a intentarlo en unos minutos.",
}
TITLE = {"en": "Try again in a few minutes", "es": "Vuelva a intentarlo en unos minutos"}


def nothing_stored() -> bool:
    return not (Signal.objects.exists() or Receipt.objects.exists() or SubmissionKey.objects.exists())


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_report_form_with_redis_down_says_try_again_and_stores_nothing(receiving, settings, lang):
    client = Client()
    data = solved_form(client, lang=lang)  # the page and its puzzle came while Redis was up
    settings.CACHES = CLOSED
    response = client.post(reverse("report:report_create"), data)
    assert response.status_code == 503
    page = response.content.decode()
    assert TRY_AGAIN[lang] in page and TITLE[lang] in page
    assert f'<html lang="{lang}"' in page and 'class="public"' in page  # the public pages' look
    assert "amparo.css" in page and "quick-exit" in page
    assert response["Retry-After"] == "60"
    assert "Set-Cookie" not in response  # still the reporter's cookie-free page
    assert nothing_stored()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_report_form_page_itself_with_redis_down_is_the_same_503(receiving, settings, lang):
    settings.CACHES = CLOSED
    response = Client().get(reverse("report:report_create"), {"lang": lang})
    assert response.status_code == 503
    assert TRY_AGAIN[lang] in response.content.decode()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_report_api_with_redis_down_answers_503_json_and_stores_nothing(receiving, settings, lang):
    proof = solved()
    settings.CACHES = CLOSED
    response = Client().post(
        reverse("api:report_submit"),
        {**report(), **proof},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE=lang,
        HTTP_IDEMPOTENCY_KEY="redis-down-1",
    )
    assert response.status_code == 503
    assert TRY_AGAIN[lang] in response.json()["detail"]
    assert nothing_stored()
    challenge = Client().post(reverse("api:report_challenge"), {}, content_type="application/json")
    assert challenge.status_code == 503  # no puzzle handed out that no process could check


def test_after_redis_returns_the_same_submission_goes_through_once(receiving, settings):
    proof = solved()
    settings.CACHES = CLOSED
    payload = {**report(receipt_secret="ABCDEFGHJKLMNPQR"), **proof}
    send = lambda: Client().post(  # noqa: E731
        reverse("api:report_submit"), payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="retry-after-down"
    )
    assert send().status_code == 503
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    first, again = send(), send()  # the puzzle came before the outage: held, but stored once
    assert first.status_code == 201 and again.status_code == 200 and again.json()["replayed"] is True
    assert Signal.objects.count() == 1


def test_staff_pages_that_need_no_cache_keep_working_with_redis_down(receiving, settings):
    client = verified_client(_worker(receiving))
    settings.CACHES = CLOSED
    response = client.get(reverse("reports:signal_list"))
    assert response.status_code == 200


def test_a_session_that_could_not_be_saved_while_the_database_was_away_is_a_503_not_a_400(db):
    """SessionMiddleware turns a failed session save into SessionInterrupted (400); when the
    failure was the database being away (a PostgreSQL restart), the answer is 'try again'."""
    from django.contrib.sessions.backends.base import UpdateError
    from django.contrib.sessions.exceptions import SessionInterrupted
    from django.db import OperationalError
    from django.test import RequestFactory

    from amparo.core.errors import bad_request

    def interrupted(cause: Exception) -> SessionInterrupted:
        try:
            try:
                raise cause
            except Exception:
                raise UpdateError  # noqa: B904 (as SessionStore.save does on a DatabaseError)
        except UpdateError:
            try:
                raise SessionInterrupted("The request's session was deleted before the request completed.")
            except SessionInterrupted as error:
                return error

    request = RequestFactory().get("/reports/")
    away = bad_request(request, interrupted(OperationalError("connection refused")))
    assert away.status_code == 503 and TRY_AGAIN["en"] in away.content.decode()
    deleted = bad_request(request, interrupted(ValueError("the session row is gone")))
    assert deleted.status_code == 400
