"""A hotline caller's first use of the receipt an advocate gave them: a secret of their own.

Through the real pages (no JavaScript needed) and the JSON API: nothing opens before the
caller chooses, the advocate's secret stops working at once, the conversation survives,
the throttle and the one refusal for every wrong receipt still hold.
"""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from amparo.core.permissions import Role
from amparo.core.templatetags.amparo import receipt_groups
from amparo.reports import receipts, services
from amparo.reports.models import Message, Receipt, Signal
from tests.conftest import as_verified, verified_client
from tests.sealing_helpers import unlocked_client
from tests.test_reports import _cheap_crypto_and_puzzles, _worker, followup, receiving_fixture  # noqa: F401
from tests.test_reports_api import post

QUESTION = "Is your sister allowed to leave the house?"
PASSPHRASE = "Mi hermana Ana llegó a Puebla en 2019, ¡y no la dejan salir!"


def log_a_call(advocate_client: Client, **extra) -> str:
    """The advocate logs a call and gives the caller a receipt; return the receipt shown."""
    response = advocate_client.post(
        reverse("reports:hotline_create"),
        {
            "channel": "call",
            "language": "es",
            "caller_type": "family",
            "what_happened": "My sister works in a house in Puebla and they keep her passport",
            "country": "MEX",
            "region_text": "Puebla",
            "exploitation_type": "domestic_work",
            "urgency": "high",
            "issue_receipt": "on",
            **extra,
        },
    )
    assert response.status_code == 200, response.content[:2000]
    return re.search(rb'class="secret"><strong>([A-Z2-7-]+)<', response.content).group(1).decode()


def given_with_a_question(staff_a) -> str:
    """A receipt an advocate gave, and a question the organisation has already sent."""
    given = log_a_call(verified_client(staff_a[Role.HOTLINE_ADVOCATE]))
    services.signal_reply(actor=as_verified(staff_a[Role.CASE_WORKER]), signal=Signal.objects.get(), text=QUESTION)
    return given


def claim(given: str, **data):
    return Client().post(reverse("report:receipt_claim"), {"receipt": given, **data})


def offered_on(page) -> tuple[str, str]:
    """(the offered secret, the offered receipt) of the first-use page."""
    secret = re.search(rb'name="offered" value="([A-Z2-7]{16})"', page.content).group(1).decode()
    shown = re.sub(r"<[^>]+>", "", re.search(r'id="receipt"><strong>(.+?)</strong>', page.content.decode()).group(1))
    return secret, shown


def without_puzzle(response) -> bytes:
    """The page without the fresh single-use puzzle every receipt form carries."""
    return re.sub(rb'value="\d+:[0-9a-f]{32}"', b"", response.content)


def wrong_receipt_answer() -> bytes:
    return without_puzzle(followup("ZZZZZZZZ-AAAA-AAAA-AAAA-AAAA"))


# --- the pages -----------------------------------------------------------------------------


def test_the_first_use_shows_nothing_but_the_choice_of_a_secret(receiving, staff_a):
    given = given_with_a_question(staff_a)
    for attempt in (followup(given), followup(given, action="reply", text="She cannot leave")):
        assert attempt.status_code == 200 and b"Choose your own secret" in attempt.content
        assert QUESTION.encode() not in attempt.content and b"Alpha Refuge" not in attempt.content
        assert b'name="text"' not in attempt.content  # no answer form either
    assert not Message.objects.filter(author="reporter").exists()  # the reply was not stored
    secret, shown = offered_on(followup(given))
    assert shown == receipts.format_receipt(given[:8], secret) and secret != given[9:].replace("-", "")
    assert Receipt.objects.get().must_change is True  # showing the choice changed nothing


def test_taking_the_offered_receipt_retires_the_given_one_and_keeps_the_conversation(receiving, staff_a):
    given = given_with_a_question(staff_a)
    sealed_before = bytes(Message.objects.get().sealed_for_reporter)
    secret, offered = offered_on(followup(given))
    taken = claim(given, choice="offered", offered=secret)
    assert taken.status_code == 200 and QUESTION.encode() in taken.content
    assert (
        f"<strong>{receipt_groups(offered)}</strong>".encode() in taken.content and b"no longer works" in taken.content
    )
    assert without_puzzle(followup(given)) == wrong_receipt_answer()  # the advocate's receipt: like any wrong one
    assert without_puzzle(claim(given, choice="offered", offered=secret)) == wrong_receipt_answer()
    assert QUESTION.encode() in followup(offered).content
    assert Receipt.objects.get().must_change is False
    assert bytes(Message.objects.get().sealed_for_reporter) != sealed_before  # re-sealed to the new key


