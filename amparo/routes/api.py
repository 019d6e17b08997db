"""Route aggregates API (decision 0043): `/api/v1/routes/flows/` and `/api/v1/routes/hotspots/`.
The same filters, the same suppression and the same permission as the map page: shown cells
only, counts of people, never a case, report, signal or person."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amparo.core.audit import record
from amparo.core.permissions import Perm, can
from amparo.routes import services
from amparo.routes.aggregates import Aggregates
from amparo.routes.forms import RouteFilterForm, filter_form


class MetadataOutput(serializers.Serializer):
    threshold = serializers.IntegerField(help_text="Cells counting fewer people than this are absent")
    period = serializers.CharField()
    filters = serializers.DictField(child=serializers.CharField(allow_blank=True))
    generated_at = serializers.CharField()
    amparo_version = serializers.CharField()
    organisations_covered = serializers.IntegerField(help_text="How many organisations' data are counted")
    counts = serializers.CharField()


class FlowOutput(serializers.Serializer):
    from_code = serializers.CharField(help_text="Alpha-3 country, then ISO 3166-2 region and city at finer levels")
    to_code = serializers.CharField()
    from_name = serializers.CharField()
    to_name = serializers.CharField()
    from_lat = serializers.FloatField(allow_null=True)
    from_lon = serializers.FloatField(allow_null=True)
    to_lat = serializers.FloatField(allow_null=True)
    to_lon = serializers.FloatField(allow_null=True)
    people = serializers.IntegerField()


class FlowsOutput(serializers.Serializer):
    metadata = MetadataOutput()
    flows = FlowOutput(many=True)


class HotspotOutput(serializers.Serializer):
    h3 = serializers.CharField()
    res = serializers.IntegerField()
    stage = serializers.CharField()
    people = serializers.IntegerField()
    boundary = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))


class HotspotsOutput(serializers.Serializer):
    metadata = MetadataOutput()
    hotspots = HotspotOutput(many=True)


PARAMETERS = [
    OpenApiParameter(name, str, required=False, description=description)
    for name, description in (
        ("period", '"" (all time), a year "2026" or a quarter "2026-Q2"'),
        ("measure", "case (default), report or signal: counted separately, never summed"),
        ("exploitation_type", "an exploitation type code, or empty for all"),
        ("sex", "a gender code, or empty for all"),
        ("age_band", "an age group code, or empty for all"),
        ("level", "country (default; res-4 hotspots), region or city (res-6 hotspots)"),
    )
]


def _result(request: Request, layer: str) -> Aggregates:
    if not can(request.user, Perm.ROUTES_VIEW):
        raise PermissionDenied
    form: RouteFilterForm = filter_form(request.query_params)
    if form.is_bound and not form.is_valid():
        raise ValidationError({field: [str(e) for e in errors] for field, errors in form.errors.items()})
    query = form.query() if form.is_bound else services.Query()
    result = services.aggregates_for(request.user, query)
    # The API gives the same numbers as the exports, to a script: audited the same way.
    record(
        actor=request.user,
        action="routes.export",
        reason=f"api-{layer} {' '.join(f'{k}={v}' for k, v in services.filters_of(query).items() if v)}",
    )
    return result


def _flow(flow: Any) -> dict[str, Any]:
    half = len(flow.key) // 2
    return {
        "from_code": "/".join(flow.key[:half]),
        "to_code": "/".join(flow.key[half:]),
        "from_name": flow.from_name,
        "to_name": flow.to_name,
        "from_lat": flow.from_point[0] if flow.from_point else None,
        "from_lon": flow.from_point[1] if flow.from_point else None,
        "to_lat": flow.to_point[0] if flow.to_point else None,
        "to_lon": flow.to_point[1] if flow.to_point else None,
        "people": flow.count,
    }


class FlowsApi(APIView):
    @extend_schema(parameters=PARAMETERS, responses=FlowsOutput)
    def get(self, request: Request) -> Response:
        """Flows between places, in distinct people; only flows of at least the threshold (decision 0043)."""
        result = _result(request, "flows")
        data = {
            "metadata": services.metadata(result),
            "flows": [_flow(f) for f in result.flows],
        }
        return Response(FlowsOutput(data).data)


class HotspotsApi(APIView):
    @extend_schema(parameters=PARAMETERS, responses=HotspotsOutput)
    def get(self, request: Request) -> Response:
        """H3 hexagons by stage, in distinct people; only cells of at least the threshold (decision 0043)."""
        result = _result(request, "hotspots")
        data = {
            "metadata": services.metadata(result),
            "hotspots": [
                {"h3": h.cell, "res": h.res, "stage": h.stage, "people": h.count, "boundary": h.boundary}
                for h in result.hotspots
            ],
        }
        return Response(HotspotsOutput(data).data)
