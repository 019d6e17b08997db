"""Anonymous reporting: routing, sealing, receipts, follow-up, anti-abuse, attachments."""

from __future__ import annotations

import io
import re
import time

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import Client
from django.urls import reverse
from PIL import Image

from amparo.core.permissions import Role
from amparo.reports import abuse, receipts, services
from amparo.reports.models import Message, Receipt, RoutingRule, Signal
from tests.conftest import as_verified
from tests.rawdb import plaintext_hits
from tests.sealing_helpers import org_with_keys, unlocked_client

STORY = "Three girls from Oaxaca are locked in the Calle Tamarindo workshop and never paid"


@pytest.fixture(autouse=True)
def _cheap_crypto_and_puzzles(settings):
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    settings.AMPARO_POW_BITS = 4
    settings.AMPARO_POW_MAX_BITS = 8


@pytest.fixture(name="receiving")
def receiving_fixture(staff_a, org_a):
    """Organisation A holds keys and receives reports for Mexico."""
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    return org_a


def answers(**extra):
    data = {"what_happened": STORY, "country": "MEX", "region_text": "Oaxaca", "exploitation_type": "factories"}
    data["danger"] = "unsure"
    data.update(extra)
    return data


def solved_form(client: Client, lang: str = "en", **extra) -> dict:
    page = client.get(reverse("report:report_create"), {"lang": lang})
    challenge = re.search(rb'name="pow_challenge" value="([^"]+)"', page.content).group(1).decode()
    key = re.search(rb'name="submission_key" value="([^"]+)"', page.content).group(1).decode()
    return recipients_kept(
        {
            **answers(**extra),
            "pow_challenge": challenge,
            "pow_nonce": abuse.solve(challenge),
            "submission_key": key,
            "lang": lang,
        }
    )


def recipients_kept(data: dict) -> dict:
    """`data` with the recipients step answered as a reporter who keeps every organisation
    shown (what the page ticks), so one post sends the report."""
    from amparo.reports.forms import match_region, routing_key

    where = {
        "country": data.get("country", ""),
        "region": match_region(data.get("country", ""), data.get("region_text", "")),
        "exploitation_type": data.get("exploitation_type") or "not_sure",
    }
    try:
        found = services.report_recipients(**where)
    except services.ReportingUnavailable:
        return data
    return {**data, "recipients_for": routing_key(where), "recipients": [recipient.id for recipient in found]}


def submit(client: Client | None = None, **extra) -> str:
    """Send a report through the public page; return the receipt shown."""
    client = client or Client()
    response = client.post(reverse("report:report_create"), solved_form(client, **extra))
    assert response.status_code == 200, response.content[:2000]
    found = re.search(r'class="secret receipt" id="receipt"><strong>(.+?)</strong>', response.content.decode())
    assert found, response.content[:3000]
    return re.sub(r"<[^>]+>", "", found.group(1))  # the groups are spans (no wrap mid-group)


def followup(receipt: str, client: Client | None = None, **data):
    return (client or Client()).post(reverse("report:report_followup"), {"receipt": receipt, **data})


# --- the model -----------------------------------------------------------------------------


def test_no_report_model_has_a_datetime_column():
    for model in apps.get_app_config("reports").get_models():
        for field in model._meta.get_fields():
            assert not isinstance(field, models.DateTimeField), f"{model.__name__}.{field.name} is a datetime"


def test_a_report_goes_to_every_matching_organisation_each_sealed_to_its_own_key(receiving, org_b, staff_b):
    org_with_keys(org_b)
    RoutingRule.objects.create(organisation=org_b, country="MEX", exploitation_type="factories")
    submit()
    submit(exploitation_type="agriculture")
    assert Signal.objects.filter(organisation=receiving).count() == 2
    assert Signal.objects.filter(organisation=org_b).count() == 1
    a_copy, b_copy = Signal.objects.filter(exploitation_type="factories").order_by("organisation_id")
    assert a_copy.receipt_id == b_copy.receipt_id and bytes(a_copy.sealed) != bytes(b_copy.sealed)
    assert a_copy.region == "MX-OAX" and a_copy.country == "MEX"


