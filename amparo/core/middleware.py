"""Request guards that run on every staff page."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import resolve, reverse
from django.utils import translation

#: URL names a signed-in but not yet two-factor-verified user may open.
TWO_FACTOR_OPEN = {
    "accounts:login",
    "accounts:logout",
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "set_language",
    "core:health",
    "core:health_live",
    "core:health_ready",
    "core:metrics",
}


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's deny-by-default guard, except at the site's root: an anonymous visitor there
    is sent to the public front page (report, follow up, find help), not to the staff
    sign-in. The root's view stays login-required, so a signed-in colleague still passes
    every other guard (two-factor) to reach their home; staff sign in from the front page's
    "Staff sign-in" link or /accounts/login/. The redirect keeps only ?lang=es|en."""

    def handle_no_permission(self, request: HttpRequest, view_func: Callable) -> HttpResponseRedirect:
        if request.path_info == "/":
            lang = request.GET.get("lang", "")
            query = f"?lang={lang}" if lang in {"es", "en"} else ""
            return HttpResponseRedirect(reverse("report:public_home") + query)
        return super().handle_no_permission(request, view_func)


class TwoFactorRequiredMiddleware:
    """Deny every page to a signed-in user until this session passed TOTP.

    Users without a confirmed device are sent to set one up; users with one are sent
    to enter a code. Views marked public (`login_not_required`) stay open.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: list, view_kwargs: dict
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[union-attr,attr-defined]
            return None
        if not getattr(view_func, "login_required", True):
            return None
        match = resolve(request.path_info)
        if match.view_name in TWO_FACTOR_OPEN:
            return None
        if request.path_info.startswith("/api/"):
            return None  # the API's own permission class answers 403 in JSON
        from django_otp import devices_for_user

        if any(True for _ in devices_for_user(user, confirmed=True)):
            return redirect("accounts:two_factor_verify")
        return redirect("accounts:two_factor_setup")


class UserLanguageMiddleware:
    """Use the signed-in user's saved language when the request names none explicitly.

    Order of precedence: the language cookie set by the switcher, then the user's saved
    choice, then the browser's Accept-Language (Django's LocaleMiddleware).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.language
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class RejectNulBytesMiddleware:
    """Answer 400 to a NUL byte in the path or query string, before any view sees it, and
    forget a cookie that carries one (a session cookie with NUL reached the session query).

    PostgreSQL cannot store or compare text containing NUL, so such a value reaching a
    query would fail with a server error; no legitimate request carries one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.http import HttpResponseBadRequest
        from django.utils.translation import gettext as _

        query = request.META.get("QUERY_STRING", "")
        if (
            "\x00" in request.path_info
            or "%00" in query
            or any("\x00" in value for values in request.GET.lists() for value in values[1])
        ):
            return HttpResponseBadRequest(
                _("The address contains a character that is not allowed."), content_type="text/plain; charset=utf-8"
            )
        spoilt = [name for name, value in request.COOKIES.items() if "\x00" in name or "\x00" in value]
        for name in spoilt:
            del request.COOKIES[name]
        if settings.SESSION_COOKIE_NAME in spoilt:  # SessionMiddleware already took the key: start afresh
            request.session = import_module(settings.SESSION_ENGINE).SessionStore(None)
        return self.get_response(request)


class HSTSForStaffOnlyMiddleware:
    """Strict-Transport-Security only on responses to signed-in staff (docs/decisions/0010).

    A browser keeps each host that sent the header, with the time it first saw it, for the
    header's max-age (a year): on a reporter's phone that record says the phone visited this
    site, and when. So no response to someone who is not signed in carries it: not the
    reporting pages (whose cookies are dropped, so even a signed-in colleague is a reporter
    there), not the sign-in page, not `/`. Sits just outside Django's SecurityMiddleware,
    which adds the header to every HTTPS response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Strict-Transport-Security" in response:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                del response["Strict-Transport-Security"]
        return response
