"""Service directory use cases: publish and edit a service, add a type, search the directory.

Writes are keyword-only `<entity>_<verb>(*, actor, ...)`: permission first, atomic, audited.
The search is the one function pages and API share (`directory_search`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pycountry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from amparo.core import audit
from amparo.core.permissions import Perm, can
from amparo.referrals.models import COARSE_DEGREES, Service, ServiceType, delimited

SERVICE_TYPES_FILE = Path(__file__).with_name("service_types.json")
EARTH_RADIUS_KM = 6371.0088
MAX_RADIUS_KM = 2000.0

#: The fields a service's form and the services change (everything the organisation edits).
EDITABLE = (
    "name",
    "on_amparo",
    "provider_name",
    "service_type",
    "description",
    "countries",
    "regions",
    "languages",
    "genders",
    "min_age",
    "max_age",
    "nationalities",
    "accepts_children_with_parent",
    "hours",
    "cost",
    "accessibility",
    "intake_contact",
    "address",
    "latitude",
    "longitude",
    "confidential_location",
    "is_published",
)
LIST_FIELDS = ("countries", "regions", "languages", "genders", "nationalities")


def load_global_types() -> int:
    """Create or update the global service types from service_types.json; returns how many."""
    data = json.loads(SERVICE_TYPES_FILE.read_text())
    for item in data["types"]:
        ServiceType.objects.update_or_create(
            organisation=None,
            code=item["code"],
            defaults={"label_es": item["es"], "label_en": item["en"], "version": data["version"]},
        )
    return len(data["types"])


def types_for(organisation_id: int | None) -> QuerySet[ServiceType]:
    """The global types plus the organisation's own."""
    return ServiceType.objects.filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))


def _require(actor: Any, perm: str) -> int:
    if not can(actor, perm) or actor.organisation_id is None:
        raise PermissionDenied
    return int(actor.organisation_id)