def test_without_a_matching_rule_the_default_organisation_receives(staff_a, org_a, settings):
    org_with_keys(org_a)
    settings.AMPARO_REPORT_DEFAULT_ORGANISATION = org_a.pk
    submit(country="GTM")
    assert Signal.objects.get().organisation == org_a


def test_nobody_to_receive_means_a_clear_answer_and_nothing_stored(db):
    client = Client()
    response = client.post(reverse("report:report_create"), solved_form(client))
    assert response.status_code == 503 and b"not set up" in response.content
    assert Signal.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_no_sentence_of_the_report_nor_the_receipt_secret(receiving):
    receipt = submit(contact="call Rosa on +52 951 555 0199", place="behind the Tamarindo bakery")
    worker = unlocked_client(receiving and _worker(receiving))
    signal = Signal.objects.get()
    worker.post(
        reverse("reports:signal_detail", args=[signal.reference]),
        {"action": "reply", "text": "Is anyone under fifteen?"},
    )
    followup(receipt, action="reply", text="Yes, the youngest looks about twelve", contact="rosa.safe@example.org")
    secret = receipt.split("-", 1)[1]
    hits = plaintext_hits(
        STORY,
        "Calle Tamarindo",
        "Tamarindo bakery",
        "+52 951 555 0199",
        "555 0199",
        "under fifteen",
        "youngest looks about twelve",
        "rosa.safe@example.org",
        secret,
        secret.replace("-", ""),
    )
    assert hits == []


def _worker(org):
    from amparo.accounts.models import User

    return User.objects.get(organisation=org, role=Role.CASE_WORKER)


# --- receipts ------------------------------------------------------------------------------


def test_a_receipt_carries_40_bits_of_id_and_80_bits_of_secret_with_a_salt_of_its_own(receiving):
    first, second = submit(), submit()
    for receipt in (first, second):
        parts = receipts.parse_receipt(receipt)
        assert len(parts.public_id) * 5 == 40 and len(parts.secret) * 5 == 80
    salts = {bytes(r.salt) for r in Receipt.objects.all()}
    assert len(salts) == 2 and all(len(s) == 16 for s in salts)
    assert receipts.parse_receipt(first.lower().replace("-", " ")) == receipts.parse_receipt(first)


def test_a_wrong_receipt_and_an_expired_one_get_the_same_answer(receiving):
    receipt = submit()
    expired = submit()
    Signal.objects.filter(receipt__public_id=expired[:8]).update(arrived_on="2000-01-01")
    services.signals_purge_expired()
    wrong_secret = receipt[:9] + ("A" if receipt[9] != "A" else "B") + receipt[10:]
    texts = (wrong_secret, expired, "ZZZZZZZZ-AAAA-AAAA-AAAA-AAAA")
    # The same page but for the fresh single-use puzzle every receipt form carries.
    answers_seen = {re.sub(rb'value="\d+:[0-9a-f]{32}"', b"", followup(text).content) for text in texts}
    assert len(answers_seen) == 1 and b"does not open a report" in answers_seen.pop()
    assert followup(receipt).status_code == 200


def test_receipt_guessing_is_throttled_per_report_even_for_the_right_receipt(receiving):
    receipt = submit()
    wrong = receipt[:-1] + ("A" if receipt[-1] != "A" else "B")
    statuses = [followup(wrong).status_code for _ in range(10)]
    assert set(statuses) == {400}
    assert followup(wrong).status_code == 429
    assert followup(receipt).status_code == 429  # throttled without revealing the right one
    other = submit()
    assert followup(other).status_code == 200  # one report's throttle does not lock out another


def test_the_reporter_reads_the_reply_answers_and_discloses_contact(receiving):
    receipt = submit()
    signal = Signal.objects.get()
    worker = unlocked_client(_worker(receiving))
    worker.post(
        reverse("reports:signal_detail", args=[signal.reference]), {"action": "reply", "text": "Which street exactly?"}
    )
    page = followup(receipt)
    assert b"Which street exactly?" in page.content and b"Alpha Refuge" in page.content
    sent = followup(receipt, action="reply", text="Calle Tamarindo 14", contact="+52 951 000 1111")
    assert sent.status_code == 303 and b"Your answer was sent" in Client().get(sent["Location"]).content
    detail = worker.get(reverse("reports:signal_detail", args=[signal.reference]))
    assert b"Calle Tamarindo 14" in detail.content and b"+52 951 000 1111" in detail.content
    assert Message.objects.filter(read_by_org=False).count() == 0  # opening marked them read


