"""The reporter's JSON API: proof of work, idempotent submission, follow-up, the OpenAPI document."""

from __future__ import annotations

import base64
import io

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from amparo.reports import abuse, services
from amparo.reports.models import Attachment, Signal
from tests.conftest import as_verified
from tests.test_reports import _cheap_crypto_and_puzzles, _worker, receiving_fixture, recipients_kept  # noqa: F401

ENDPOINTS = ["report_challenge", "report_submit", "report_followup", "report_followup_reply", "report_receipt_change"]


RECEIPT_ENDPOINTS = {"report_followup", "report_followup_reply", "report_receipt_change"}


def post(name: str, data: dict | None = None, **headers):
    """POST as an app does; a request with a receipt follows the puzzle protocol: sent first
    without a solved challenge, it gets 428 with one, solves it and sends the request again."""
    response = Client().post(reverse(f"api:{name}"), data or {}, content_type="application/json", **headers)
    if name in RECEIPT_ENDPOINTS and response.status_code == 428 and "pow_nonce" not in (data or {}):
        challenge = response.json()["challenge"]
        data = {**(data or {}), "pow_challenge": challenge, "pow_nonce": abuse.solve(challenge)}
        response = Client().post(reverse(f"api:{name}"), data, content_type="application/json", **headers)
    return response


def solved() -> dict:
    challenge = post("report_challenge").json()["challenge"]
    return {"pow_challenge": challenge, "pow_nonce": abuse.solve(challenge)}


def report(**extra) -> dict:
    return {"what_happened": "Men sleep in containers at the Veracruz port yard", "country": "MEX", **extra}


def test_an_app_submits_with_a_solved_challenge_and_gets_a_receipt(receiving):
    response = post("report_submit", {**report(danger="yes"), **solved()})
    assert response.status_code == 201
    body = response.json()
    assert body["receipt"].startswith(body["public_id"]) and body["held"] is False
    assert body["emergency_number"] == "911"
    assert Signal.objects.get().channel == "app"


def test_a_challenge_is_single_use(receiving):
    proof = solved()
    post("report_submit", {**report(), **proof})
    assert post("report_submit", {**report(), **proof}).json()["held"] is True


def test_a_retried_submission_with_the_same_idempotency_key_is_stored_once(receiving):
    secret = "ABCDEFGHJKLMNPQR"
    first = post("report_submit", {**report(receipt_secret=secret), **solved()}, HTTP_IDEMPOTENCY_KEY="retry-me-42")
    again = post("report_submit", {**report(receipt_secret=secret), **solved()}, HTTP_IDEMPOTENCY_KEY="retry-me-42")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["receipt"] == first.json()["receipt"]
    assert Signal.objects.count() == 1
    other = post("report_submit", {**report(), **solved()}, HTTP_IDEMPOTENCY_KEY="retry-me-43")
    assert other.status_code == 201 and Signal.objects.count() == 2
    from amparo.reports.models import SubmissionKey

    assert not SubmissionKey.objects.filter(key_hash__contains="retry").exists()


def test_follow_up_read_reply_and_receipt_change(receiving):
    receipt = post("report_submit", {**report(), **solved()}).json()["receipt"]
    services.signal_reply(
        actor=as_verified(_worker(receiving)), signal=Signal.objects.get(), text="Can you see the gate?"
    )
    thread = post("report_followup", {"receipt": receipt}).json()
    assert [m["text"] for m in thread["messages"]] == ["Can you see the gate?"]
    assert thread["messages"][0]["organisation"] == "Alpha Refuge"
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    photo = {"name": "gate.png", "content_base64": base64.b64encode(out.getvalue()).decode()}
    reply = post("report_followup_reply", {"receipt": receipt, "text": "Yes, blue gate", "attachments": [photo]})
    assert reply.status_code == 201 and Attachment.objects.count() == 1
    changed = post("report_receipt_change", {"receipt": receipt}).json()["receipt"]
    assert post("report_followup", {"receipt": receipt}).status_code == 400
    texts = [m["text"] for m in post("report_followup", {"receipt": changed}).json()["messages"]]
    assert texts == ["Can you see the gate?", "Yes, blue gate"]


def test_wrong_receipts_are_refused_alike_and_throttled(receiving):
    receipt = post("report_submit", {**report(), **solved()}).json()["receipt"]
    wrong = receipt[:-1] + ("A" if receipt[-1] != "A" else "B")
    bodies = {post("report_followup", {"receipt": r}).content for r in (wrong, "QQQQQQQQ-AAAA-AAAA-AAAA-AAAA")}
    assert len(bodies) == 1
    for _ in range(10):
        post("report_followup", {"receipt": wrong})
    # Ten failures make this receipt's puzzle harder; the right receipt with it still opens.
    assert post("report_followup", {"receipt": receipt, **solved()}).status_code == 428
    assert post("report_followup", {"receipt": receipt}).status_code == 200


