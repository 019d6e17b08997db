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

Decoding is the expensive part (a 22 KB PNG can declare 36 million pixels), so it happens
in two steps:

1. `inspect_all` reads only each file's header (format and size, no pixel data) and refuses
   what is too big to decode: more than MAX_PIXELS in one image (a large JPEG is decoded
   at 1/2, 1/4 or 1/8 scale by the JPEG decoder itself to fit), more than
   MAX_PIXELS_PER_SUBMISSION or MAX_DECODED_BYTES_PER_SUBMISSION for all files together.
   Forms and serializers call only this.
2. `clean_all` decodes and re-encodes. The reporting services call it only once the
   submission has passed the proof of work and the caps (or, for a follow-up, once the
   receipt has been checked), so nobody can make the server decode images for free.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024
MAX_FILES = 5
#: Pixels one image may decode to: 4096 x 4096 (a 12-megapixel phone photo fits; a bigger
#: JPEG is decoded at a reduced scale, anything else that big is refused).
MAX_PIXELS = 4096 * 4096
#: Pixels all the files of one submission may decode to together (three 12 MP photos).
MAX_PIXELS_PER_SUBMISSION = 36_000_000
#: Bytes of pixel memory all the files of one submission may decode to together (the decoded
#: and the re-encoded pixels of each; files are decoded one after the other, so the peak is
#: one image's worth). Three 12 MP colour photos fit.
MAX_DECODED_BYTES_PER_SUBMISSION = 36_000_000 * 8
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/png", "png"),
    "WEBP": ("image/png", "png"),
}
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "RGB": 4, "RGBA": 4, "CMYK": 4, "YCbCr": 4}


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


@dataclass(frozen=True)
class PendingFile:
    """A file whose header was checked (`inspect`) but whose pixels are not decoded yet."""

    name: str
    data: bytes
    format: str
    #: the size it will be decoded at (a large JPEG at a reduced scale)
    size: tuple[int, int]
    #: bytes of pixel memory it decodes to (decoded and re-encoded pixels)
    decoded_bytes: int

    @property
    def pixels(self) -> int:
        return self.size[0] * self.size[1]


def _safe_stem(name: str) -> str:
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", str(name).rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    stem = re.sub(r"[^\w\- ]+", "", stem, flags=re.UNICODE).strip()[:60]
    return stem or "image"


ONLY_IMAGES = _("Only photos and images (JPEG, PNG, GIF, WebP) can be attached.")
PDFS_OR_IMAGES = _("Only PDFs, photos and images (JPEG, PNG, GIF, WebP) can be attached.")


def _not_an_image(unsupported: Any = ONLY_IMAGES) -> Refused:
    return Refused(unsupported)


def _output_mode(fmt: str, mode: str, has_transparency: bool) -> str:
    """The mode the pixels are re-encoded in: as small as the image allows."""
    if fmt == "JPEG":
        return "L" if mode == "L" else "RGB"
    if mode in {"1", "L"}:
        return mode
    if mode in {"LA", "PA", "RGBA"} or has_transparency:
        return "RGBA"
    return "RGB"


