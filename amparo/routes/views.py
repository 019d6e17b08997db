"""Route pages (decision 0043): aggregates only, small cells suppressed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amparo.core.permissions import Perm, can


def route_map(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.ROUTES_VIEW):
        raise PermissionDenied
    return render(request, "routes/map.html", {"map_payload": {}})