def test_reloading_after_an_answer_does_not_send_it_twice(receiving):
    """Post/redirect/get: the answer's POST answers 303 to a GET page, so a reload asks for
    that page again; the receipt does not travel into the address (it would stay in the history)."""
    receipt = submit()
    sent = followup(receipt, action="reply", text="Only once, please", lang="es")
    assert sent.status_code == 303
    location = sent["Location"]
    assert location.startswith(reverse("report:report_followup")) and "lang=es" in location
    assert receipt[:8] not in location and receipt[:8].lower() not in location.lower()
    for _reload in range(3):
        page = Client().get(location)
        assert page.status_code == 200 and "Su respuesta se envió".encode() in page.content
    assert Message.objects.filter(author="reporter").count() == 1


def test_an_answer_marks_none_of_its_parts_optional_and_says_one_is_needed(receiving):
    receipt = submit()
    page = followup(receipt).content.decode()
    form = page.split('id="reply-form"')[1].split("</form>")[0]
    assert "(optional)" not in form and "Photos (optional)" not in page
    assert "at least one of them" in page
    empty = followup(receipt, action="reply", text="")
    assert empty.status_code == 400 and b"Write an answer, give contact details or attach a photo." in empty.content


def test_changing_the_receipt_retires_the_old_one_and_keeps_the_conversation(receiving):
    receipt = submit()
    signal = Signal.objects.get()
    services.signal_reply(actor=as_verified(_worker(receiving)), signal=signal, text="Are you safe?")
    changed = followup(receipt, action="change_receipt")
    new = re.sub(
        r"<[^>]+>", "", re.search(r'class="secret receipt"><strong>(.+?)</strong>', changed.content.decode()).group(1)
    )
    assert new[:8] == receipt[:8] and new != receipt
    assert followup(receipt).status_code == 400
    assert b"Are you safe?" in followup(new).content


# --- anti-abuse ----------------------------------------------------------------------------


def test_without_the_puzzle_a_report_is_held_and_a_challenge_works_once(receiving):
    client = Client()
    data = solved_form(client)
    no_js = {k: v for k, v in data.items() if k not in {"pow_nonce", "submission_key"}}
    held = []
    client.post(reverse("report:report_create"), no_js)
    held.append(Signal.objects.filter(held=True).count())
    client.post(reverse("report:report_create"), data)
    held.append(Signal.objects.filter(held=True).count())
    reused = {**data, "submission_key": "another-submission"}
    client.post(reverse("report:report_create"), reused)
    held.append(Signal.objects.filter(held=True).count())
    assert Signal.objects.count() == 3
    assert held == [1, 1, 2], "no puzzle: held; solved: not held; the same challenge again: held"


def test_the_same_page_submitted_twice_is_stored_once(receiving):
    client = Client()
    data = solved_form(client)
    first = client.post(reverse("report:report_create"), data)
    again = client.post(reverse("report:report_create"), data)
    assert Signal.objects.count() == 1
    assert b'id="receipt"' in first.content and b"already been received" in again.content


def test_difficulty_rises_with_volume(settings):
    settings.AMPARO_POW_CALM_PER_10_MIN = 2
    calm = abuse.difficulty()
    for _ in range(4):
        abuse.hit("submissions", window=600)
    assert abuse.difficulty() == calm + 2


def test_held_submissions_have_a_stricter_cap(receiving, settings):
    settings.AMPARO_REPORT_HELD_CAP_PER_HOUR = 2
    client = Client()
    statuses = []
    for _ in range(3):
        data = {k: v for k, v in solved_form(client).items() if k != "pow_nonce"}
        statuses.append(client.post(reverse("report:report_create"), data).status_code)
    assert statuses == [200, 200, 503]
    submit(client)  # with the puzzle solved the report still gets through


