"""Attachments in a storage backend (decision 0039): on the filesystem and in an S3 bucket
served by moto's server, started here on a free loopback port. Only ciphertext reaches the
storage, under random names; staff open the files only through Amparo's views, another
organisation cannot; deleting a report or erasing a case deletes the objects; a swapped or
changed object is refused; backups carry the objects and restore puts them back."""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from pathlib import Path

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image

from amparo.cases import services as case_services
from amparo.cases.models import CaseAttachment
from amparo.core import blobs
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.reports import services as report_services
from amparo.reports.models import Attachment, RoutingRule, Signal
from amparo.settings import _attachment_storage_settings
from tests.conftest import as_verified, verified_client
from tests.sealing_helpers import org_with_keys, unlocked_client
from tests.test_reports import solved_form

FILE_NAME = "Xochitl-Quetzalli-pasaporte.png"
REPORT_FILE = "Tamarindo-taller-foto.png"
KEY_SHAPE = re.compile(r"[0-9a-f]{32}")
ACCESS = {"AWS_ACCESS_KEY_ID": "amparo-test", "AWS_SECRET_ACCESS_KEY": "amparo-test-secret"}


@pytest.fixture(autouse=True)
def _cheap(settings):
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    settings.AMPARO_POW_BITS = 4
    settings.AMPARO_POW_MAX_BITS = 8


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A real S3 API (moto's server) on loopback, for the tests of this module."""
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class Stored:
    mode: str
    objects: Callable[[], dict[str, bytes]]
    s3: object | None = None
    bucket: str = ""


def _configure(settings, mode: str, environ: dict[str, str]) -> None:
    settings.AMPARO_ATTACHMENT_STORAGE = mode
    entry = _attachment_storage_settings(mode, environ, Path(settings.MEDIA_ROOT))
    storages = {k: v for k, v in settings.STORAGES.items() if k != "attachments"}
    settings.STORAGES = {**storages, **({"attachments": entry} if entry else {})}


def _use_s3(settings, monkeypatch, endpoint: str) -> Stored:
    for name, value in ACCESS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"amparo-test-{secrets.token_hex(4)}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    _configure(
        settings,
        "s3",
        {"AWS_STORAGE_BUCKET_NAME": bucket, "AWS_S3_ENDPOINT_URL": endpoint, "AWS_S3_REGION_NAME": "us-east-1"},
    )

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}

    return Stored("s3", objects, client, bucket)


def _use_filesystem(settings) -> Stored:
    _configure(settings, "filesystem", {})
    root = Path(settings.MEDIA_ROOT) / "attachments"

    def objects() -> dict[str, bytes]:
        if not root.is_dir():
            return {}
        return {path.name: path.read_bytes() for path in root.iterdir() if path.is_file()}

    return Stored("filesystem", objects)


@pytest.fixture(params=["filesystem", "s3"])
def storage(request, settings, tmp_path, monkeypatch) -> Stored:
    settings.MEDIA_ROOT = tmp_path / "media"
    if request.param == "s3":
        return _use_s3(settings, monkeypatch, request.getfixturevalue("moto_endpoint"))
    return _use_filesystem(settings)


def _png(seed: int) -> bytes:
    """A noisy picture: its cleaned bytes are distinctive, so any copy of them is found."""
    rng = secrets.SystemRandom(seed)
    image = Image.new("RGB", (48, 36))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(48 * 36)])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _report_with_photo(org_a) -> tuple[Signal, Attachment]:
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    client = Client()
    photo = SimpleUploadedFile(REPORT_FILE, _png(1), content_type="image/png")
    response = client.post(reverse("report:report_create"), {**solved_form(client), "attachments": [photo]})
    assert response.status_code == 200
    signal = Signal.objects.get()
    return signal, signal.attachments.get()


def _case_with_file(staff_a):
    worker = staff_a[Role.CASE_WORKER]
    case = case_services.case_create(actor=as_verified(worker), given_name="Yolanda", family_name="Peña")
    upload = SimpleUploadedFile(FILE_NAME, _png(2), content_type="image/png")
    url = reverse("cases:attachment_create", kwargs={"reference": case.reference})
    assert verified_client(worker).post(url, {"upload": upload}).status_code == 302
    return case, case.attachments.get()


def _report_url(signal, attachment) -> str:
    return reverse("reports:attachment_download", args=[signal.reference, attachment.pk])


def _case_url(case, attachment) -> str:
    return reverse("cases:attachment_download", kwargs={"reference": case.reference, "pk": attachment.pk})


def _windows(data: bytes, size: int = 24) -> list[bytes]:
    return [data[i : i + size] for i in range(0, max(len(data) - size, 1), 16)]


