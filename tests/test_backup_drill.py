"""The backup drill: seed, back up, wipe the database and the media, restore, and find
everything back — cases open, sealed reports open with the organisation's key, the audit log
verifies, every table holds the same rows — with no plaintext anywhere in the archive, and a
wrong passphrase, a flipped byte or a truncated archive refused with a clear message."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from io import StringIO
from pathlib import Path

import pyrage
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from PIL import Image

from amparo.cases import services
from amparo.cases.models import Case, CaseAttachment
from amparo.core import backup, sealing
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals.models import ServiceType
from amparo.reports.models import Attachment, RoutingRule, Signal
from tests import integrity
from tests.conftest import PASSWORD, as_verified, registered_case
from tests.sealing_helpers import org_with_keys, sign_in_for_real
from tests.test_reports import solved_form
from tests.test_sealing import request_for

NAME = "Ximena Backupdrill Quispe"
PHONE = "+51 987 650 321"
SUMMARY = "Retenida en el taller de la calle Zorritos"
NOTE = "Talked about the Huancayo recruiter"
FILE_NAME = "Ximena-pasaporte-drill.png"
STORY = "Seven boys from Cusco are kept at the Minas Malvinas camp"
UPLOAD = b"fictional uploaded file: Malvinas ledger"
PASSPHRASE = "correct horse battery staple drill"
MARKERS = (NAME, PHONE, SUMMARY, NOTE, FILE_NAME, STORY, "Zorritos", "Malvinas", "Huancayo")


@pytest.fixture(autouse=True)
def _cheap(settings, tmp_path):
    settings.AMPARO_RECEIPT_OPSLIMIT = 1
    settings.AMPARO_RECEIPT_MEMLIMIT = 8192
    settings.AMPARO_POW_BITS = 4
    settings.AMPARO_POW_MAX_BITS = 8
    settings.MEDIA_ROOT = tmp_path / "media"


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, format="PNG")
    return out.getvalue()


def seed(staff_a, org_a, settings) -> dict:
    """Cases with encrypted fields and an attachment, a sealed report with an attachment, an
    organisation key pair, audit entries, and one uploaded file in MEDIA_ROOT."""
    worker = staff_a[Role.CASE_WORKER]
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    actor = as_verified(worker)
    first = registered_case(worker)
    second = services.case_create(actor=actor, person_name=NAME, phone=PHONE, summary=SUMMARY)
    services.note_add(actor=actor, case=second, body=NOTE)
    services.attachment_add(
        actor=actor, case=second, upload=SimpleUploadedFile(FILE_NAME, _png((10, 120, 200)), content_type="image/png")
    )
    client = Client()
    photo = SimpleUploadedFile("camp.png", _png((200, 30, 30)), content_type="image/png")
    response = client.post(
        reverse("report:report_create"),
        {**solved_form(client, what_happened=STORY, country="MEX"), "attachments": [photo]},
    )
    assert response.status_code == 200 and Signal.objects.count() == 1 and Attachment.objects.count() == 1
    media = Path(settings.MEDIA_ROOT)
    (media / "uploads").mkdir(parents=True)
    (media / "uploads" / "ledger.bin").write_bytes(UPLOAD)
    cases = {
        case.pk: (case.person_name, case.given_name, case.family_name, case.phone, case.summary, case.document_number)
        for case in (Case.objects.get(pk=first.pk), Case.objects.get(pk=second.pk))
    }
    attachment = CaseAttachment.objects.get()
    return {
        "cases": cases,
        "attachment": (attachment.pk, attachment.file_name, attachment.content),
        "counts": backup.live_counts(),
        "audit_entries": AuditEntry.objects.count(),
    }


def wipe(settings) -> None:
    """Empty the database and MEDIA_ROOT; leave what a fresh `migrate` writes (content types,
    permissions, a seeded vocabulary row), which restore accepts and replaces."""
    call_command("flush", interactive=False, stdout=StringIO())
    ServiceType.objects.create(code="drill-seeded", label_es="Sembrado", label_en="Seeded", version="1")
    shutil.rmtree(settings.MEDIA_ROOT)
    assert not Case.objects.exists() and not Signal.objects.exists()


def decrypted_tar(archive: Path, passphrase: str = PASSPHRASE) -> dict[str, bytes]:
    """Every member of the archive, decrypted by hand (as `age` would) for the scans."""
    raw = archive.read_bytes()
    assert raw.startswith(backup.PASSPHRASE_MAGIC)
    header, rest = raw.split(b"\n", 1)
    length = int(header.rsplit(b" ", 1)[1])
    identity = pyrage.x25519.Identity.from_str(pyrage.passphrase.decrypt(rest[:length], passphrase).decode())
    plain = pyrage.decrypt(rest[length:], [identity])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return {info.name: tar.extractfile(info).read() for info in tar}  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_the_drill_back_up_wipe_restore_and_everything_opens(staff_a, org_a, settings, tmp_path):
    before = seed(staff_a, org_a, settings)
    secret_file = tmp_path / "passphrase"
    secret_file.write_text(PASSPHRASE + "\n")
    archive = tmp_path / "amparo.backup"
    out = StringIO()
    call_command("backup", output=str(archive), passphrase_file=str(secret_file), stdout=out)
    assert "Backup written" in out.getvalue() and archive.stat().st_mode & 0o777 == 0o600

    # No plaintext: not in the archive's bytes, not in the decrypted database dump either
    # (only vault tokens and sealed blobs), and the key file is not inside.
    raw = archive.read_bytes()
    members = decrypted_tar(archive)
    manifest = json.loads(members["manifest.json"])
    dump = members[manifest["database"]["member"]]
    assert members["media/uploads/ledger.bin"] == UPLOAD
    for marker in MARKERS:
        for form in (marker.encode(), marker.encode("utf-16-le")):
            assert form not in raw, marker
            assert form not in dump, marker
    assert b"malvinas" not in raw.lower()
    for key in backup.vault.keyring().keys.values():
        assert key not in raw and key not in dump
        assert backup.vault.base64.b64encode(key) not in dump
    assert manifest["counts"] == before["counts"] and manifest["counts"]["cases.Case"] == 2
    assert {entry["name"] for entry in manifest["files"]} == {
        manifest["database"]["member"],
        "media/uploads/ledger.bin",
    }
    assert manifest["migrations"]["cases"] and manifest["database"]["vendor"] in ("sqlite", "postgresql")

    verified = StringIO()
    call_command("verify_backup", str(archive), passphrase_file=str(secret_file), stdout=verified)
    assert "The backup is intact" in verified.getvalue() and "cases.Case: 2" in verified.getvalue()

    wipe(settings)
    restored_out = StringIO()
    call_command("restore", str(archive), passphrase_file=str(secret_file), stdout=restored_out)
    assert "the audit log is intact and every encrypted value opens" in restored_out.getvalue()

    # Counts per model equal, including the audit log.
    assert backup.live_counts() == before["counts"]
    assert AuditEntry.objects.count() == before["audit_entries"]
    # Every case decryptable, fields equal; the case attachment opens too.
    for pk, fields in before["cases"].items():
        case = Case.objects.get(pk=pk)
        assert (
            case.person_name,
            case.given_name,
            case.family_name,
            case.phone,
            case.summary,
            case.document_number,
        ) == fields
    attachment = CaseAttachment.objects.get()
    assert (attachment.pk, attachment.file_name, attachment.content) == before["attachment"]
    assert Case.objects.filter(phone_index=backup.vault.blind_index(PHONE, context="cases.Case.phone")).exists()
    # The sealed report and its attachment open with the organisation's key, unlocked at a
    # real sign-in of a colleague holding a grant.
    worker = staff_a[Role.CASE_WORKER]
    request = request_for(sign_in_for_real(worker), worker)
    signal = Signal.objects.get()
    assert STORY in sealing.unseal(request, org_a.pk, bytes(signal.sealed)).decode()
    image = sealing.unseal(request, org_a.pk, bytes(Attachment.objects.get().sealed_content))
    assert Image.open(io.BytesIO(image)).size == (32, 24)
    # The audit log verifies, every encrypted value of every row opens and every blob sealed to
    # an organisation opens with its key: the checks the upgrade test runs (tests/integrity.py).
    found = integrity.findings(PASSWORD)
    assert found.problems == [] and found.audit_entries == before["audit_entries"]
    assert (
        found.sealed_opened["reports.Signal.sealed"] == 1
        and found.sealed_opened["reports.Attachment.sealed_content"] == 1
    )
    call_command("verify_audit", stdout=StringIO())
    # The uploaded file is back.
    assert (Path(settings.MEDIA_ROOT) / "uploads" / "ledger.bin").read_bytes() == UPLOAD


@pytest.mark.django_db(transaction=True)
def test_a_damaged_or_wrongly_opened_archive_is_refused_clearly(staff_a, org_a, settings, tmp_path, monkeypatch):
    seed(staff_a, org_a, settings)
    monkeypatch.setenv("AMPARO_BACKUP_PASSPHRASE", PASSPHRASE)
    archive = tmp_path / "amparo.backup"
    call_command("backup", output=str(archive), stdout=StringIO())  # passphrase from the environment
    call_command("verify_backup", str(archive), stdout=StringIO())

    monkeypatch.setenv("AMPARO_BACKUP_PASSPHRASE", "not the passphrase at all")
    with pytest.raises(CommandError, match="passphrase does not open this archive"):
        call_command("verify_backup", str(archive), stdout=StringIO())
    monkeypatch.setenv("AMPARO_BACKUP_PASSPHRASE", PASSPHRASE)

    data = archive.read_bytes()
    flipped = tmp_path / "flipped.backup"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :])
    with pytest.raises(CommandError, match="damaged, truncated or was altered"):
        call_command("verify_backup", str(flipped), stdout=StringIO())
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(data[: len(data) - 100])
    with pytest.raises(CommandError, match="damaged, truncated or was altered"):
        call_command("verify_backup", str(truncated), stdout=StringIO())
    not_one = tmp_path / "notes.txt"
    not_one.write_text("hello")
    with pytest.raises(CommandError, match="not an Amparo backup archive"):
        call_command("verify_backup", str(not_one), stdout=StringIO())
    # A flipped byte is refused by restore too, before anything is changed.
    wipe(settings)
    with pytest.raises(CommandError, match="damaged, truncated or was altered"):
        call_command("restore", str(flipped), stdout=StringIO())
    assert backup.rows_of_data() == []


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_with_data_and_a_short_passphrase_is_refused(staff_a, org_a, settings, tmp_path):
    seed(staff_a, org_a, settings)
    secret_file = tmp_path / "passphrase"
    secret_file.write_text("short\n")
    with pytest.raises(CommandError, match="too short"):
        call_command("backup", output=str(tmp_path / "x.backup"), passphrase_file=str(secret_file), stdout=StringIO())
    assert not (tmp_path / "x.backup").exists()
    secret_file.write_text(PASSPHRASE)
    archive = tmp_path / "amparo.backup"
    call_command("backup", output=str(archive), passphrase_file=str(secret_file), stdout=StringIO())
    counts = backup.live_counts()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive), passphrase_file=str(secret_file), stdout=StringIO())
    assert backup.live_counts() == counts  # nothing was changed


@pytest.mark.django_db(transaction=True)
def test_an_archive_for_an_age_recipient_opens_only_with_its_identity(staff_a, org_a, settings, tmp_path):
    seed(staff_a, org_a, settings)
    identity = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "backup-identity.txt"
    identity_file.write_text(f"# created for the drill\n{identity}\n")
    archive = tmp_path / "amparo.age"
    call_command("backup", output=str(archive), recipient=str(identity.to_public()), stdout=StringIO())
    assert archive.read_bytes().startswith(b"age-encryption.org/v1\n")  # a plain age file
    out = StringIO()
    call_command("verify_backup", str(archive), identity=str(identity_file), stdout=out)
    assert "The backup is intact" in out.getvalue()
    other = tmp_path / "other-identity.txt"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    with pytest.raises(CommandError, match="identity does not open this archive|does not decrypt"):
        call_command("verify_backup", str(archive), identity=str(other), stdout=StringIO())
    with pytest.raises(CommandError, match="not an age public key"):
        call_command("backup", output=str(tmp_path / "y.age"), recipient="age1notakey", stdout=StringIO())
