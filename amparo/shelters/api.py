"""Shelter API, read-only (issue 9, part 2; decision 0035): the same services and `visible_to`
as the pages, explicit output serializers.

* `/api/v1/shelters/` and `/api/v1/shelters/<id>/`: the organisation's own shelters, their
  beds per type (capacity, occupied, free now) and how many wait per bed type. Counts only:
  no person, no case reference, no date of a stay. The street address and exact coordinates
  are given to the organisation's own staff who see them on the shelter's page today
  (`shelter.view`); another organisation's shelter is the same 404 as a missing one.
* `/api/v1/shelters/free-beds/`: other organisations' shelters that chose to show their free
  beds (decision 0024): free beds per bed type and the directory entry, never the address,
  capacity, occupancy or anyone's name.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.shelters import services
from amparo.shelters.models import BedType, Shelter


class BedsOutput(serializers.Serializer):
    bed_type = serializers.ChoiceField(choices=BedType.choices)
    label = serializers.CharField()
    capacity = serializers.IntegerField()
    occupied = serializers.IntegerField()
    free = serializers.IntegerField()
    over_capacity = serializers.IntegerField(help_text="People admitted beyond the capacity, with a recorded reason")


class WaitingOutput(serializers.Serializer):
    bed_type = serializers.ChoiceField(choices=BedType.choices)
    waiting = serializers.IntegerField()


class ShelterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    directory_service = serializers.IntegerField(help_text="Id of the shelter's directory entry")
    show_free_beds = serializers.BooleanField(help_text="Whether other organisations see the free beds (counts only)")
    street_address = serializers.CharField(help_text="Confidential: only the shelter's own organisation sees it")
    coordinates = serializers.CharField(help_text='Confidential, "latitude, longitude"; empty if not recorded')
    beds = BedsOutput(many=True, help_text="Occupancy now, per bed type with beds or people")
    waiting_total = serializers.IntegerField()
    waiting = WaitingOutput(many=True, help_text="People on the waiting list per bed type needed (counts only)")


class FreeBedsOutput(serializers.Serializer):
    bed_type = serializers.ChoiceField(choices=BedType.choices)
    label = serializers.CharField()
    free = serializers.IntegerField()


class SharedShelterOutput(serializers.Serializer):
    directory_service = serializers.IntegerField(
        help_text="Id of the directory entry (GET /api/v1/directory/services/)"
    )
    name = serializers.CharField(help_text="The directory entry's name")
    provider = serializers.CharField()
    intake_contact = serializers.CharField()
    free_beds = FreeBedsOutput(many=True)


def _shelter(shelter: Shelter, user: Any) -> dict[str, Any]:
    # The shelter came through visible_to; the address is shown as on the shelter's page.
    sees_address = can(user, Perm.SHELTER_VIEW) and shelter.organisation_id == user.organisation_id
    waiting = services.waiting_counts(user, shelter)
    return {
        "id": shelter.pk,
        "name": shelter.name,
        "directory_service": shelter.service_id,
        "show_free_beds": shelter.show_free_beds,
        "street_address": shelter.street_address if sees_address else "",
        "coordinates": shelter.coordinates if sees_address else "",
        "beds": [
            {
                "bed_type": b.bed_type,
                "label": b.label,
                "capacity": b.capacity,
                "occupied": b.occupied,
                "free": b.free,
                "over_capacity": b.over,
            }
            for b in services.occupancy(shelter)
        ],
        "waiting_total": sum(waiting.values()),
        "waiting": [{"bed_type": value, "waiting": waiting[value]} for value in BedType.values if waiting.get(value)],
    }


class ShelterListApi(APIView):
    @extend_schema(responses=ShelterOutput(many=True))
    def get(self, request: Request) -> Response:
        """The organisation's own shelters: beds and occupancy now, waiting-list sizes."""
        if not can(request.user, Perm.SHELTER_VIEW):
            raise PermissionDenied
        shelters = Shelter.objects.visible_to(request.user)
        return Response(ShelterOutput([_shelter(s, request.user) for s in shelters], many=True).data)


class ShelterDetailApi(APIView):
    @extend_schema(responses=ShelterOutput)
    def get(self, request: Request, pk: int) -> Response:
        """One of the organisation's shelters; another organisation's is the same 404 as a missing one."""
        if not can(request.user, Perm.SHELTER_VIEW):
            raise PermissionDenied
        shelter = get_visible_or_404(Shelter, request.user, pk=pk)
        return Response(ShelterOutput(_shelter(shelter, request.user)).data)


class SharedFreeBedsApi(APIView):
    @extend_schema(responses=SharedShelterOutput(many=True))
    def get(self, request: Request) -> Response:
        """Free beds now in other organisations' shelters that chose to show them (counts only)."""
        if not can(request.user, Perm.DIRECTORY_VIEW):
            raise PermissionDenied
        rows = [
            {
                "directory_service": service.pk,
                "name": service.name,
                "provider": service.provider,
                "intake_contact": service.intake_contact,
                "free_beds": [{"bed_type": b.bed_type, "label": b.label, "free": b.free} for b in beds],
            }
            for service, beds in services.free_beds_of_others(request.user)
        ]
        return Response(SharedShelterOutput(rows, many=True).data)
