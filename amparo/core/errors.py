"""Error pages in the user's language, with the same 404 for missing and not-yours."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400, except when the session could not be saved because the database was
    away (SessionInterrupted from an OperationalError, seen while PostgreSQL restarts): that
    is a 503 "try again", which a retry fixes; the session itself is still there."""
    from django.views.defaults import bad_request as django_bad_request

    from amparo.core.unavailable import UNAVAILABLE_ERRORS, service_unavailable

    cause: BaseException | None = exception
    while cause is not None:
        if isinstance(cause, UNAVAILABLE_ERRORS):
            return service_unavailable(request)
        cause = cause.__cause__ or cause.__context__
    return django_bad_request(request, exception)  # type: ignore[arg-type]


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from amparo.reports.middleware import is_public_reporting_path

    if is_public_reporting_path(request.path_info):  # the reporter's look, and no cached staff files
        return render(request, "errors/404_public.html", {"lang": translation.get_language() or "en"}, status=404)
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    import sys

    from amparo.core.unavailable import UNAVAILABLE_ERRORS, service_unavailable

    # Raised in a middleware, past ServiceUnavailableMiddleware.process_exception: still a 503.
    if isinstance(sys.exc_info()[1], UNAVAILABLE_ERRORS):
        return service_unavailable(request)
    return render(request, "errors/500.html", status=500)