def test_public_endpoints_are_anonymous_and_in_the_openapi_document(staff_a):
    schema = Client().get(reverse("api:schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/v1/report/",
        "/api/v1/report/challenge/",
        "/api/v1/report/follow-up/",
        "/api/v1/report/follow-up/reply/",
        "/api/v1/report/receipt/",
    ]:
        assert path in paths
    assert any(p["name"] == "Idempotency-Key" for p in paths["/api/v1/report/"]["post"]["parameters"])
    from amparo.reports import public_api

    for view in [
        public_api.ChallengeApi,
        public_api.ReportSubmitApi,
        public_api.FollowUpReadApi,
        public_api.FollowUpReplyApi,
        public_api.ReceiptChangeApi,
    ]:
        assert view.authentication_classes == [] and [c.__name__ for c in view.permission_classes] == ["AllowAny"]


def test_bad_input_gets_a_message_in_the_reporters_language_and_stores_nothing(receiving):
    response = Client().post(
        reverse("api:report_submit") + "?lang=es",
        {"what_happened": "", "country": "XXX"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "what_happened" in response.json()
    assert "Este campo no puede estar en blanco." in response.json()["what_happened"]
    assert Signal.objects.count() == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=st.dictionaries(
        st.sampled_from(
            [
                "what_happened",
                "country",
                "receipt",
                "text",
                "attachments",
                "age_groups",
                "when_month",
                "when_year",
                "danger",
                "receipt_secret",
                "pow_nonce",
                "pow_challenge",
                "new_secret",
                "x",
            ]
        ),
        json_values,
        max_size=6,
    ),
)
def test_the_public_api_never_fails_on_arbitrary_json(receiving, endpoint, body):
    before = Signal.objects.count()
    response = post(endpoint, body)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert Signal.objects.count() == before


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    what=st.text(max_size=200),
    country=st.sampled_from(["MEX", "COL", "XXX", "", "mex"]),
    month=st.sampled_from(["", "1", "12", "13", "x"]),
    year=st.sampled_from(["", "2025", "1800", "abc"]),
    danger=st.sampled_from(["yes", "no", "unsure", "maybe", ""]),
    ages=st.lists(st.sampled_from(["child", "adult", "alien"]), max_size=3),
)
def test_the_questionnaire_page_stores_only_valid_reports(receiving, what, country, month, year, danger, ages):
    before = Signal.objects.count()
    data = {
        "what_happened": what,
        "country": country,
        "when_month": month,
        "when_year": year,
        "danger": danger,
        "age_groups": ages,
        "exploitation_type": "not_sure",
    }
    from django.test import override_settings

    with override_settings(AMPARO_REPORT_HELD_CAP_PER_HOUR=10_000):
        response = Client().post(reverse("report:report_create"), recipients_kept(data))
    assert response.status_code in (200, 400, 503)  # 503: nobody receives reports for that country
    assert Signal.objects.count() == before + (1 if response.status_code == 200 else 0)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_public_endpoint_answers_json_for_an_empty_body(receiving, name):
    response = post(name, {})
    assert response.status_code in (200, 400) and response["Content-Type"] == "application/json"


def test_a_device_can_derive_the_receipt_keys_itself_so_the_server_never_sees_the_secret(receiving):
    import nacl.hash
    import nacl.pwhash
    from nacl.encoding import RawEncoder
    from nacl.public import PrivateKey

    from amparo.reports.models import Receipt

    challenge = post("report_challenge").json()
    ops, mem = challenge["receipt_opslimit"], challenge["receipt_memlimit"]
    secret, salt = "MNOPQRSTUVWXYZ23", b"0123456789abcdef"
    master = nacl.pwhash.argon2id.kdf(32, secret.encode(), salt, opslimit=ops, memlimit=mem)
    verifier = nacl.hash.blake2b(b"verify", key=master, digest_size=32, encoder=RawEncoder)
    seed = nacl.hash.blake2b(b"reporter-key", key=master, digest_size=32, encoder=RawEncoder)
    public = bytes(PrivateKey.from_seed(seed).public_key)
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    keys = {
        "salt": b64(salt),
        "verifier": b64(verifier),
        "reporter_public_key": b64(public),
        "opslimit": ops,
        "memlimit": mem,
    }
    response = post("report_submit", {**report(), "receipt_keys": keys})
    assert response.status_code == 201 and response.json()["receipt"] == ""
    public_id = response.json()["public_id"]
    assert bytes(Receipt.objects.get().verifier) == verifier
    services.signal_reply(actor=as_verified(_worker(receiving)), signal=Signal.objects.get(), text="Thank you")
    thread = post("report_followup", {"receipt": f"{public_id}-{secret}"}).json()
    assert [m["text"] for m in thread["messages"]] == ["Thank you"]
    weak = {**keys, "opslimit": 1, "memlimit": 8192}
    from django.test import override_settings

    with override_settings(AMPARO_RECEIPT_OPSLIMIT=2, AMPARO_RECEIPT_MEMLIMIT=16 * 1024 * 1024):
        assert post("report_submit", {**report(), "receipt_keys": weak}).status_code == 400


def _b64(size: int) -> str:
    return base64.b64encode(bytes(range(size))).decode()


_texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "  ", " Jalisco ", "a\x00b", "\ud800x", "x" * 121, "x" * 2001, "Oaxaca"]),
    st.integers(-2, 3),
    st.none(),
    st.booleans(),
)
_report_fields = {
    "what_happened": st.one_of(_texts, st.just("  Men sleep in containers at the port yard \n")),
    "country": st.sampled_from(["MEX", " MEX", "mex", "XXX", "", "COL", None, 1]),
    "region_text": _texts,
    "city": _texts,
    "place": _texts,
    "contact": _texts,
    "when_month": st.sampled_from([None, 0, 1, 12, 13, "5", 5.0, True]),
    "when_year": st.sampled_from([None, 1989, 1990, 2025, 2101, "2025", False]),
    "people_count": st.sampled_from([None, 0, 1, 10000, 10001, "3"]),
    "age_groups": st.one_of(st.lists(st.sampled_from(["child", "adult", "alien", 1]), max_size=4), st.just("child")),
    "genders": st.lists(st.sampled_from(["female", "male", "x"]), max_size=5),
    "indicators": st.lists(st.sampled_from(["documents_taken", "child", "nope"]), max_size=3),
    "exploitation_type": st.sampled_from(["factories", "not_sure", "", "x", None, 3]),
    "danger": st.sampled_from(["yes", "no", "unsure", "maybe", None]),
    "attachments": st.sampled_from([[], None, [{"name": "a.png", "content_base64": "AAAA"}], {}]),
    "pow_challenge": st.sampled_from(["", "8:abc", " 8:abc ", "x" * 81, None]),
    "pow_nonce": st.sampled_from(["", "12", "1" * 33, 12]),
    "receipt_secret": st.sampled_from(["", "ABCDEFGHJKLMNPQR", "abcd-efgh-jkmn-pqr2", "SHORT", None]),
    "receipt_keys": st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {
                "salt": st.sampled_from([_b64(16), _b64(15), "not base64!", f" {_b64(16)} "]),
                "verifier": st.sampled_from([_b64(32), _b64(33)]),
                "reporter_public_key": st.sampled_from([_b64(32), ""]),
                "opslimit": st.sampled_from([0, 1, 2, 64, 65, "2", True]),
                "memlimit": st.sampled_from([8191, 8192, 16 * 1024 * 1024, 2**31]),
            },
            optional={"extra": st.just(1)},
        ),
    ),
    "x": st.just(1),
}


