"""A dependency that does not answer (Redis, the broker, the database) is a 503, never a 500.

Redis holds the proof-of-work challenges and the intake caps; without it the public intake
cannot check a submission and stores nothing. The reporter is told, in their language, to try
again in a few minutes (HTTP 503 with Retry-After), on a page styled like the other public
pages, or as JSON on the public API; staff pages that needed the missing service answer with a
plain 503 page that touches neither the database nor the cache (decision 0036). The same holds
while PostgreSQL restarts. Nothing is acknowledged that was not stored: these exceptions are
raised before a report's rows are written, or roll the write back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("amparo.unavailable")

#: Seconds a client is asked to wait before trying again.
RETRY_AFTER = 60


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    import redis.exceptions
    from kombu.exceptions import OperationalError as BrokerError

    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        BrokerError,
        OperationalError,
        InterfaceError,
    )


UNAVAILABLE_ERRORS = _unavailable_errors()


def service_unavailable(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """The 503 answer for this request's kind of page: the public API, a public page, staff."""
    from amparo.reports.middleware import is_public_reporting_path

    path = request.path_info
    message = _("Amparo cannot take this right now. Nothing was sent or saved. Please try again in a few minutes.")
    if path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=503)
    elif is_public_reporting_path(path):
        from amparo.reports.public_views import _context

        response = render(request, "errors/503_public.html", _context(request, message=message), status=503)
    else:
        # Without the request's context processors: they read the signed-in user (the database).
        page = render_to_string("errors/503.html", {"message": message, "lang": translation.get_language() or "en"})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class ServiceUnavailableMiddleware:
    """Turns an unreachable Redis, broker or database into the 503 answer above.

    Logged by the exception's class only: its message can carry a host or a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UNAVAILABLE_ERRORS):
            return None
        logger.warning("Service unavailable: %s", type(exception).__name__)
        with translation.override(translation.get_language() or "en"):
            return service_unavailable(request, exception)