def inspect(name: str, data: bytes, *, unsupported: Any = ONLY_IMAGES) -> PendingFile:
    """Check a file from its header alone (nothing is decoded): an accepted format and a size
    that decodes within MAX_PIXELS. Raises Refused with a reason the reporter can read
    (`unsupported` when the file is not an image that can be cleaned)."""
    if len(data) > MAX_BYTES:
        raise Refused(_("Each file may be at most 8 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt, mode, (width, height) = image.format or "", image.mode, image.size
                transparency = "transparency" in image.info
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise _not_an_image(unsupported) from exc
    if fmt not in ACCEPTED_FORMATS:
        raise _not_an_image(unsupported)
    if width < 1 or height < 1:
        raise _not_an_image(unsupported)
    scale = 1
    if fmt == "JPEG":  # the JPEG decoder itself can decode at 1/2, 1/4 or 1/8 of the size
        while -(-width // scale) * -(-height // scale) > MAX_PIXELS and scale < 8:
            scale *= 2
    size = (-(-width // scale), -(-height // scale))
    if size[0] * size[1] > MAX_PIXELS:
        raise Refused(_("This image is too large. Send a smaller photo."))
    out_mode = _output_mode(fmt, mode, transparency)
    per_pixel = _BYTES_PER_PIXEL.get(mode, 4) + _BYTES_PER_PIXEL.get(out_mode, 4)
    return PendingFile(name=str(name), data=data, format=fmt, size=size, decoded_bytes=size[0] * size[1] * per_pixel)


def inspect_all(items: Sequence[tuple[str, bytes]]) -> list[PendingFile]:
    """`inspect` each file and refuse the set when it would decode to more than one submission
    may (MAX_FILES, MAX_PIXELS_PER_SUBMISSION, MAX_DECODED_BYTES_PER_SUBMISSION)."""
    if len(items) > MAX_FILES:
        raise Refused(_("Attach at most %(count)s files.") % {"count": MAX_FILES})
    pending = [inspect(name, data) for name, data in items]
    if (
        sum(item.pixels for item in pending) > MAX_PIXELS_PER_SUBMISSION
        or sum(item.decoded_bytes for item in pending) > MAX_DECODED_BYTES_PER_SUBMISSION
    ):
        raise Refused(_("These photos are too large together. Send fewer or smaller photos."))
    return pending


def decode(item: PendingFile) -> CleanFile:
    """The image re-encoded from its pixels alone, without metadata; Refused if it does not decode."""
    content_type, extension = ACCEPTED_FORMATS[item.format]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(item.data)) as image:
                if (image.format, image.size) != (item.format, item.size) and image.format == "JPEG":
                    image.draft(image.mode, item.size)  # decode a large JPEG at a reduced scale
                if image.format != item.format or image.width * image.height > MAX_PIXELS:
                    raise _not_an_image()
                out_mode = _output_mode(item.format, image.mode, "transparency" in image.info)
                image.load()
                upright = ImageOps.exif_transpose(image)
                pixels = upright if upright.mode == out_mode else upright.convert(out_mode)
                del upright
                bare = Image.frombytes(out_mode, pixels.size, pixels.tobytes())  # pixels only, no info
                del pixels
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise _not_an_image() from exc
    out = io.BytesIO()
    if extension == "jpg":
        bare.save(out, format="JPEG", quality=88)
    else:
        bare.save(out, format="PNG", optimize=bare.width * bare.height <= 1_000_000)  # slow on big images
    return CleanFile(name=f"{_safe_stem(item.name)}.{extension}", content_type=content_type, content=out.getvalue())


def clean_all(items: Sequence[PendingFile | CleanFile]) -> list[CleanFile]:
    """Decode and re-encode files `inspect_all` accepted (files already clean pass as they are)."""
    return [item if isinstance(item, CleanFile) else decode(item) for item in items]


def clean_attachment(name: str, data: bytes, *, unsupported: Any = ONLY_IMAGES) -> CleanFile:
    """The image re-encoded without metadata, or Refused with a reason the reader can read
    (`unsupported` when the file is not an image that can be cleaned)."""
    return decode(inspect(name, data, unsupported=unsupported))


_EXTENSIONS = dict(ACCEPTED_FORMATS.values())  # content type -> extension


def neutral_names(files: Sequence[PendingFile | CleanFile], *, keep: bool) -> list[Any]:
    """The files renamed attachment-1.jpg, attachment-2.png… in their order, unless the
    reporter chose to keep their own names (`keep`)."""
    if keep:
        return list(files)
    return [replace(file, name=f"attachment-{number}.{_extension(file)}") for number, file in enumerate(files, start=1)]


def _extension(file: PendingFile | CleanFile) -> str:
    if isinstance(file, PendingFile):
        return ACCEPTED_FORMATS[file.format][1]
    return _EXTENSIONS.get(file.content_type, "bin")


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
