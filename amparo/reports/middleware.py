"""Strip whatever identifies a reporter from requests on the public reporting paths.

Runs first in MIDDLEWARE, so no later middleware, view, logger or error report on these
paths can see the reporter's address, browser, cookies or the page they came from; and no
response on them leaves a cookie or a cached copy on the reporter's device. Before the
address is dropped it is compared, once, with settings.AMPARO_REPORT_TRUSTED_NETWORKS
(a training room, a partner's office): the request keeps only the yes/no answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

#: request.META keys that identify a client or tell where it came from.
IDENTIFYING_META = (
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "REMOTE_PORT",
    "REMOTE_USER",
    "HTTP_USER_AGENT",
    "HTTP_REFERER",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_VIA",
    "HTTP_CLIENT_IP",
    "HTTP_X_CLIENT_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_X_CLUSTER_CLIENT_IP",
    "HTTP_FASTLY_CLIENT_IP",
    "HTTP_X_ORIGINAL_FORWARDED_FOR",
    "HTTP_DNT",
    "HTTP_FROM",
    "HTTP_COOKIE",
)
IDENTIFYING_PREFIXES = ("HTTP_SEC_CH_UA", "HTTP_X_FORWARDED_HOST_IP")


def is_public_reporting_path(path: str) -> bool:
    prefixes = getattr(settings, "AMPARO_ANONYMOUS_PATHS", ("/report/", "/api/v1/report/"))
    return any(path.startswith(prefix) for prefix in prefixes)


def _trusted(address: str) -> bool:
    networks = getattr(settings, "AMPARO_REPORT_TRUSTED_NETWORKS", [])
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
        return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)
    except ValueError:
        return False


class AnonymousReportingMiddleware:
    """On the public reporting paths: drop address, user agent, referer, forwarding headers and
    cookies from the request, and set no cookie and allow no caching in the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_public_reporting_path(request.path_info):
            return self.get_response(request)
        request.amparo_trusted_network = _trusted(request.META.get("REMOTE_ADDR", ""))  # type: ignore[attr-defined]
        for key in list(request.META):
            if key in IDENTIFYING_META or key.startswith(IDENTIFYING_PREFIXES):
                del request.META[key]
        response = self.get_response(request)
        response.cookies.clear()  # the reporter's device keeps no trace of the visit
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store, max-age=0"
        del response["Strict-Transport-Security"]  # a dated record of the visit (decision 0010)
        return response