def _apply(service: Service, actor: Any, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "on_amparo" in fields and not can(actor, Perm.SERVICE_EXTERNAL):
        raise PermissionDenied  # entering a provider not on Amparo (or unmarking one) is the administrators'
    for name, value in fields.items():
        if name in LIST_FIELDS and not isinstance(value, str):
            value = delimited(list(value or []))
        setattr(service, name, value)
    if not service.on_amparo and not service.provider_name.strip():
        raise ValidationError({"provider_name": _("Name the provider that is not on Amparo.")})
    if service.service_type_id and service.service_type.organisation_id not in (None, service.organisation_id):
        raise ValidationError({"service_type": _("Choose one of the types offered.")})
    if (service.latitude is None) != (service.longitude is None):
        raise ValidationError({"longitude": _("Give both the latitude and the longitude, or neither.")})
    if _has_shelter(service) and (not service.confidential_location or service.address):
        raise ValidationError(
            {
                "confidential_location": _(
                    "This entry is a shelter's: its location stays confidential and its address is kept, "
                    "encrypted, on the shelter's page."
                )
            }
        )
    if _has_shelter(service) and service.latitude is not None and service.longitude is not None:
        # Only a coarse point of a shelter stays in the directory; the exact one is the shelter's, encrypted.
        service.latitude = Decimal(service.latitude).quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
        service.longitude = Decimal(service.longitude).quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
    if service.min_age is not None and service.max_age is not None and service.min_age > service.max_age:
        raise ValidationError({"max_age": _("The maximum age cannot be lower than the minimum age.")})
    service.full_clean()


def _has_shelter(service: Service) -> bool:
    """Whether a shelter (amparo/shelters) stands behind this directory entry (decision 0023)."""
    return service.pk is not None and hasattr(service, "shelter")


def service_create(*, actor: Any, **fields: Any) -> Service:
    """Publish a service of the actor's organisation (or, for an administrator, an entry for
    a provider not on Amparo)."""
    org_id = _require(actor, Perm.SERVICE_MANAGE)
    with transaction.atomic():
        service = Service(organisation_id=org_id, created_by=actor)
        _apply(service, actor, fields)
        service.save()
        audit.record(actor=actor, action="directory.service_create", obj=service)
    return service


def service_update(*, actor: Any, service: Service, **fields: Any) -> Service:
    """Change one of the organisation's own services."""
    org_id = _require(actor, Perm.SERVICE_MANAGE)
    if service.organisation_id != org_id:
        raise PermissionDenied
    with transaction.atomic():
        _apply(service, actor, fields)
        service.save()
        audit.record(actor=actor, action="directory.service_update", obj=service)
    return service


def service_type_add(*, actor: Any, code: str, label_es: str, label_en: str) -> ServiceType:
    """An organisation's own type of service, offered to it beside the global list."""
    org_id = _require(actor, Perm.SERVICE_MANAGE)
    with transaction.atomic():
        kind = ServiceType(organisation_id=org_id, code=code, label_es=label_es, label_en=label_en, version="org")
        kind.full_clean()
        if types_for(org_id).filter(code=code).exists():
            raise ValidationError({"code": _("A type with this code already exists.")})
        kind.save()
        audit.record(actor=actor, action="directory.type_add", organisation_id=org_id, reason=f"type:{code}")
    return kind


# --- search ------------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+(?:[.,]\d+)?|[.,]\d+)"
_POINT = re.compile(rf"^\s*({_NUMBER})\s*[,;\s]\s*({_NUMBER})\s*$")


def parse_point(text: str) -> tuple[float, float]:
    """ "lat, lon" in decimal degrees ("40.4168, -3.7038" or "40,4168; -3,7038") → (lat, lon).

    Raises ValidationError with a message in the user's language for anything else.
    """
    text = (text or "")[:100]
    match = _POINT.match(text)
    if not match:
        raise ValidationError(
            _('Write the point as latitude and longitude in decimal degrees, for example "40.4168, -3.7038".'),
            code="format",
        )
    lat, lon = (float(part.replace(",", ".")) for part in match.groups())
    if not -90 <= lat <= 90:
        raise ValidationError(_("The latitude must be between -90 and 90."), code="latitude")
    if not -180 <= lon <= 180:
        raise ValidationError(_("The longitude must be between -180 and 180."), code="longitude")
    return lat, lon


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def region_country(region: str) -> str | None:
    """The alpha-3 country of an ISO 3166-2 code, or None if the code is unknown."""
    sub = pycountry.subdivisions.get(code=region.upper())
    if sub is None:
        return None
    country = pycountry.countries.get(alpha_2=sub.country_code)
    return country.alpha_3 if country else None


def region_choices(countries: list[str]) -> list[tuple[str, str]]:
    """First-level regions (ISO 3166-2 without a parent) of the given alpha-3 countries."""
    choices = []
    for alpha_3 in countries:
        country = pycountry.countries.get(alpha_3=alpha_3)
        subs = pycountry.subdivisions.get(country_code=country.alpha_2) if country else None
        choices += [(s.code, f"{s.name} ({s.code})") for s in subs or [] if not getattr(s, "parent_code", None)]
    return sorted(choices, key=lambda pair: pair[1])


@dataclass
class Hit:
    service: Service
    distance_km: float | None


def directory_search(
    *,
    actor: Any,
    service_type: str = "",
    country: str = "",
    region: str = "",
    language: str = "",
    gender: str = "",
    age: int | None = None,
    nationality: str = "",
    children_with_parent: bool = False,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
    limit: int = 100,
) -> list[Hit]:
    """Published services matching every criterion given, nearest first when a point is given.

    Distance is measured to each service's search point (a confidential location's is
    coarse): a bounding box narrows the rows in SQL, haversine in Python decides.
    """
    # scoping: the shared directory of published services, not people's data (decision 0018)
    services = Service.objects.directory_visible_to(actor)
    if service_type:
        services = services.filter(service_type__code=service_type)
    if country:
        country = country.upper()
        alpha_2 = getattr(pycountry.countries.get(alpha_3=country), "alpha_2", "??")
        services = services.filter(Q(countries__contains=f",{country},") | Q(regions__contains=f",{alpha_2}-"))
    if region:
        region = region.upper()
        services = services.filter(
            Q(regions__contains=f",{region},") | Q(countries__contains=f",{region_country(region) or '???'},")
        )
    if language:
        services = services.filter(languages__contains=f",{language.upper()},")
    if gender:
        services = services.filter(Q(genders="") | Q(genders__contains=f",{gender.upper()},"))
    if age is not None:
        services = services.filter(Q(min_age__isnull=True) | Q(min_age__lte=age))
        services = services.filter(Q(max_age__isnull=True) | Q(max_age__gte=age))
    if nationality:
        services = services.filter(Q(nationalities="") | Q(nationalities__contains=f",{nationality.upper()},"))
    if children_with_parent:
        services = services.filter(accepts_children_with_parent=True)
    services = services.select_related("service_type", "organisation")
    if near is None:
        return [Hit(s, None) for s in services.order_by("name", "id")[:limit]]
    lat, lon = near
    radius = min(radius_km or 50.0, MAX_RADIUS_KM)
    dlat = radius / 111.0
    cos = max(math.cos(math.radians(lat)), 0.01)
    dlon = min(radius / (111.0 * cos), 180.0)
    services = services.filter(search_latitude__gte=lat - dlat, search_latitude__lte=lat + dlat)
    if lon - dlon >= -180 and lon + dlon <= 180:
        services = services.filter(search_longitude__gte=lon - dlon, search_longitude__lte=lon + dlon)
    hits = []
    for service in services:
        assert service.search_latitude is not None and service.search_longitude is not None
        km = haversine_km(lat, lon, service.search_latitude, service.search_longitude)
        if km <= radius:
            hits.append(Hit(service, km))
    hits.sort(key=lambda hit: (hit.distance_km, hit.service.name))
    return hits[:limit]


def public_fields(service: Service, user: Any) -> dict[str, Any]:
    """What a page or the API shows of a service to `user`: a confidential location's address
    and coordinates only to its own organisation."""
    shows = service.shows_location_to(user)
    return {
        "address": service.address if shows else "",
        "latitude": Decimal(service.latitude) if shows and service.latitude is not None else None,
        "longitude": Decimal(service.longitude) if shows and service.longitude is not None else None,
        "location_hidden": not shows,
    }