def test_an_organisation_over_its_cap_stops_receiving_for_the_hour(receiving, settings):
    settings.AMPARO_REPORT_ORG_CAP_PER_HOUR = 1
    submit()
    client = Client()
    response = client.post(reverse("report:report_create"), solved_form(client))
    assert response.status_code == 503 and Signal.objects.count() == 1


def test_a_submission_counts_once_toward_the_caps_and_a_retry_or_a_refusal_not_at_all(receiving, org_a, settings):
    client = Client()
    data = solved_form(client)
    assert client.post(reverse("report:report_create"), data).status_code == 200
    assert abuse.count("submissions") == 1 and abuse.count("org", str(org_a.pk)) == 1
    # The same submission again (a double click: same submission key, challenge used up).
    assert client.post(reverse("report:report_create"), data).status_code == 200
    assert Signal.objects.count() == 1 and abuse.count("submissions") == 1 and abuse.count("held") == 0
    settings.AMPARO_REPORT_ORG_CAP_PER_HOUR = 1
    assert client.post(reverse("report:report_create"), solved_form(client)).status_code == 503
    assert abuse.count("submissions") == 1 and abuse.count("org", str(org_a.pk)) == 1


def test_an_organisation_over_its_cap_is_not_counted_and_a_retry_gives_back_only_its_own_count(
    receiving, org_a, org_b, staff_b, settings
):
    org_with_keys(org_b)
    RoutingRule.objects.create(organisation=org_b, country="MEX")
    settings.AMPARO_REPORT_ORG_CAP_PER_HOUR = 2
    abuse.hit("org", str(org_a.pk))
    abuse.hit("org", str(org_a.pk))  # organisation A is at its cap this hour, B is not
    client = Client()
    data = solved_form(client)
    assert client.post(reverse("report:report_create"), data).status_code == 200
    assert list(Signal.objects.values_list("organisation_id", flat=True)) == [org_b.pk]
    counts = (abuse.count("submissions"), abuse.count("org", str(org_a.pk)), abuse.count("org", str(org_b.pk)))
    assert counts == (1, 2, 1)
    assert client.post(reverse("report:report_create"), data).status_code == 200  # the same one again
    assert Signal.objects.count() == 1
    assert (abuse.count("submissions"), abuse.count("org", str(org_a.pk)), abuse.count("org", str(org_b.pk))) == counts


def test_rate_limit_keys_are_hashed_and_never_name_what_they_count(receiving):
    from django.core.cache import cache

    receipt = submit()
    followup(receipt[:9] + "AAAAAAAAAAAAAAAAAAA")
    keys = list(cache._cache.keys())  # LocMemCache
    assert keys and not any(receipt[:8] in key for key in keys)
    # Besides the counters and challenges, only the routing version (a random token) is cached.
    allowed = ("amparo:rl:", "amparo:pow:", "amparo:routing-version")
    assert all(key.split(":", 2)[2].startswith(allowed) for key in keys)


# --- attachments ---------------------------------------------------------------------------


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"  # Make
    exif[0x0131] = "LeakySoftware 1.0"  # Software
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_photos_lose_their_metadata_and_pdfs_are_refused_in_the_reporters_language(receiving):
    photo = _jpeg_with_gps()
    assert b"CanaryCam" in photo
    client = Client()
    data = solved_form(client, lang="es")
    data["attachments"] = [SimpleUploadedFile("IMG_2231 casa.jpg", photo, content_type="image/jpeg")]
    assert client.post(reverse("report:report_create"), data).status_code == 200
    signal = Signal.objects.get()
    worker = unlocked_client(_worker(receiving))
    attachment = signal.attachments.get()
    download = worker.get(reverse("reports:attachment_download", args=[signal.reference, attachment.pk]))
    assert download.status_code == 200 and download.content.startswith(b"\xff\xd8")
    assert b"CanaryCam" not in download.content and b"LeakySoftware" not in download.content
    assert Image.open(io.BytesIO(download.content)).getexif() == {}
    assert "attachment-1.jpg" in download["Content-Disposition"]  # its own name only if the reporter keeps it
    pdf = solved_form(client, lang="es")
    pdf["attachments"] = [SimpleUploadedFile("informe.pdf", b"%PDF-1.4 secret", content_type="application/pdf")]
    refused = client.post(reverse("report:report_create"), pdf)
    assert refused.status_code == 400 and b"JPEG, PNG, GIF, WebP" in refused.content  # Spanish once translated
    assert Signal.objects.count() == 1