def _assert_no_plaintext(objects: dict[str, bytes], served: bytes, *markers: str) -> None:
    """No piece of the file as served (raw or base64) and no marker is in any stored object."""
    encoded = base64.b64encode(served)
    for key, data in objects.items():
        assert not any(window in data for window in _windows(served)), f"plaintext in object {key}"
        assert not any(window in data for window in _windows(encoded, 32)), f"base64 plaintext in object {key}"
        for marker in markers:
            assert marker.encode() not in data and marker.encode("utf-16-le") not in data, marker
            assert marker.lower() not in key.lower()


def test_only_ciphertext_under_random_names_reaches_the_storage_and_staff_open_it_through_amparo(
    storage, staff_a, staff_b, org_a
):
    signal, report_file = _report_with_photo(org_a)
    case, case_file = _case_with_file(staff_a)
    objects = storage.objects()
    assert set(objects) == {report_file.object_key, case_file.object_key}
    assert all(KEY_SHAPE.fullmatch(key) for key in objects)
    # The rows keep no content, only the object's name and digest.
    assert bytes(report_file.sealed_content) == b"" and case_file.content == ""
    assert blobs.sha256(objects[case_file.object_key]) == case_file.object_sha256

    # Staff of the organisation open both, through the permission-checked, audited views.
    served_report = unlocked_client(staff_a[Role.CASE_WORKER]).get(_report_url(signal, report_file))
    assert served_report.status_code == 200 and served_report.content.startswith(b"\x89PNG")
    served_case = verified_client(staff_a[Role.CASE_WORKER]).get(_case_url(case, case_file))
    assert served_case.status_code == 200 and Image.open(io.BytesIO(served_case.content)).size == (48, 36)
    assert AuditEntry.objects.filter(action="case.attachment_view").count() == 1
    assert AuditEntry.objects.filter(action="report.attachment_view").count() == 1

    # What the storage holds is none of it: no piece of either file, no name, no reference.
    for served in (served_report.content, served_case.content):
        _assert_no_plaintext(objects, served, FILE_NAME, REPORT_FILE, "Xochitl", "Tamarindo", case.reference)
    for key in objects:
        assert signal.reference.lower() not in key and str(case.pk) not in key

    # Another organisation finds nothing, however it asks.
    for user in (staff_b[Role.CASE_WORKER], staff_b[Role.ORG_ADMIN]):
        assert verified_client(user).get(_case_url(case, case_file)).status_code == 404
        assert verified_client(user).get(_report_url(signal, report_file)).status_code == 404
    # The storage itself never hands out a link.
    with pytest.raises(NotImplementedError):
        blobs.storage().url(case_file.object_key)
    if storage.mode == "filesystem":
        folder = Path(blobs.storage().path(case_file.object_key)).parent
        assert folder.stat().st_mode & 0o777 == 0o700
        assert all((folder / key).stat().st_mode & 0o777 == 0o600 for key in objects)
    if storage.mode == "s3":
        for key in objects:
            grants = storage.s3.get_object_acl(Bucket=storage.bucket, Key=key)["Grants"]  # type: ignore[attr-defined]
            assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
            assert all(g["Grantee"].get("Type") == "CanonicalUser" for g in grants)


def test_a_swapped_or_changed_object_is_refused_with_a_message(storage, staff_a):
    case, first = _case_with_file(staff_a)
    upload = SimpleUploadedFile("second.png", _png(3), content_type="image/png")
    second = case_services.attachment_add(actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, upload=upload)
    client = verified_client(staff_a[Role.CASE_WORKER])
    # Someone with write access to the database and the bucket (no key file) points the second
    # row at the first one's object, digest included: the vault binding refuses it.
    CaseAttachment.objects.filter(pk=second.pk).update(object_key=first.object_key, object_sha256=first.object_sha256)
    refused = client.get(_case_url(case, second))
    assert refused.status_code == 502 and b"This file cannot be opened" in refused.content
    # The check a restore runs names that row, and only that one.
    assert blobs.damaged_objects() == [f"cases.CaseAttachment {second.pk}"]
    # A changed object is refused by its digest before anything is opened.
    store = blobs.storage()
    store.delete(first.object_key)
    assert store.save(first.object_key, ContentFile(b"v2:forged")) == first.object_key
    refused = client.get(_case_url(case, first))
    assert refused.status_code == 502 and b"not the one Amparo saved" in refused.content
    assert not AuditEntry.objects.filter(action="case.attachment_view").exists()


def test_erasing_a_case_and_purging_a_report_delete_their_objects(
    storage, staff_a, org_a, django_capture_on_commit_callbacks
):
    signal, report_file = _report_with_photo(org_a)
    case, case_file = _case_with_file(staff_a)
    assert set(storage.objects()) == {report_file.object_key, case_file.object_key}
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_erase(
            actor=as_verified(staff_a[Role.ORG_ADMIN]),
            case=case,
            reason="subject_request",
            confirm_reference=case.reference,
        )
    assert set(storage.objects()) == {report_file.object_key}
    with django_capture_on_commit_callbacks(execute=True):
        assert report_services.signals_purge_expired(on=timezone.localdate() + timedelta(days=3650)) == 1
    assert storage.objects() == {} and not Attachment.objects.exists()


