"""Directory API: the same search and the same hiding of confidential locations as the pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amparo.core.permissions import Perm, can
from amparo.referrals import services
from amparo.referrals.forms import DirectorySearchForm


class DirectoryServiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    provider = serializers.CharField()
    on_amparo = serializers.BooleanField(help_text="True: referrals go through Amparo; false: contact only.")
    service_type = serializers.CharField(help_text="Code of the service type")
    countries = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166-1 alpha-3")
    regions = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166-2")
    languages = serializers.ListField(child=serializers.CharField(), help_text="ISO 639-3")
    genders = serializers.ListField(child=serializers.CharField(), help_text="F, M, X; empty: everyone")
    min_age = serializers.IntegerField(allow_null=True)
    max_age = serializers.IntegerField(allow_null=True)
    nationalities = serializers.ListField(child=serializers.CharField(), help_text="alpha-3; empty: all")
    accepts_children_with_parent = serializers.BooleanField()
    hours = serializers.CharField()
    cost = serializers.CharField()
    accessibility = serializers.CharField()
    intake_contact = serializers.CharField()
    address = serializers.CharField(help_text="Empty when the location is confidential")
    latitude = serializers.DecimalField(max_digits=8, decimal_places=5, allow_null=True)
    longitude = serializers.DecimalField(max_digits=8, decimal_places=5, allow_null=True)
    location_hidden = serializers.BooleanField(help_text="A confidential location of another organisation")
    distance_km = serializers.FloatField(allow_null=True, help_text="To the service's (coarse, if confidential) point")


def _row(hit: services.Hit, user: Any) -> dict[str, Any]:
    service = hit.service
    return {
        "id": service.pk,
        "name": service.name,
        "provider": service.provider,
        "on_amparo": service.on_amparo,
        "service_type": service.service_type.code,
        "countries": service.country_list(),
        "regions": service.region_list(),
        "languages": service.language_list(),
        "genders": service.gender_list(),
        "min_age": service.min_age,
        "max_age": service.max_age,
        "nationalities": service.nationality_list(),
        "accepts_children_with_parent": service.accepts_children_with_parent,
        "hours": service.hours,
        "cost": service.cost,
        "accessibility": service.accessibility,
        "intake_contact": service.intake_contact,
        **services.public_fields(service, user),
        "distance_km": round(hit.distance_km, 1) if hit.distance_km is not None else None,
    }


class DirectoryServiceListApi(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("service_type", str, description="Service type code (shelter, medical, ...)"),
            OpenApiParameter("country", str, description="ISO 3166-1 alpha-3"),
            OpenApiParameter("region", str, description="ISO 3166-2 first-level region, e.g. ES-MD"),
            OpenApiParameter("language", str, description="ISO 639-3"),
            OpenApiParameter("gender", str, description="F, M or X"),
            OpenApiParameter("age", int),
            OpenApiParameter("nationality", str, description="ISO 3166-1 alpha-3"),
            OpenApiParameter("children_with_parent", bool),
            OpenApiParameter("near", str, description='"latitude, longitude" in decimal degrees'),
            OpenApiParameter("radius_km", int, description="1 to 2000, default 50"),
        ],
        responses=DirectoryServiceOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        """Published services of every organisation; a confidential location shows only its intake contact."""
        if not can(request.user, Perm.DIRECTORY_VIEW):
            raise PermissionDenied
        form = DirectorySearchForm(request.query_params, organisation_id=request.user.organisation_id)
        if not form.is_valid():
            return Response({"detail": _("Check the search."), "errors": form.errors}, status=400)
        hits = services.directory_search(actor=request.user, **form.criteria())
        return Response(DirectoryServiceOutput([_row(hit, request.user) for hit in hits], many=True).data)
