"""Attachments cost the server nothing before the proof of work and the caps, and a bounded
amount after (issue 8, item 3): headers are checked first, pixels decoded last and capped."""

from __future__ import annotations

import base64
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from amparo.reports import cleaning
from amparo.reports.models import Attachment, Signal
from tests.test_reports import (  # noqa: F401
    _cheap_crypto_and_puzzles,
    answers,
    receiving_fixture,
    recipients_kept,
    solved_form,
)
from tests.test_reports_api import post, report, solved


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG")
    return out.getvalue()


BOMB = _png((6000, 6000))  # 36 million pixels in about 20 KB


@pytest.fixture(name="decoded")
def decoded_fixture(monkeypatch):
    """The files the server decoded (cleaning.decode), in order."""
    calls: list[str] = []
    real = cleaning.decode

    def spy(item):
        calls.append(item.name)
        return real(item)

    monkeypatch.setattr(cleaning, "decode", spy)
    return calls


def _bombs(count: int = 5) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"b{n}.png", BOMB, content_type="image/png") for n in range(count)]


def test_five_crafted_pngs_with_an_invalid_form_and_no_puzzle_cost_nothing(receiving, decoded):
    assert len(BOMB) < 30_000
    invalid = answers(what_happened="")
    Client().post(reverse("report:report_create"), invalid)  # warm up (templates, country names)
    started = time.monotonic()
    Client().post(reverse("report:report_create"), invalid)
    baseline = time.monotonic() - started
    started = time.monotonic()
    response = Client().post(reverse("report:report_create"), {**invalid, "attachments": _bombs()})
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert decoded == [] and elapsed < baseline + 1, (elapsed, baseline)  # was about 12 s more
    assert not Signal.objects.exists()


def test_an_image_declaring_too_many_pixels_is_refused_from_its_header(receiving, decoded):
    client = Client()
    data = {**solved_form(client), "attachments": _bombs(1)}
    response = client.post(reverse("report:report_create"), data)
    assert response.status_code == 400 and b"This image is too large" in response.content
    assert decoded == [] and not Signal.objects.exists()


def test_images_together_over_the_submission_budget_are_refused_before_decoding(receiving, decoded):
    client = Client()
    big = _png((4000, 3000), "RGB")  # 12 MP each: three fit, four do not
    files = [SimpleUploadedFile(f"p{n}.png", big, content_type="image/png") for n in range(4)]
    response = client.post(reverse("report:report_create"), {**solved_form(client), "attachments": files})
    assert response.status_code == 400 and b"too large together" in response.content
    assert decoded == [] and not Signal.objects.exists()


def test_photos_are_decoded_only_once_the_caps_let_the_report_through(receiving, decoded, settings):
    settings.AMPARO_REPORT_HELD_CAP_PER_HOUR = 0  # no puzzle: held, and the held cap is full
    photo = SimpleUploadedFile("p.png", _png((64, 64), "RGB"), content_type="image/png")
    response = Client().post(reverse("report:report_create"), {**recipients_kept(answers()), "attachments": [photo]})
    assert response.status_code == 503 and decoded == [] and not Signal.objects.exists()
    client = Client()
    photo.seek(0)
    response = client.post(reverse("report:report_create"), {**solved_form(client), "attachments": [photo]})
    assert response.status_code == 200 and decoded == ["attachment-1.png"]
    assert Attachment.objects.count() == 1


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(receiving):
    out = io.BytesIO()
    Image.new("RGB", (6000, 4000), (120, 80, 40)).save(out, format="JPEG", quality=50)
    pending = cleaning.inspect("big.jpg", out.getvalue())
    assert pending.size == (3000, 2000)
    clean = cleaning.decode(pending)
    assert Image.open(io.BytesIO(clean.content)).size == (3000, 2000)
    bilevel = cleaning.clean_attachment("scan.png", _png((100, 100)))
    assert Image.open(io.BytesIO(bilevel.content)).mode == "1"  # not blown up to RGBA


def test_the_api_decodes_nothing_before_the_puzzle_and_the_caps(receiving, decoded, settings):
    bombs = [{"name": f"b{n}.png", "content_base64": base64.b64encode(BOMB).decode()} for n in range(5)]
    response = post("report_submit", {"country": "MEX", "attachments": bombs})  # invalid: no text
    assert response.status_code == 400
    response = post("report_submit", {**report(), **solved(), "attachments": bombs[:1]})
    assert response.status_code == 400 and "too large" in str(response.json())
    settings.AMPARO_REPORT_HELD_CAP_PER_HOUR = 0
    photo = {"name": "p.png", "content_base64": base64.b64encode(_png((64, 64), "RGB")).decode()}
    assert post("report_submit", {**report(), "attachments": [photo]}).status_code == 503
    assert decoded == [] and not Signal.objects.exists()
    assert post("report_submit", {**report(), **solved(), "attachments": [photo]}).status_code == 201
    assert decoded == ["attachment-1.png"]  # renamed before decoding (the reporter did not keep names)