# --- the page itself -----------------------------------------------------------------------


def test_the_public_pages_set_no_cookie_allow_no_cache_and_work_in_spanish(receiving):
    client = Client()
    page = client.get(reverse("report:report_create"), {"lang": "es"})
    assert page.status_code == 200 and b'lang="es"' in page.content
    assert not page.cookies and "no-store" in page["Cache-Control"] and page["Referrer-Policy"] == "no-referrer"
    receipt_page = client.post(reverse("report:report_create"), solved_form(client, lang="es"))
    assert not receipt_page.cookies and "no-store" in receipt_page["Cache-Control"]


def test_someone_in_danger_sees_the_emergency_number_of_their_country(receiving):
    client = Client()
    response = client.post(reverse("report:report_create"), solved_form(client, danger="yes"))
    assert b"911" in response.content
    assert Signal.objects.get().urgency == "urgent"


def test_invalid_answers_store_nothing_and_say_why(receiving):
    client = Client()
    response = client.post(
        reverse("report:report_create"), {**solved_form(client), "what_happened": "", "country": "XXX"}
    )
    assert response.status_code == 400 and Signal.objects.count() == 0
    assert b"This field is required." in response.content


def test_uploads_never_touch_the_disk_even_when_large(receiving, settings, monkeypatch):
    from django.core.files import uploadhandler

    def no_temp_files(*args, **kwargs):
        raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(uploadhandler, "TemporaryUploadedFile", no_temp_files)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django's own handlers would spool anything bigger to disk
    client = Client()
    data = solved_form(client)
    data["attachments"] = [SimpleUploadedFile("big.jpg", _jpeg_with_gps() + b"\0" * 50_000, content_type="image/jpeg")]
    assert client.post(reverse("report:report_create"), data).status_code == 200
    assert Signal.objects.get().attachments.count() == 1


def test_an_oversized_body_is_refused_before_it_is_read(receiving):
    from amparo.reports.public_views import MAX_BODY

    response = Client().post(reverse("report:report_create"), {"what_happened": "x"}, CONTENT_LENGTH=str(MAX_BODY + 1))
    assert response.status_code == 413 and Signal.objects.count() == 0


def test_a_reporter_in_a_long_conversation_is_never_throttled_by_their_own_receipt(receiving):
    receipt = submit()
    for turn in range(15):
        assert followup(receipt, action="reply", text=f"Answer {turn}").status_code == 303


# --- routing and caps read from the cache ----------------------------------------------------


def test_routing_changes_reach_every_process_at_its_next_submission(receiving, staff_b, org_b):
    """Each process keeps the rules and keys it read, tagged with the version in the cache;
    saving or deleting a rule or a key pair replaces the version, so they are read again."""
    from django.core.cache import cache

    from amparo.reports.services import common

    where = {"country": "COL", "region": "", "exploitation_type": "factories"}
    with pytest.raises(services.ReportingUnavailable):
        services.routing_targets(**where)
    version = cache.get(common.ROUTING_VERSION_KEY)
    rule = RoutingRule.objects.create(organisation=org_b, country="COL")
    assert cache.get(common.ROUTING_VERSION_KEY) != version
    with pytest.raises(services.ReportingUnavailable):
        services.routing_targets(**where)  # org_b holds no keys yet
    org_with_keys(org_b)
    assert services.routing_targets(**where) == [org_b.pk]
    # another process's table, read before the change, is not used once the version moved
    stale = common._routing
    rule.delete()
    with pytest.raises(services.ReportingUnavailable):
        services.routing_targets(**where)
    assert common._routing is not stale
    # a lost or expired version (cache restart) means reading again, never trusting the old table
    cache.delete(common.ROUTING_VERSION_KEY)
    assert services.routing_targets(country="MEX", region="", exploitation_type="") == [receiving.pk]
    assert common._routing is not stale and common._routing.version == cache.get(common.ROUTING_VERSION_KEY)