def test_a_passphrase_of_their_own_opens_the_report_read_forgivingly(receiving, staff_a):
    given = given_with_a_question(staff_a)
    public_id = given[:8]
    verifier = bytes(Receipt.objects.get().verifier)
    too_short = claim(given, choice="own", passphrase="casa 2019", passphrase_again="casa 2019")
    not_the_same = claim(given, choice="own", passphrase=PASSPHRASE, passphrase_again=PASSPHRASE + " 7")
    no_digit = "mi hermana vive lejos de aqui con su gato"
    only_letters = claim(given, choice="own", passphrase=no_digit, passphrase_again=no_digit)
    the_given_one = f"{given} y algo mas 2024"
    reused = claim(given, choice="own", passphrase=the_given_one, passphrase_again=the_given_one)
    for refused, reason in (
        (too_short, b"at least 24 letters and digits"),
        (not_the_same, b"not the same"),
        (only_letters, b"both letters and digits"),
        (reused, b"Do not put the receipt you were given"),
    ):
        assert refused.status_code == 400 and reason in refused.content, reason
        assert QUESTION.encode() not in refused.content
    assert PASSPHRASE.encode() not in not_the_same.content  # what was typed is not written back
    assert bytes(Receipt.objects.get().verifier) == verifier  # nothing changed
    chosen = claim(given, choice="own", passphrase=PASSPHRASE, passphrase_again=PASSPHRASE.upper())
    assert chosen.status_code == 200 and QUESTION.encode() in chosen.content
    assert public_id.encode() in chosen.content and b"Your passphrase is set" in chosen.content
    shown = re.sub(rb"<input[^>]*>", b"", chosen.content)  # the page, without its hidden fields
    assert b"HERMANA" not in shown and b"MIHE-RMAN" not in shown  # the passphrase is not shown back
    assert without_puzzle(followup(given)) == wrong_receipt_answer()
    typed_back = f"{public_id.lower()} mi hermana ana llego a puebla en 2019 y no la dejan salir"
    again = followup(typed_back, action="reply", text="No, they lock the door")
    assert again.status_code == 303 and b"Your answer was sent" in Client().get(again["Location"]).content
    assert b"No, they lock the door" in followup(f"{public_id}-{PASSPHRASE}").content
    assert followup(f"{public_id} mi hermana ana llego a puebla en 2018 y no la dejan salir").status_code == 400


def test_the_receipt_throttle_applies_to_the_first_use(receiving, staff_a):
    given = given_with_a_question(staff_a)
    wrong = given[:-1] + ("A" if given[-1] != "A" else "B")
    statuses = [claim(wrong, choice="offered", offered="ABCDEFGHIJKLMNOP").status_code for _ in range(10)]
    assert set(statuses) == {400}
    assert claim(given, choice="offered", offered="ABCDEFGHIJKLMNOP").status_code == 429
    assert followup(given).status_code == 429
    assert Receipt.objects.get().must_change is True


def test_a_damaged_choice_changes_nothing_and_never_fails(receiving, staff_a):
    given = given_with_a_question(staff_a)
    for data in (
        {"choice": "offered", "offered": "not a secret"},
        {"choice": "offered", "offered": given[9:]},  # the given secret back: refused
        {"choice": "own"},
        {"choice": "nonsense"},
        {},
    ):
        response = claim(given, **data)
        assert response.status_code == 400, data
        assert QUESTION.encode() not in response.content
    assert Client().get(reverse("report:receipt_claim")).status_code == 302
    assert Receipt.objects.get().must_change is True
    assert b"Choose your own secret" in followup(given).content


def test_a_receipt_of_the_reporters_own_skips_the_step(receiving, staff_a):
    from tests.test_reports import submit

    receipt = submit()
    page = followup(receipt)
    assert page.status_code == 200 and b"Choose your own secret" not in page.content
    assert claim(receipt, choice="offered", offered="ABCDEFGHIJKLMNOP").status_code == 200
    assert followup(receipt).status_code == 200  # the claim page changed nothing for it


