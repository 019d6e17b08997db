"""Staff decide on the places suggested from a report, a signal or a case (decision 0041).

The suggestions themselves are shown on the source's own page (templatetags/places.py),
computed from the text that page already decrypts. These views receive the decisions:
each resolves the source through visible_to (another organisation's source is the same 404
as a missing one) and needs `place.confirm`. They decrypt nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from amparo.core.scoping import get_visible_or_404
from amparo.places import services
from amparo.places.forms import DecideForm, PlaceForm, RemoveForm
from amparo.places.models import ConfirmedPlace, SourceKind

#: How many of the gazetteer's places a search offers.
SEARCH_LIMIT = 15


def back_url(source: services.Source) -> str:
    """The page the source is read on, at its places panel."""
    if source.url_kind == "signal":
        return reverse("reports:signal_detail", args=[source.obj.reference]) + "#places"
    case = source.case
    return reverse("cases:case_detail", args=[case.reference]) + "#places"


def _problem(request: HttpRequest, source: services.Source, errors: list[str]) -> HttpResponse:
    """Bad input: say what is wrong, in the user's language, and change nothing."""
    return render(request, "places/problem.html", {"errors": errors, "back": back_url(source)}, status=400)


STALE = gettext_lazy("This suggestion is no longer valid. Open the page again and decide on the places it shows.")


@require_POST
def decide(request: HttpRequest, kind: str, reference: str) -> HttpResponse:
    """Confirm a suggested place (with its stage and month) or reject it."""
    source = services.resolve_source(request.user, kind, reference)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _problem(request, source, [str(e) for errors in form.errors.values() for e in errors])
    try:
        suggested = services.place_from_token(source, form.cleaned_data["suggestion"])
    except services.BadSuggestion:
        return _problem(request, source, [str(STALE)])
    if services.suggestion_hash(source, suggested) in services.decided_hashes(request.user, source):
        messages.info(request, _("Someone already decided on this place."))
        return redirect(back_url(source))
    data = form.cleaned_data
    if data["action"] == "reject":
        services.reject(actor=request.user, source=source, suggested=suggested)
        messages.success(request, _("The suggestion was rejected; it will not be suggested again."))
    else:
        recorded = services.recorded_from(suggested, data["stage"], data["month"])
        services.record_place(actor=request.user, source=source, recorded=recorded, suggested=suggested)
        messages.success(request, _("The place was confirmed."))
    return redirect(back_url(source))


def place_form(request: HttpRequest, kind: str, reference: str) -> HttpResponse:
    """Correct a suggestion or add a place nobody suggested: search the gazetteer and choose
    one of its places, or type a country, a region and a city.

    The suggestion's token and the search words travel only in POST bodies (`do=start` from the
    panel's "Correct" button, `do=search`), never in a URL: a place named in a sealed report
    stays out of browser history and of any log line that holds a URL."""
    source = services.resolve_source(request.user, kind, reference)
    step = request.POST.get("do", "record") if request.method == "POST" else "start"
    token = request.POST.get("suggestion", "") if request.method == "POST" else ""
    suggested = None
    if token:
        try:
            suggested = services.place_from_token(source, token)
        except services.BadSuggestion:
            return _problem(request, source, [str(STALE)])
    query = request.POST.get("q", "")[:120].strip() if step == "search" else ""
    if step == "record" and suggested is not None:
        if services.suggestion_hash(source, suggested) in services.decided_hashes(request.user, source):
            messages.info(request, _("Someone already decided on this place."))
            return redirect(back_url(source))
    if step == "record":
        form = PlaceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if data["pick"]:
                try:
                    picked = services.place_from_token(source, data["pick"])
                except services.BadSuggestion:
                    return _problem(request, source, [str(STALE)])
                recorded = services.recorded_from(picked, data["stage"], data["month"])
            else:
                recorded = services.typed_place(
                    stage=data["stage"],
                    country=data["country"],
                    region_code=data["region_code"],
                    city=data["city"].strip(),
                    month=data["month"],
                )
            services.record_place(
                actor=request.user, source=source, recorded=recorded, suggested=suggested, corrected=bool(suggested)
            )
            messages.success(request, _("The place was recorded."))
            return redirect(back_url(source))
    else:
        # Start or search: the form again, with what the panel or the last search carried.
        carried = request.POST if request.method == "POST" else {}
        initial = {key: carried.get(key, "")[:120] for key in ("country", "region", "city", "stage", "month")}
        if suggested and not initial["country"]:
            initial["country"] = suggested.country
        form = PlaceForm(initial=initial)
    results: list[dict[str, Any]] = []
    if query:
        results = services.search(source, query)[:SEARCH_LIMIT]
    return render(
        request,
        "places/place_form.html",
        {
            "source": source,
            "source_label": SourceKind(source.kind).label,
            "suggested": suggested,
            "token": token,
            "query": query,
            "results": results,
            "searched": bool(query),
            "form": form,
            "back": back_url(source),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a confirmed place; the history keeps who removed what and when."""
    place = get_visible_or_404(ConfirmedPlace, request.user, pk=pk)
    source = services.source_of(request.user, place)
    if source is None:
        raise Http404  # the same 404 as a missing place
    form = RemoveForm(request.POST)
    if not form.is_valid():
        return _problem(request, source, [str(e) for errors in form.errors.values() for e in errors])
    services.remove(actor=request.user, place=place)
    messages.success(request, _("The place was removed."))
    return redirect(back_url(source))
