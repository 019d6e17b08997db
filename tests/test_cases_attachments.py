"""Case attachments (cleaned of metadata, encrypted, reached through the case) and the
reintegration plan followed after closure."""

from __future__ import annotations

import base64
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from amparo.cases import services
from amparo.cases.models import CaseAttachment, CaseStatus
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, verified_client
from tests.rawdb import plaintext_hits


@pytest.fixture
def case(staff_a):
    return services.case_create(actor=as_verified(staff_a[Role.CASE_WORKER]), given_name="Yolanda", family_name="Peña")


ARTIST = "Camara de Don Rigoberto"
FILE_NAME = "Xochitl-Quetzalli-pasaporte.jpg"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x013B] = ARTIST  # Artist
    exif[0x8825] = {1: "N", 2: (14.0, 54.0, 30.0), 3: "W", 4: (92.0, 15.0, 10.0)}  # GPS: Tapachula
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert ARTIST.encode() in data and Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def _upload_url(case):
    return reverse("cases:attachment_create", kwargs={"reference": case.reference})


def _download_url(case, attachment):
    return reverse("cases:attachment_download", kwargs={"reference": case.reference, "pk": attachment.pk})


def test_an_uploaded_photo_loses_its_exif_and_gps_and_is_served_as_a_download(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    upload = SimpleUploadedFile(FILE_NAME, jpeg_with_exif(), content_type="image/jpeg")
    assert client.post(_upload_url(case), {"upload": upload}).status_code == 302
    attachment = case.attachments.get()
    assert attachment.uploaded_by == staff_a[Role.CASE_WORKER] and attachment.uploaded_on == timezone.localdate()
    assert attachment.content_type == "image/jpeg" and attachment.note is None

    response = client.get(_download_url(case, attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Xochitl" not in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "no-store"
    served = response.content
    assert ARTIST.encode() not in served and b"Exif" not in served
    image = Image.open(io.BytesIO(served))
    assert image.size == (64, 48) and not image.getexif() and not image.getexif().get_ifd(0x8825)

    add = AuditEntry.objects.get(action="case.attachment_add", object_id=str(case.pk))
    assert "Xochitl" not in add.reason and "pasaporte" not in add.reason
    assert AuditEntry.objects.filter(action="case.attachment_view", object_id=str(case.pk)).count() == 1
    page = client.get(reverse("cases:case_detail", args=[case.reference])).content
    assert b'enctype="multipart/form-data"' in page and _download_url(case, attachment).encode() in page


@pytest.mark.parametrize(
    ("name", "data", "content_type", "message"),
    [
        (
            "denuncia.pdf",
            b"%PDF-1.4\n1 0 obj << /Author (Yolanda) >> endobj\n%%EOF\n",
            "application/pdf",
            b"This PDF cannot be read (it may be damaged or protected by a password).",
        ),
        (
            "setup.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64,
            "application/octet-stream",
            b"Only PDFs, photos and images (JPEG, PNG, GIF, WebP) can be attached.",
        ),
    ],
)
def test_files_that_cannot_be_cleaned_are_refused_with_a_message_and_nothing_is_stored(
    staff_a, case, name, data, content_type, message
):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(_upload_url(case), {"upload": SimpleUploadedFile(name, data, content_type=content_type)})
    assert response.status_code == 400
    assert message in response.content
    assert not CaseAttachment.objects.exists()
    assert not AuditEntry.objects.filter(action="case.attachment_add").exists()
    with pytest.raises(ValidationError):
        services.attachment_add(
            actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, upload=SimpleUploadedFile(name, data)
        )
    assert not CaseAttachment.objects.exists()


def test_a_file_over_8_mb_is_refused(staff_a, case):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\x00" * (8 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="8 MB"):
        services.attachment_add(actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, upload=big)
    assert not CaseAttachment.objects.exists()


def test_attachments_need_the_note_permission_and_stay_in_the_organisation(staff_a, staff_b, case):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    attachment = services.attachment_add(
        actor=worker, case=case, upload=SimpleUploadedFile(FILE_NAME, jpeg_with_exif())
    )
    # A legal adviser adds notes, so attachments too.
    adviser = verified_client(staff_a[Role.LEGAL_ADVISER])
    upload = SimpleUploadedFile("otra.jpg", jpeg_with_exif())
    assert adviser.post(_upload_url(case), {"upload": upload}).status_code == 302
    # Another organisation's staff: 404 on the download and 403/404 on the upload.
    for role in (Role.CASE_WORKER, Role.ORG_ADMIN):
        other = verified_client(staff_b[role])
        assert other.get(_download_url(case, attachment)).status_code == 404
        assert other.post(_upload_url(case), {"upload": SimpleUploadedFile("x.jpg", jpeg_with_exif())}).status_code in (
            403,
            404,
        )
    # An analyst cannot read case files.
    assert verified_client(staff_a[Role.ANALYST]).get(_download_url(case, attachment)).status_code in (403, 404)
    assert case.attachments.count() == 2
    assert not AuditEntry.objects.filter(action="case.attachment_view").exists()


def test_an_attachment_is_reached_only_through_its_own_case(staff_a, case):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    other_case = services.case_create(actor=worker, given_name="Otra", family_name="Persona")
    attachment = services.attachment_add(
        actor=worker, case=other_case, upload=SimpleUploadedFile(FILE_NAME, jpeg_with_exif())
    )
    client = verified_client(staff_a[Role.CASE_WORKER])
    assert client.get(_download_url(case, attachment)).status_code == 404
    assert client.get(_download_url(other_case, attachment)).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_neither_the_file_name_nor_the_image(staff_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = services.case_create(actor=worker, given_name="Ana", family_name="Prueba")
    attachment = services.attachment_add(
        actor=worker, case=case, upload=SimpleUploadedFile(FILE_NAME, jpeg_with_exif())
    )
    encoded = CaseAttachment.objects.get(pk=attachment.pk).content
    cleaned = base64.b64decode(encoded)
    assert cleaned.startswith(b"\xff\xd8") and len(encoded) > 200
    assert (
        plaintext_hits(
            "Xochitl-Quetzalli",
            "Xochitl",
            encoded,
            encoded[100:180],  # a distinctive piece of the cleaned image, base64
        )
        == []
    )


def test_erasure_removes_the_attachments(staff_a, case):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    note = services.note_add(actor=worker, case=case, body="Foto del documento")
    services.attachment_add(actor=worker, case=case, upload=SimpleUploadedFile(FILE_NAME, jpeg_with_exif()))
    services.attachment_add(actor=worker, case=case, upload=SimpleUploadedFile("b.jpg", jpeg_with_exif()), note=note)
    assert CaseAttachment.objects.filter(case=case).count() == 2
    services.case_erase(
        actor=as_verified(staff_a[Role.ORG_ADMIN]),
        case=case,
        reason="subject_request",
        confirm_reference=case.reference,
    )
    assert not CaseAttachment.objects.exists()
    with pytest.raises(ValidationError):
        services.attachment_add(actor=worker, case=case, upload=SimpleUploadedFile("c.jpg", jpeg_with_exif()))


# --- Reintegration followed after closure ---------------------------------------------------


def _close(staff_a, case):
    closure = services.closure_request(
        actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, reason="services_completed"
    )
    services.closure_decide(actor=as_verified(staff_a[Role.ORG_ADMIN]), closure=closure, approve=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


def test_reintegration_is_followed_up_after_closure_and_other_services_stay_blocked(staff_a, case):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    medical = services.service_plan(
        actor=worker, case=case, plan_type="health", service_type="medical", due_on=datetime.date(2026, 1, 1)
    )
    _close(staff_a, case)
    client = verified_client(staff_a[Role.CASE_WORKER])
    ref = case.reference

    # A reintegration service can be planned and updated on the closed case.
    response = client.post(
        reverse("cases:service_create", args=[ref]),
        {"plan_type": "livelihood", "service_type": "reintegration", "due_on": "2026-03-01", "provider": "DIF"},
    )
    assert response.status_code == 302, response.content[:2000]
    reintegration = case.services.get(service_type="reintegration")
    response = client.post(reverse("cases:service_update", args=[ref, reintegration.pk]), {"status": "in_progress"})
    assert response.status_code == 302
    reintegration.refresh_from_db()
    assert reintegration.status == "in_progress"

    # Any other service: refused with a message, nothing saved.
    response = client.post(
        reverse("cases:service_create", args=[ref]),
        {"plan_type": "health", "service_type": "medical", "due_on": "2026-03-01"},
    )
    assert response.status_code == 400 and b"only reintegration can be followed up" in response.content
    assert case.services.filter(service_type="medical").count() == 1
    response = client.post(reverse("cases:service_update", args=[ref, medical.pk]), {"status": "cancelled"})
    assert response.status_code == 400
    medical.refresh_from_db()
    assert medical.status == "planned"
    with pytest.raises(ValidationError):
        services.service_plan(
            actor=worker, case=case, plan_type="health", service_type="shelter", due_on=datetime.date(2026, 3, 1)
        )

    page = client.get(reverse("cases:case_detail", args=[ref])).content.decode()
    assert "Follow-up after closure" in page and "DIF" in page
    assert reverse("cases:service_update", args=[ref, reintegration.pk]) in page
    assert reverse("cases:service_update", args=[ref, medical.pk]) not in page

    # Reopened: every service can change again.
    services.case_reopen(actor=worker, case=case, reason="Pidió apoyo otra vez")
    case.refresh_from_db()
    services.service_update(actor=worker, service=medical, status="cancelled")
    assert "Follow-up after closure" not in client.get(reverse("cases:case_detail", args=[ref])).content.decode()


def test_an_open_case_shows_no_follow_up_section(staff_a, case):
    page = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("cases:case_detail", args=[case.reference]))
    assert b"Follow-up after closure" not in page.content


# --- PDFs: re-drawn as pictures of their pages ---------------------------------------------

SECRET_AUTHOR = "Licenciada Rigoberta Menchu Tum"


def crafted_pdf(pages: int = 1, text: str = "Denuncia de Yolanda") -> bytes:
    """A PDF with what a PDF should not bring in: JavaScript run on opening, a form field,
    an embedded file, an author and XMP-style metadata, and a visible line of text per page."""
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects.append(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R /AcroForm << /Fields [] >>"
        b" /Names << /EmbeddedFiles << /Names [(secret.txt) << /Type /Filespec /F (secret.txt) >>] >> >> >>"
    )
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /S /JavaScript /JS (app.alert\\('pwned'\\);) >>")
    font_number = 4 + 2 * pages
    for i in range(pages):
        content = f"BT /F1 24 Tf 72 720 Td ({text} {i + 1}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R"
            f" /Resources << /Font << /F1 {font_number} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    info_number = len(objects) + 1
    objects.append(f"<< /Author ({SECRET_AUTHOR}) /Producer (SecretWriter 9) /Title (Pasaporte) >>".encode())
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer << /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, info_number, xref)
    )
    return out.getvalue()


def test_a_pdf_is_redrawn_without_scripts_forms_files_or_metadata(staff_a, case):
    import pypdfium2 as pdfium

    data = crafted_pdf(pages=2)
    assert b"/JavaScript" in data and SECRET_AUTHOR.encode() in data
    assert len(pdfium.PdfDocument(data)) == 2
    client = verified_client(staff_a[Role.CASE_WORKER])
    upload = SimpleUploadedFile("Yolanda-denuncia.pdf", data, content_type="application/pdf")
    assert client.post(_upload_url(case), {"upload": upload}).status_code == 302
    attachment = case.attachments.get()
    assert attachment.content_type == "application/pdf" and attachment.file_name == "Yolanda-denuncia.pdf"
    response = client.get(_download_url(case, attachment))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{case.reference}-{attachment.pk}.pdf"'
    clean = response.content
    assert clean.startswith(b"%PDF-")
    for leftover in (b"JavaScript", b"/JS", b"OpenAction", b"AcroForm", b"EmbeddedFile", b"secret.txt"):
        assert leftover not in clean
    for leftover in (SECRET_AUTHOR.encode(), b"SecretWriter", b"Pasaporte", b"Helvetica", b"Denuncia", b"CreationDate"):
        assert leftover not in clean
    redrawn = pdfium.PdfDocument(clean)
    assert len(redrawn) == 2
    assert redrawn.get_metadata_dict(skip_empty=True) == {}
    # Only pictures: no text to extract, but the page still shows it (dark pixels where the line was).
    page = redrawn[0]
    assert page.get_textpage().get_text_range().strip() == ""
    picture = page.render(scale=1).to_pil().convert("L")
    assert picture.crop((72, 40, 400, 90)).getextrema()[0] < 100


def test_a_pdf_with_too_many_pages_is_refused(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    upload = SimpleUploadedFile("libro.pdf", crafted_pdf(pages=21), content_type="application/pdf")
    response = client.post(_upload_url(case), {"upload": upload})
    assert response.status_code == 400
    assert b"This PDF has more than 20 pages. Split it into smaller files." in response.content
    assert not CaseAttachment.objects.exists()


def test_a_huge_page_is_drawn_within_the_pixel_limit():
    from amparo.reports import cleaning

    data = crafted_pdf().replace(b"/MediaBox [0 0 612 792]", b"/MediaBox [0 0 14400 14400]")
    clean = cleaning.clean_pdf("plano.pdf", data)
    import pypdfium2 as pdfium

    image = pdfium.PdfDocument(clean.content)[0].get_objects().__next__().get_bitmap().to_pil()
    assert image.width * image.height <= 4_000_000


def test_a_pdf_that_takes_too_long_is_refused(monkeypatch):
    from amparo.reports import cleaning

    monkeypatch.setattr(cleaning, "PDF_TIMEOUT_SECONDS", 0.001)
    with pytest.raises(cleaning.Refused, match="too long"):
        cleaning.clean_pdf("lento.pdf", crafted_pdf())
