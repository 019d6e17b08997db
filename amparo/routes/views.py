"""Route pages (decision 0043): the map with its table, and exports. Aggregates only, small
cells suppressed; no case, report, signal or person is ever read here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from amparo.core.audit import record
from amparo.core.permissions import Perm, can
from amparo.routes import exports, services, suppression
from amparo.routes.aggregates import Query
from amparo.routes.forms import RouteFilterForm, filter_form


def _query(form: RouteFilterForm) -> Query | None:
    if not form.is_bound:
        return Query()
    return form.query() if form.is_valid() else None


def route_map(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.ROUTES_VIEW):
        raise PermissionDenied
    form = filter_form(request.GET)
    query = _query(form)
    context: dict[str, object] = {
        "form": form,
        "can_export": can(request.user, Perm.ROUTES_EXPORT),
        "threshold": suppression.threshold(),
    }
    if query is None:
        return render(request, "routes/map.html", {**context, "map_payload": None}, status=400)
    result = services.aggregates_for(request.user, query)
    params = request.GET.urlencode()
    context.update(
        result=result,
        map_payload=services.payload(result),
        hidden_note=services.hidden_note(result),
        export_links=[
            (label, f"{reverse(f'routes:export_{fmt}')}{'?' + params if params else ''}")
            for fmt, label in (("csv", "CSV"), ("geojson", "GeoJSON"), ("kml", "KML"))
        ],
    )
    return render(request, "routes/map.html", context)


def route_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if not can(request.user, Perm.ROUTES_EXPORT):
        raise PermissionDenied
    if fmt not in exports.FORMATS:
        raise Http404
    form = filter_form(request.GET)
    query = _query(form)
    if query is None:
        return render(
            request,
            "routes/map.html",
            {"form": form, "map_payload": None, "threshold": suppression.threshold()},
            status=400,
        )
    result = services.aggregates_for(request.user, query)
    body = exports.render(result, fmt)
    record(
        actor=request.user,
        action="routes.export",
        reason=f"{fmt} {' '.join(f'{k}={v}' for k, v in services.filters_of(query).items() if v)}",
    )
    response = HttpResponse(body, content_type=exports.FORMATS[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="amparo-routes-{stamp}.{fmt}"'
    return response