def test_the_claim_page_and_the_advocates_instructions_come_in_spanish(receiving, staff_a):
    advocate = staff_a[Role.HOTLINE_ADVOCATE]
    advocate.language = "es"
    advocate.save(update_fields=["language"])
    response = verified_client(advocate).post(
        reverse("reports:hotline_create"),
        {
            "channel": "call",
            "language": "en",
            "caller_type": "victim",
            "what_happened": "They took my passport at the farm",
            "country": "MEX",
            "exploitation_type": "agriculture",
            "urgency": "normal",
            "issue_receipt": "on",
        },
    )
    assert "Qué darle a quien llamó".encode() in response.content  # the advocate's own language
    assert b'<ol class="caller-steps" lang="en">' in response.content  # the caller's language
    assert b"choose your own secret" in response.content
    assert b"/report/follow-up/?lang=en" in response.content
    given = re.search(rb'class="secret"><strong>([A-Z2-7-]+)<', response.content).group(1).decode()
    page = followup(given, lang="es")
    assert b"Elija su propio secreto" in page.content
    weak = claim(given, lang="es", choice="own", passphrase="corto 1", passphrase_again="corto 1")
    assert weak.status_code == 400 and "letras y dígitos".encode() in weak.content


# --- the API -------------------------------------------------------------------------------


def test_the_api_says_must_change_until_the_caller_sets_a_secret_of_their_own(receiving, staff_a):
    given = given_with_a_question(staff_a)
    read = post("report_followup", {"receipt": given})
    assert read.status_code == 409 and read.json()["must_change"] is True and "messages" not in read.json()
    reply = post("report_followup_reply", {"receipt": given, "text": "Hello"})
    assert reply.status_code == 409 and reply.json()["must_change"] is True
    assert not Message.objects.filter(author="reporter").exists()
    weak = post("report_receipt_change", {"receipt": given, "new_secret": "too short 1"})
    assert weak.status_code == 400 and "new_secret" in weak.json()
    same = post("report_receipt_change", {"receipt": given, "new_secret": given[9:]})
    assert same.status_code == 400 and Receipt.objects.get().must_change is True
    changed = post("report_receipt_change", {"receipt": given, "new_secret": PASSPHRASE})
    assert changed.status_code == 200
    assert changed.json() == {"public_id": given[:8], "receipt": "", "must_change": False}
    thread = post("report_followup", {"receipt": f"{given[:8]} {PASSPHRASE}"})
    assert thread.status_code == 200 and thread.json()["must_change"] is False
    assert [m["text"] for m in thread.json()["messages"]] == [QUESTION]
    refused = post("report_followup", {"receipt": given})
    assert refused.status_code == 400
    assert refused.content == post("report_followup", {"receipt": "QQQQQQQQ-AAAA-AAAA-AAAA-AAAA"}).content


def test_the_api_draws_a_secret_when_the_caller_sends_none(receiving, staff_a):
    given = given_with_a_question(staff_a)
    changed = post("report_receipt_change", {"receipt": given}).json()
    assert changed["must_change"] is False and changed["receipt"][:8] == given[:8] and changed["receipt"] != given
    assert post("report_followup", {"receipt": given}).status_code == 400
    assert post("report_followup", {"receipt": changed["receipt"]}).json()["messages"][0]["text"] == QUESTION


def test_the_openapi_document_shows_the_must_change_state(db):
    schema = Client().get(reverse("api:schema"), {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for path in ("/api/v1/report/follow-up/", "/api/v1/report/follow-up/reply/"):
        conflict = schema["paths"][path]["post"]["responses"]["409"]["content"]["application/json"]["schema"]
        assert conflict["$ref"].endswith("/MustChangeOutput")
    assert "must_change" in components["MustChangeOutput"]["properties"]
    assert "must_change" in components["ThreadOutput"]["properties"]
    assert "must_change" in components["ReceiptOutput"]["properties"]
    assert "passphrase" in components["ReceiptChangeInput"]["properties"]["new_secret"]["description"]


def test_hotline_receipts_follow_up_for_the_caller_as_web_receipts_do(receiving, staff_a):
    """After the claim, the organisation's staff read the caller's answer as they read any."""
    given = given_with_a_question(staff_a)
    secret, offered = offered_on(followup(given))
    claim(given, choice="offered", offered=secret)
    followup(offered, action="reply", text="She can call on Sundays")
    signal = Signal.objects.get()
    page = unlocked_client(_worker(receiving)).get(reverse("reports:signal_detail", args=[signal.reference]))
    assert b"She can call on Sundays" in page.content and QUESTION.encode() in page.content