_valid_report = {
    "what_happened": st.just("Men sleep in containers at the port yard"),
    "country": st.sampled_from(["MEX", "COL"]),
}
_NEAR = {"what_happened", "country", "x"}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.fixed_dictionaries({}, optional=_report_fields),
        # mostly valid: the two required answers, then a few of anything
        st.fixed_dictionaries(_valid_report, optional={k: v for k, v in _report_fields.items() if k not in _NEAR}),
    ),
    lang=st.sampled_from(["en", "es"]),
)
def test_the_fast_validation_of_a_report_agrees_with_the_serializer(body, lang):
    """report_input_fast() gives up (None) or gives exactly what ReportInput validates to."""
    from django.utils import translation

    from amparo.reports import public_api

    with translation.override(lang):
        fast = public_api.report_input_fast(body)
        serializer = public_api.ReportInput(data=body)
        slow = serializer.validated_data if serializer.is_valid() else None
    if fast is not None:
        assert slow is not None and fast == slow


def test_a_plain_app_report_takes_the_fast_validation():
    from amparo.reports import public_api

    keys = {
        "salt": _b64(16),
        "verifier": _b64(32),
        "reporter_public_key": _b64(32),
        "opslimit": 2,
        "memlimit": 16 * 1024 * 1024,
    }
    body = {
        **report(region_text="Jalisco", indicators=["documents_taken"], danger="no", when_month=3, when_year=2025),
        "pow_challenge": "8:abc",
        "pow_nonce": "42",
        "receipt_keys": keys,
    }
    fast = public_api.report_input_fast(body)
    serializer = public_api.ReportInput(data=body)
    assert serializer.is_valid() and fast == serializer.validated_data
    assert fast["answers"]["region"] == "MX-JAL" and fast["device_keys"].opslimit == 2