def test_reports_are_sealed_to_the_key_read_from_the_database(receiving):
    import base64

    from nacl.public import PublicKey

    from amparo.core.models import OrganisationKeys
    from amparo.reports.services import common

    submit()
    stored = OrganisationKeys.objects.get(organisation=receiving).public_key
    assert bytes(common._routing.keys[receiving.pk]) == bytes(PublicKey(base64.b64decode(stored)))


def _redis_or_skip():
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        pytest.skip("no Redis server on 127.0.0.1:6379")


def test_counters_on_redis_are_counted_in_one_round_trip_and_expire(settings):
    """The MULTI/EXEC path of abuse.room(count_it=True), read back with abuse.count / abuse.room."""
    import secrets

    from django.core.cache import caches

    _redis_or_skip()
    settings.CACHES = {
        "default": {
            "BACKEND": "amparo.core.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/12",
            "KEY_PREFIX": f"amparo-test-{secrets.token_hex(6)}",
        }
    }
    try:
        assert abuse._redis_client() is not None
        abuse.room(held=True, organisation_ids=[7, 9], count_it=True)
        abuse.room(held=False, organisation_ids=[7], count_it=True)
        assert abuse.count("submissions") == 2 and abuse.count("submissions", window=600) == 2
        assert abuse.count("held") == 1 and abuse.count("org", "7") == 2 and abuse.count("org", "9") == 1
        settings.AMPARO_REPORT_ORG_CAP_PER_HOUR = 2
        assert abuse.room(held=True, organisation_ids=[7, 9]) == abuse.Room(True, [9], None, False)
        assert abuse._redis_client() is abuse._redis_client(), "one Redis client per process, not one per call"
        # The challenge is used up in the same round trip as the caps are read, once only;
        # a second use of it counts as held, under the held cap (1 held this hour, cap 1).
        settings.AMPARO_REPORT_HELD_CAP_PER_HOUR = 1
        challenge, _bits = abuse.challenge_issue()
        first = abuse.room(held=False, organisation_ids=[9], redeem=challenge)
        assert first.redeemed and first.instance and first.organisations == [9]
        again = abuse.room(held=False, organisation_ids=[9], redeem=challenge)
        assert not again.redeemed and not again.instance
        # Counting in the same round trip, and giving the count back.
        before = (abuse.count("submissions"), abuse.count("org", "9"), abuse.count("held"))
        counted = abuse.room(held=True, organisation_ids=[9], count_it=True)
        assert (abuse.count("submissions"), abuse.count("org", "9"), abuse.count("held")) == tuple(
            n + 1 for n in before
        )
        abuse.uncount(counted.counted)
        assert (abuse.count("submissions"), abuse.count("org", "9"), abuse.count("held")) == before
        key, expires_at = abuse._bucket("org", "7", abuse.HOUR)
        client = abuse._redis_client()
        assert 0 < client.ttl(caches["default"].make_and_validate_key(key)) <= expires_at - int(time.time())
    finally:
        client = abuse._redis_client()
        for name in client.keys(f"{settings.CACHES['default']['KEY_PREFIX']}:*"):
            client.delete(name)


def test_two_receipt_changes_at_once_leave_the_conversation_readable(receiving):
    """Two tabs opened with the same receipt each change it: the second is refused, and the
    conversation stays readable with the first one's new receipt."""
    receipt = submit()
    signal = Signal.objects.get()
    services.signal_reply(actor=as_verified(_worker(receiving)), signal=signal, text="Are you safe?")
    first, second = (
        services.followup_open(receipt_text=receipt, unsolved_allowed=True),
        services.followup_open(receipt_text=receipt, unsolved_allowed=True),
    )
    new = services.receipt_change(opened=first)
    with pytest.raises(services.ReceiptRefused):
        services.receipt_change(opened=second)
    thread = services.followup_thread(opened=services.followup_open(receipt_text=new, unsolved_allowed=True))
    assert [item["text"] for item in thread] == ["Are you safe?"]
