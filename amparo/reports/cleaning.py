"""Attachments lose their metadata before they are sealed; what cannot be cleaned is refused.

Their names go too unless the reporter keeps them (`neutral_names`): a phone's file name
often carries the moment the photo was taken (IMG_20260314_231502.jpg).

Images (JPEG, PNG, GIF, WebP) are decoded and re-encoded from their pixels alone with
Pillow, so EXIF (GPS position, camera serial, time), XMP, ICC profiles and comments are
gone; the visible orientation is applied first. Office documents, video and audio are
refused: no well-kept package removes every kind of metadata they carry.

PDFs are accepted for case files only (`clean_case_attachment`), re-drawn as pictures of
their pages in a separate, limited process (`pdf_render.py`; decision
docs/decisions/0015-pdf-attachments-re-rendered.md): the text is no longer selectable, but
nothing hidden in the file survives. Anonymous reports still take images only.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_FILES = 5
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/png", "png"),
    "WEBP": ("image/png", "png"),
}


PDF_RENDERER = Path(__file__).with_name("pdf_render.py")
PDF_TIMEOUT_SECONDS = 20  # under gunicorn's --timeout 30 (docs/deployment.md)
PDF_MAX_PAGES = 20  # pdf_render.MAX_PAGES


class Refused(ValueError):
    """The file cannot be cleaned: the message says why, in the reporter's language."""


@dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    content: bytes


def _safe_stem(name: str) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", str(name).rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    stem = re.sub(r"[^\w\- ]+", "", stem, flags=re.UNICODE).strip()[:60]
    return stem or "image"


ONLY_IMAGES = _("Only photos and images (JPEG, PNG, GIF, WebP) can be attached.")
PDFS_OR_IMAGES = _("Only PDFs, photos and images (JPEG, PNG, GIF, WebP) can be attached.")


def clean_attachment(name: str, data: bytes, *, unsupported: Any = ONLY_IMAGES) -> CleanFile:
    """The image re-encoded without metadata, or Refused with a reason the reporter can read
    (`unsupported` when the file is not an image that can be cleaned)."""
    if len(data) > MAX_BYTES:
        raise Refused(_("Each file may be at most 8 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or ""
                if fmt not in ACCEPTED_FORMATS:
                    raise Refused(unsupported)
                if image.width * image.height > MAX_PIXELS:
                    raise Refused(_("This image is too large. Send a smaller photo."))
                image.load()
                upright = ImageOps.exif_transpose(image)
                content_type, extension = ACCEPTED_FORMATS[fmt]
                mode = "RGB" if extension == "jpg" else "RGBA"
                pixels = upright.convert(mode)
                bare = Image.frombytes(mode, pixels.size, pixels.tobytes())  # pixels only, no info
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise Refused(unsupported) from exc
    out = io.BytesIO()
    if extension == "jpg":
        bare.save(out, format="JPEG", quality=88)
    else:
        bare.save(out, format="PNG", optimize=True)
    return CleanFile(name=f"{_safe_stem(name)}.{extension}", content_type=content_type, content=out.getvalue())


_EXTENSIONS = dict(ACCEPTED_FORMATS.values())  # content type -> extension


def neutral_names(files: list[CleanFile], *, keep: bool) -> list[CleanFile]:
    """The files renamed attachment-1.jpg, attachment-2.png… in their order, unless the
    reporter chose to keep their own names (`keep`)."""
    if keep:
        return list(files)
    return [
        replace(file, name=f"attachment-{number}.{_EXTENSIONS.get(file.content_type, 'bin')}")
        for number, file in enumerate(files, start=1)
    ]


def clean_pdf(name: str, data: bytes) -> CleanFile:
    """The PDF re-drawn as pictures of its pages (pdf_render.py, in its own limited process),
    or Refused with a reason staff can read."""
    if len(data) > MAX_BYTES:
        raise Refused(_("Each file may be at most 8 MB."))
    try:
        done = subprocess.run(  # noqa: S603 - our own script, the file on stdin, no shell
            [sys.executable, "-I", str(PDF_RENDERER)],
            input=data,
            capture_output=True,
            timeout=PDF_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise Refused(_("This PDF takes too long to process. Send fewer or simpler pages.")) from exc
    if done.returncode == 3:
        raise Refused(
            _("This PDF has more than %(pages)s pages. Split it into smaller files.") % {"pages": PDF_MAX_PAGES}
        )
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        raise Refused(_("This PDF cannot be read (it may be damaged or protected by a password)."))
    if len(done.stdout) > MAX_BYTES:
        raise Refused(_("This PDF is too large once its pages are redrawn. Split it into smaller files."))
    return CleanFile(name=f"{_safe_stem(name)}.pdf", content_type="application/pdf", content=done.stdout)


def clean_case_attachment(name: str, data: bytes) -> CleanFile:
    """For case files: a PDF (by its signature) re-drawn, anything else as `clean_attachment`."""
    if b"%PDF-" in data[:1024]:  # where PDF readers look for the header
        return clean_pdf(name, data)
    return clean_attachment(name, data, unsupported=PDFS_OR_IMAGES)
