"""The public pages' style sheet, script and icon, served under /report/ and never cached.

Staff pages load their static files from /static/, which WhiteNoise serves with a ten-year
cache lifetime in production. On a reporter's phone such a cached file (a name only this
site uses, with the date it was fetched) says that the phone visited the reporting site,
long after the history is cleared. So the public pages load the same files from
/report/assets/<name>: AnonymousReportingMiddleware strips what identifies the request and
answers `Cache-Control: no-store`, and this view adds no ETag or Last-Modified. The files
are small (about 8 KB together); fetching them on every page is the price.

Only files under amparo/ in the static directories, of the kinds a page loads, are served.
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

#: Kinds of file a public page loads, with their content type.
ASSET_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
ASSET_PREFIX = "amparo/"


def _read(name: str) -> bytes | None:
    if not name.startswith(ASSET_PREFIX) or Path(name).suffix not in ASSET_TYPES:
        return None
    if any(part in {"", ".", ".."} for part in name.split("/")) or "\\" in name:
        return None
    found = finders.find(name)
    if not found or isinstance(found, list):
        return None
    return Path(found).read_bytes()


_read_once = functools.lru_cache(maxsize=32)(_read)


@login_not_required
@require_safe
def asset(request: HttpRequest, name: str) -> HttpResponse:
    content = _read(name) if settings.DEBUG else _read_once(name)
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type=ASSET_TYPES.get(Path(name).suffix) or mimetypes.types_map[".txt"])
    response["Cache-Control"] = "no-store, max-age=0"
    return response
