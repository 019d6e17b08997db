"""Re-draw a PDF as pictures of its pages: run as a separate, limited process.

`python -I pdf_render.py` reads a PDF on stdin and writes on stdout a new PDF holding only
one JPEG picture per page. PDFium (pypdfium2) draws each page; Pillow assembles the
pictures. Nothing of the original survives but what a page shows: no scripts, forms,
links, embedded files, fonts, layers or metadata (author, software, dates, XMP).

It runs in its own process so that a crafted PDF cannot take the web worker with it: the
process limits its own memory and CPU time before reading anything (the caller also gives
it a wall-clock timeout), refuses more than MAX_PAGES pages and draws each page at most
MAX_PAGE_PIXELS. Exit status: 0 done, 2 not a PDF or unreadable (or encrypted), 3 too many
pages, 4 no pages. This file imports neither Django nor Amparo.
"""

from __future__ import annotations

import io
import math
import resource
import sys

MAX_PAGES = 20
DPI = 150
MAX_PAGE_PIXELS = 4_000_000  # about A4 at 200 dpi; larger pages are drawn smaller
MEMORY_BYTES = 1024 * 1024 * 1024
CPU_SECONDS = 15
JPEG_QUALITY = 80


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # it writes no file


def render(data: bytes) -> bytes:
    import pypdfium2 as pdfium
    from PIL import Image

    document = pdfium.PdfDocument(data)  # no password is given: an encrypted PDF fails here
    try:
        count = len(document)
        if count == 0:
            raise SystemExit(4)
        if count > MAX_PAGES:
            raise SystemExit(3)
        pages: list[Image.Image] = []
        for index in range(count):
            page = document[index]
            width, height = page.get_size()
            if not (width > 0 and height > 0):
                raise SystemExit(2)
            scale = min(DPI / 72, math.sqrt(MAX_PAGE_PIXELS / (width * height)))
            bitmap = page.render(scale=scale, may_draw_forms=False)
            pages.append(bitmap.to_pil().convert("RGB"))
            page.close()
    finally:
        document.close()
    out = io.BytesIO()
    pages[0].save(
        out,
        format="PDF",
        save_all=True,
        append_images=pages[1:],
        resolution=float(DPI),
        quality=JPEG_QUALITY,
        title=None,
        creationDate=None,
        modDate=None,
    )
    return out.getvalue()


def main() -> int:
    _limit()
    data = sys.stdin.buffer.read()
    try:
        result = render(data)
    except SystemExit:
        raise
    except Exception:  # noqa: BLE001 - anything PDFium or Pillow cannot handle is refused
        return 2
    sys.stdout.buffer.write(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
