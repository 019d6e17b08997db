"""Receipt attempts pay for their Argon2id with a puzzle; failures make it harder, never refuse
a correct receipt (issue 8, item 4)."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from amparo.reports import abuse
from tests.test_reports import (  # noqa: F401
    _cheap_crypto_and_puzzles,
    followup,
    receiving_fixture,
    submit,
)
from tests.test_reports_api import post, report, solved

CHALLENGE = re.compile(rb'name="pow_challenge" value="(\d+):([0-9a-f]{32})"')


def solved_page_attempt(receipt: str, page=None, **data):
    """Open the follow-up page and send the receipt as report.js does: the page's puzzle solved."""
    client = Client()
    page = page or client.get(reverse("report:report_followup"))
    bits, token = CHALLENGE.search(page.content).groups()
    challenge = f"{bits.decode()}:{token.decode()}"
    body = {"receipt": receipt, "pow_challenge": challenge, "pow_nonce": abuse.solve(challenge), **data}
    return client.post(reverse("report:report_followup"), body)


def wrong(receipt: str) -> str:
    return receipt[:-1] + ("A" if receipt[-1] != "A" else "B")


def test_failures_at_other_receipts_never_refuse_a_correct_one(receiving, settings):
    receipt = submit()
    settings.AMPARO_RECEIPT_FAILED_ALL_PER_HOUR = 4
    for number in range(5000):  # the old fixed instance-wide limit, reached by one client
        abuse.hit("receipt-failed-all")
        if number < 8:
            abuse.hit("receipt-failed", f"ZZZZZZZ{number}")
    assert abuse.receipt_difficulty() > settings.AMPARO_POW_BITS  # harder for everyone, not closed
    opened = solved_page_attempt(receipt)
    assert opened.status_code == 200 and b"Messages" in opened.content
    assert post("report_followup", {"receipt": receipt}).status_code == 200  # the API too


def test_ten_wrong_attempts_ask_more_work_of_the_right_receipt_instead_of_locking_it(receiving):
    receipt = submit()
    for _ in range(10):
        assert solved_page_attempt(wrong(receipt)).status_code == 400
    base = abuse.receipt_difficulty()
    more = solved_page_attempt(receipt)  # with the page's ordinary puzzle
    assert more.status_code == 429 and b"do more work" in more.content
    bits = int(CHALLENGE.search(more.content).group(1))
    assert bits == base + 4 and receipt.encode() in more.content  # the receipt is kept to send again
    opened = solved_page_attempt(receipt, page=more)
    assert opened.status_code == 200 and b"Messages" in opened.content
    # Without JavaScript (no puzzle) the locked receipt stays locked for the hour, as before.
    assert followup(receipt).status_code == 429


def test_an_api_attempt_without_enough_work_costs_no_argon2id(receiving):
    receipt = post("report_submit", {**report(), **solved()}).json()["receipt"]
    url = reverse("api:report_followup")
    for body in ({}, {"pow_challenge": "4:" + "0" * 32, "pow_nonce": "1"}):
        answer = Client().post(url, {"receipt": wrong(receipt), **body}, content_type="application/json")
        assert answer.status_code == 428 and answer.json()["difficulty"] >= 4
    proof = solved()
    assert Client().post(url, {"receipt": receipt, **proof}, content_type="application/json").status_code == 200
    again = Client().post(url, {"receipt": receipt, **proof}, content_type="application/json")
    assert again.status_code == 428  # single use
    assert abuse.count("receipt-failed-all") == 0  # no attempt reached the Argon2id check
    for _ in range(10):
        post("report_followup", {"receipt": wrong(receipt)})
    harder = Client().post(url, {"receipt": receipt, **solved()}, content_type="application/json").json()
    assert harder["difficulty"] == abuse.receipt_difficulty() + 4
    nonce = abuse.solve(harder["challenge"])
    body = {"receipt": receipt, "pow_challenge": harder["challenge"], "pow_nonce": nonce}
    assert Client().post(url, body, content_type="application/json").status_code == 200


def test_attempts_without_javascript_share_a_budget_of_their_own(receiving, settings):
    settings.AMPARO_RECEIPT_UNSOLVED_PER_HOUR = 2
    receipt = submit()
    assert followup(receipt).status_code == 200
    assert followup(wrong(receipt)).status_code == 400
    paused = followup(receipt)
    assert paused.status_code == 429 and b"Turn on JavaScript" in paused.content
    assert solved_page_attempt(receipt).status_code == 200  # with the puzzle: unaffected


def test_the_openapi_document_describes_the_receipt_puzzle(staff_a):
    schema = Client().get(reverse("api:schema"), {"format": "json"}).json()
    for path in ("/api/v1/report/follow-up/", "/api/v1/report/follow-up/reply/", "/api/v1/report/receipt/"):
        operation = schema["paths"][path]["post"]
        assert "428" in operation["responses"] and "proof-of-work" in operation["description"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        assert {"pow_challenge", "pow_nonce"} <= set(schema["components"]["schemas"][ref]["properties"])
    assert {"challenge", "difficulty"} <= set(schema["components"]["schemas"]["PuzzleOutput"]["properties"])