def test_a_failed_upload_leaves_no_object(storage, staff_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = case_services.case_create(actor=worker, given_name="Yolanda")
    bad = SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 64, content_type="application/octet-stream")
    url = reverse("cases:attachment_create", kwargs={"reference": case.reference})
    assert verified_client(staff_a[Role.CASE_WORKER]).post(url, {"upload": bad}).status_code == 400
    assert storage.objects() == {} and not CaseAttachment.objects.exists()


def test_a_page_submitted_twice_leaves_one_set_of_objects(storage, org_a, staff_a):
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    client = Client()
    data = solved_form(client)
    for _ in range(2):
        photo = SimpleUploadedFile(REPORT_FILE, _png(4), content_type="image/png")
        assert client.post(reverse("report:report_create"), {**data, "attachments": [photo]}).status_code == 200
    assert Signal.objects.count() == 1
    assert set(storage.objects()) == {Attachment.objects.get().object_key}


def test_attachments_kept_in_the_database_move_to_the_storage_and_still_open(
    settings, tmp_path, monkeypatch, staff_a, org_a, moto_endpoint
):
    settings.MEDIA_ROOT = tmp_path / "media"
    signal, report_file = _report_with_photo(org_a)  # stored in the database (the default)
    case, case_file = _case_with_file(staff_a)
    before = verified_client(staff_a[Role.CASE_WORKER]).get(_case_url(case, case_file)).content
    with pytest.raises(CommandError, match="AMPARO_ATTACHMENT_STORAGE"):
        call_command("attachments_to_storage", stdout=StringIO())
    stored = _use_s3(settings, monkeypatch, moto_endpoint)
    out = StringIO()
    call_command("attachments_to_storage", stdout=out)
    assert "reports.Attachment: 1 moved" in out.getvalue() and "cases.CaseAttachment: 1 moved" in out.getvalue()
    report_file.refresh_from_db()
    case_file.refresh_from_db()
    assert bytes(report_file.sealed_content) == b"" and case_file.content == ""
    assert set(stored.objects()) == {report_file.object_key, case_file.object_key}
    after = verified_client(staff_a[Role.CASE_WORKER]).get(_case_url(case, case_file))
    assert after.status_code == 200 and after.content == before
    report = unlocked_client(staff_a[Role.CASE_WORKER]).get(_report_url(signal, report_file))
    assert report.status_code == 200 and report.content.startswith(b"\x89PNG")
    _assert_no_plaintext(stored.objects(), before, FILE_NAME)
    # Run again: nothing left to move, nothing written twice.
    call_command("attachments_to_storage", stdout=(again := StringIO()))
    assert "reports.Attachment: 0 moved" in again.getvalue() and len(stored.objects()) == 2


@pytest.mark.django_db(transaction=True)
def test_rotating_the_vault_keys_re_encrypts_the_case_objects(settings, tmp_path, monkeypatch, staff_a):
    from amparo.core import vault

    settings.MEDIA_ROOT = tmp_path / "media"
    stored = _use_filesystem(settings)
    monkeypatch.delenv("AMPARO_KEYS", raising=False)
    settings.AMPARO_KEY_FILE = tmp_path / "keys.json"
    vault.write_key_file(settings.AMPARO_KEY_FILE, vault.Keyring.generate())
    vault.reset_keyring()
    try:
        case, attachment = _case_with_file(staff_a)
        before = base64.b64decode(case_services.attachment_content(attachment))
        old_kid = vault.keyring().active
        out = StringIO()
        call_command("rotate_keys", "--retire", stdout=out)
        assert "1 attachment objects re-encrypted" in out.getvalue()
        vault.reset_keyring()  # the rotated file, as a restarted server reads it; the old key is gone
        assert old_kid not in vault.keyring().keys
        moved = CaseAttachment.objects.get()
        assert moved.object_key != attachment.object_key and set(stored.objects()) == {moved.object_key}
        assert vault.key_id(stored.objects()[moved.object_key].decode()) == vault.keyring().active
        assert base64.b64decode(case_services.attachment_content(moved)) == before
        # Without the storage configured, rotation refuses before changing anything.
        _configure(settings, "database", {})
        with pytest.raises(CommandError, match="not configured"):
            call_command("rotate_keys", stdout=StringIO())
        assert vault.keyring().active == json.loads(settings.AMPARO_KEY_FILE.read_text())["active"]
    finally:
        vault.reset_keyring()


