"""Attachments lose their metadata before they are sealed; what cannot be cleaned is refused.

Their names go too unless the reporter keeps them (`neutral_names`): a phone's file name
often carries the moment the photo was taken (IMG_20260314_231502.jpg).

Images (JPEG, PNG, GIF, WebP) are decoded and re-encoded from their pixels alone with
Pillow, so EXIF (GPS position, camera serial, time), XMP, ICC profiles and comments are
gone; the visible orientation is applied first. PDFs, office documents, video and audio
are refused: no well-kept pure-Python package removes every kind of metadata they carry.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, replace

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


def clean_attachment(name: str, data: bytes) -> CleanFile:
    """The image re-encoded without metadata, or Refused with a reason the reporter can read."""
    if len(data) > MAX_BYTES:
        raise Refused(_("Each file may be at most 8 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or ""
                if fmt not in ACCEPTED_FORMATS:
                    raise Refused(_("Only photos and images (JPEG, PNG, GIF, WebP) can be attached."))
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
        raise Refused(_("Only photos and images (JPEG, PNG, GIF, WebP) can be attached.")) from exc
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
