"""Case API: the same services and the same scoping as the pages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amparo.cases import services
from amparo.cases.models import Case
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404


class CaseListOutput(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["reference", "status", "created_at"]


class CaseDetailOutput(serializers.ModelSerializer):
    class Meta:
        model = Case
        fields = ["reference", "status", "person_name", "phone", "summary", "created_at", "updated_at"]


class CaseListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Reference or phone number, exact match")],
        responses=CaseListOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        if not can(request.user, Perm.CASE_VIEW):
            raise PermissionDenied
        query = str(request.query_params.get("q", ""))[:60]
        cases = services.case_search(actor=request.user, query=query)[:50]  # type: ignore[arg-type]
        return Response(CaseListOutput(cases, many=True).data)


class CaseDetailApi(APIView):
    @extend_schema(responses=CaseDetailOutput)
    def get(self, request: Request, reference: str) -> Response:
        case = get_visible_or_404(Case, request.user, reference=reference)
        services.case_read(actor=request.user, case=case)  # type: ignore[arg-type]
        return Response(CaseDetailOutput(case).data)