def test_the_database_stays_the_default_and_a_wrong_setting_is_refused(settings, staff_a, tmp_path):
    assert settings.AMPARO_ATTACHMENT_STORAGE == "database" and "attachments" not in settings.STORAGES
    _case, attachment = _case_with_file(staff_a)
    assert attachment.object_key == "" and base64.b64decode(attachment.content).startswith(b"\x89PNG")
    with pytest.raises(ImproperlyConfigured, match="one of database, filesystem, s3"):
        _attachment_storage_settings("ftp", {}, tmp_path)
    with pytest.raises(ImproperlyConfigured, match="AWS_STORAGE_BUCKET_NAME"):
        _attachment_storage_settings("s3", {}, tmp_path)
    s3 = _attachment_storage_settings("s3", {"AWS_STORAGE_BUCKET_NAME": "amparo"}, tmp_path)
    assert s3 is not None
    assert s3["OPTIONS"]["default_acl"] == "private" and s3["OPTIONS"]["custom_domain"] is None
    assert not any("KEY" in name.upper() for name in s3["OPTIONS"])  # credentials only from the environment


# --- backups --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_backup_carries_the_bucket_objects_and_restore_puts_them_back(
    staff_a, org_a, settings, tmp_path, monkeypatch, moto_endpoint
):
    from tests.test_backup_drill import MARKERS, PASSPHRASE, decrypted_tar, seed, wipe

    settings.MEDIA_ROOT = tmp_path / "media"
    stored = _use_s3(settings, monkeypatch, moto_endpoint)
    seed(staff_a, org_a, settings)
    report_file, case_file = Attachment.objects.get(), CaseAttachment.objects.get()
    opened_before = base64.b64decode(case_services.attachment_content(case_file))
    objects = stored.objects()
    assert set(objects) == {report_file.object_key, case_file.object_key}

    secret_file = tmp_path / "passphrase"
    secret_file.write_text(PASSPHRASE + "\n")
    archive = tmp_path / "amparo.backup"
    call_command("backup", output=str(archive), passphrase_file=str(secret_file), stdout=StringIO())
    members = decrypted_tar(archive)
    manifest = json.loads(members["manifest.json"])
    assert manifest["attachment_storage"] == "s3"
    for key, data in objects.items():
        assert members[f"objects/{key}"] == data  # as stored: ciphertext
    raw = archive.read_bytes()
    for marker in MARKERS:
        # (the drill's seed leaves one deliberately plain file under media/uploads/)
        scanned = [data for name, data in members.items() if not name.startswith("media/uploads/")]
        assert marker.encode() not in raw and all(marker.encode() not in data for data in scanned), marker

    # Restore refuses a bucket that still holds objects, and changes nothing.
    wipe(settings)
    with pytest.raises(CommandError, match="bucket is not empty"):
        call_command("restore", str(archive), passphrase_file=str(secret_file), stdout=StringIO())
    assert not Signal.objects.exists()
    for key in objects:
        stored.s3.delete_object(Bucket=stored.bucket, Key=key)  # type: ignore[attr-defined]
    # ... and an instance that keeps attachments in the database cannot take them.
    _configure(settings, "database", {})
    with pytest.raises(CommandError, match="holds 2 attachment objects"):
        call_command("restore", str(archive), passphrase_file=str(secret_file), stdout=StringIO())

    stored = _use_s3(settings, monkeypatch, moto_endpoint)  # a new, empty bucket
    out = StringIO()
    call_command("restore", str(archive), passphrase_file=str(secret_file), stdout=out)
    assert "every encrypted value opens" in out.getvalue()
    assert stored.objects() == objects
    restored = CaseAttachment.objects.get()
    assert base64.b64decode(case_services.attachment_content(restored)) == opened_before


@pytest.mark.django_db(transaction=True)
def test_a_backup_with_an_object_lost_from_the_bucket_is_refused(
    staff_a, org_a, settings, tmp_path, monkeypatch, moto_endpoint
):
    from tests.test_backup_drill import PASSPHRASE, seed

    settings.MEDIA_ROOT = tmp_path / "media"
    stored = _use_s3(settings, monkeypatch, moto_endpoint)
    seed(staff_a, org_a, settings)
    lost = CaseAttachment.objects.get().object_key
    stored.s3.delete_object(Bucket=stored.bucket, Key=lost)  # type: ignore[attr-defined]
    secret_file = tmp_path / "passphrase"
    secret_file.write_text(PASSPHRASE + "\n")
    with pytest.raises(CommandError, match="1 attachment object"):
        call_command("backup", output=str(tmp_path / "b"), passphrase_file=str(secret_file), stdout=StringIO())
    assert not (tmp_path / "b").exists() and not (tmp_path / "b.partial").exists()
