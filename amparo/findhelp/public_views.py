"""The anonymous "find help" surface, in one module: the search and the awareness pages.

Everything here is GET only and changes nothing: no form needs a CSRF token, no session is
touched, so no cookie is set (and AnonymousReportingMiddleware, which covers /help/ through
AMPARO_ANONYMOUS_PATHS, drops the request's address, browser and cookies and answers
`no-store`). The language comes from ?lang=, as on the reporting site, never a cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_safe

from amparo.core.countries import country_name
from amparo.findhelp import services
from amparo.findhelp.forms import HelpSearchForm
from amparo.findhelp.markdown import render_markdown
from amparo.findhelp.models import AwarenessPage, Topic
from amparo.findhelp.numbers import numbers_for

LANGUAGES = {"es", "en"}
#: Query parameters that are a search (the language alone is not).
SEARCH_FIELDS = ("country", "region", "type", "language", "lat", "lon")


def public_get(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Open to everyone, GET/HEAD only, in the language named by ?lang= (no cookie)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        lang = str(request.GET.get("lang") or "")[:2]
        if lang in LANGUAGES:
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        return view(request, *args, **kwargs)

    return login_not_required(require_safe(wrapper))


def _context(**extra: Any) -> dict[str, Any]:
    lang = translation.get_language() or "en"
    lang = lang if lang in LANGUAGES else "en"
    return {
        "lang": lang,
        "other_lang": "en" if lang == "es" else "es",
        "quick_exit_url": settings.AMPARO_QUICK_EXIT_URL,
        "keep_form": "",
        **extra,
    }


@public_get
def help_search(request: HttpRequest) -> HttpResponse:
    """Find services by country, region, type and language, or near a rounded point."""
    searched = any(request.GET.get(name) for name in SEARCH_FIELDS)
    form = HelpSearchForm(request.GET if searched else None)
    cards: list[services.Card] = []
    numbers = None
    status = 200
    if searched:
        if form.is_valid():
            criteria = form.criteria()
            cards = services.public_search(**criteria)
            numbers = numbers_for(criteria["country"]) if criteria["country"] else None
        else:
            status = 400
    context = _context(
        form=form,
        searched=searched,
        cards=cards,
        numbers=numbers,
        country_label=country_name(numbers.country) if numbers else "",
        near=bool(searched and form.is_valid() and form.cleaned_data.get("near")),
    )
    return render(request, "findhelp/help_search.html", context, status=status)


@public_get
def awareness_list(request: HttpRequest) -> HttpResponse:
    """Every organisation's published awareness pages in the page's language. Never a draft."""
    lang = translation.get_language() or "en"
    pages = (
        # scoping: published pages are the organisations' public texts; drafts are never read here
        AwarenessPage.objects.published()
        .filter(language="es" if lang.startswith("es") else "en")
        .select_related("organisation")
        .order_by("organisation__name", "topic")
    )
    groups = [(org, list(items)) for org, items in groupby(pages, key=lambda page: page.organisation)]
    return render(request, "findhelp/awareness_list.html", _context(groups=groups, topics=Topic))


@public_get
def awareness_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published page, rendered from Markdown and sanitised. A draft is the same 404 as
    a page that does not exist."""
    # scoping: published pages are the organisations' public texts; drafts are never read here
    page = AwarenessPage.objects.published().select_related("organisation").filter(pk=pk).first()
    if page is None:
        raise Http404
    return render(
        request,
        "findhelp/awareness_detail.html",
        _context(page=page, html=render_markdown(page.body), topic=Topic(page.topic).label),
    )
