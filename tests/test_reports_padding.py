"""Sealed sizes: what is sealed is padded to a size bucket, and rows sealed before still open.

A sealed blob's length is the padded plaintext's length plus a constant (the sealed box's 48
bytes), so equal buckets give equal lengths whatever the exact size of the content.
"""

from __future__ import annotations

import base64
import io
import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from nacl.public import PublicKey, SealedBox
from PIL import Image

from amparo.core import sealing
from amparo.core.models import OrganisationKeys
from amparo.reports import services
from amparo.reports.cleaning import clean_attachment
from amparo.reports.models import Attachment, Message, Receipt, Signal
from amparo.reports.services.common import _dump
from tests.conftest import as_verified
from tests.sealing_helpers import unlocked_client
from tests.test_reports import _cheap_crypto_and_puzzles, _worker, followup, receiving_fixture, submit  # noqa: F401

BOX = 48  # a sealed box adds an ephemeral public key (32 bytes) and a MAC (16 bytes)
SHORT = "A man keeps four workers locked in a bakery near the market at night"
LONGER = SHORT + " and takes their passports; they sleep on flour sacks and are never paid"


def lengths(rows, field: str) -> set[int]:
    return {len(bytes(getattr(row, field))) for row in rows}


def png(side: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(out, format="PNG")
    return out.getvalue()


# --- the format ----------------------------------------------------------------------------


@given(st.binary(max_size=70_000))
def test_padding_round_trips_to_a_bucket_and_marks_its_version(data):
    padded = sealing.pad(data)
    assert sealing.unpad(padded) == data
    size = len(padded)
    assert size == sealing.padded_size(len(data)) and size >= len(data) + 28
    assert size == 256 or (size <= 65536 and size & (size - 1) == 0) or size % 65536 == 0


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=200), max_size=8))
def test_padded_json_is_still_the_same_json(document):
    raw = _dump(document)
    assert json.loads(sealing.pad(raw)) == document  # any JSON reader parses it as it is


def test_buckets_double_up_to_64_kib_then_grow_by_64_kib():
    assert [sealing.padded_size(n) for n in (0, 228, 229, 500, 65508, 65509, 200_000)] == [
        256,
        256,
        512,
        1024,
        65536,
        131072,
        262144,
    ]


def test_content_sealed_before_padding_existed_is_returned_as_it_is():
    old_json, old_png = b'{"what_happened":"old"}', png(4, (0, 0, 0))
    assert sealing.unpad(old_json) == old_json and sealing.unpad(old_png) == old_png


def test_a_later_padding_version_is_refused_not_misread():
    import pytest

    padded = bytearray(sealing.pad(b"{}"))
    padded[8:12] = b"   \n"  # version 2 in the header's version field
    with pytest.raises(ValueError):
        sealing.unpad(bytes(padded))
    cut = sealing.pad(b"x" * 300)[:200]  # the frame says more than there is
    with pytest.raises(ValueError):
        sealing.unpad(cut)


# --- what is stored ------------------------------------------------------------------------


def test_two_reports_of_different_lengths_in_one_bucket_seal_to_equal_lengths(receiving):
    submit(what_happened=SHORT)
    submit(what_happened=LONGER)
    first, second = Signal.objects.all()
    contents = [len(_dump({"what_happened": text})) for text in (SHORT, LONGER)]
    assert contents[0] != contents[1]
    assert len(bytes(first.sealed)) == len(bytes(second.sealed)) == 512 + BOX
    submit(what_happened=LONGER * 8)  # a much longer report lands in a bigger bucket
    assert lengths(Signal.objects.all(), "sealed") == {512 + BOX, 2048 + BOX}


def test_messages_contact_details_and_attachments_seal_to_their_bucket(receiving, staff_a):
    receipt = submit()
    signal = Signal.objects.get()
    worker = as_verified(_worker(receiving))
    services.signal_reply(actor=worker, signal=signal, text="Are you safe?")
    services.signal_reply(actor=worker, signal=signal, text="Can you tell us which street the bakery is in, please?")
    followup(receipt, action="reply", text="Yes", contact="+52 951 555 0199")
    followup(
        receipt, action="reply", text="Calle Tamarindo, beside the church with the blue door", contact="rosa@x.org"
    )
    messages = Message.objects.all()
    assert messages.count() == 6
    assert lengths(messages, "sealed_for_org") == lengths(messages, "sealed_for_reporter") == {256 + BOX}
    files = [("a.png", png(8, (200, 0, 0))), ("a-much-longer-file-name-from-the-phone.png", png(90, (0, 0, 200)))]
    cleaned = [len(clean_attachment(name, content).content) for name, content in files]
    assert cleaned[0] != cleaned[1] and sealing.padded_size(cleaned[0]) == sealing.padded_size(cleaned[1])
    for name, content in files:
        followup(receipt, action="reply", text="", attachments=SimpleUploadedFile(name, content, "image/png"))
    attachments = Attachment.objects.all()
    assert attachments.count() == 2
    assert lengths(attachments, "sealed_name") == {256 + BOX}
    assert lengths(attachments, "sealed_content") == {sealing.padded_size(cleaned[0]) + BOX}
    page = unlocked_client(_worker(receiving)).get(reverse("reports:signal_detail", args=[signal.reference]))
    assert b"Calle Tamarindo, beside the church" in page.content and b"rosa@x.org" in page.content


def test_rows_sealed_before_padding_still_open_for_staff_and_reporter(receiving):
    receipt = submit()
    signal, stored = Signal.objects.get(), Receipt.objects.get()
    org_key = PublicKey(base64.b64decode(OrganisationKeys.objects.get(organisation=receiving).public_key))
    reporter_key = PublicKey(bytes(stored.reporter_public_key))
    old_report = _dump({"what_happened": "Old unpadded report about the quarry", "country": "MEX"})
    Signal.objects.filter(pk=signal.pk).update(sealed=SealedBox(org_key).encrypt(old_report))
    old_message = _dump({"text": "An old unpadded question", "key": "K"})
    Message.objects.create(
        signal=signal,
        author="staff",
        sealed_for_org=SealedBox(org_key).encrypt(old_message),
        sealed_for_reporter=SealedBox(reporter_key).encrypt(old_message),
        sent_on=services.today(),
    )
    photo = png(8, (0, 120, 0))
    attachment = Attachment.objects.create(
        signal=signal,
        sealed_name=SealedBox(org_key).encrypt(_dump({"name": "old.png", "content_type": "image/png"})),
        sealed_content=SealedBox(org_key).encrypt(photo),
    )
    worker = unlocked_client(_worker(receiving))
    page = worker.get(reverse("reports:signal_detail", args=[signal.reference]))
    assert b"Old unpadded report about the quarry" in page.content and b"An old unpadded question" in page.content
    assert b"old.png" in page.content
    download = worker.get(reverse("reports:attachment_download", args=[signal.reference, attachment.pk]))
    assert download.status_code == 200 and download.content == photo
    assert b"An old unpadded question" in followup(receipt).content
    changed = followup(receipt, action="change_receipt")  # re-sealed to the new key, still readable
    new = re.sub(
        r"<[^>]+>", "", changed.content.decode().split('class="secret receipt"><strong>')[1].split("</strong>")[0]
    )
    assert b"An old unpadded question" in followup(new).content
