"""Find help: the public search of published services, and the awareness pages' edits.

The public search is anonymous: it reads the published services (the shared
directory, decision 0018), never a service that is not published, and shows a service only
through `public_card()`, which never carries an address or coordinates of a confidential
location, nor any coordinates at all. Law-enforcement contacts are left out of the public
search (decision 0025). A point searched from is rounded to `POINT_DEGREES` before it is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pycountry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from amparo.cases.vocabularies import language_name
from amparo.core import audit
from amparo.core.countries import country_name
from amparo.core.permissions import Perm, can
from amparo.findhelp.models import AwarenessPage, PageLanguage, PageStatus, Topic
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import haversine_km, region_country

#: Types of service never listed on the public page (decision 0025).
HIDDEN_TYPES = frozenset({"law_enforcement"})
#: A point searched from is used at this precision (0.1° is about 11 km of latitude).
POINT_DEGREES = Decimal("0.1")
#: How far "near me" looks.
NEAR_RADIUS_KM = 50.0
#: At most this many results on one page (an old phone on a slow network).
MAX_RESULTS = 30


def round_point(lat: float, lon: float) -> tuple[float, float]:
    """The point at POINT_DEGREES precision: what the search uses, whatever was sent."""
    return (
        float(Decimal(str(lat)).quantize(POINT_DEGREES, rounding=ROUND_HALF_EVEN)),
        float(Decimal(str(lon)).quantize(POINT_DEGREES, rounding=ROUND_HALF_EVEN)),
    )


def public_services() -> QuerySet[Service]:
    """Published services of every organisation, except the types never shown publicly."""
    # scoping: the shared directory's published offers, not people's data (decisions 0018, 0025)
    return Service.objects.published().exclude(service_type__code__in=HIDDEN_TYPES)


def public_types() -> list[tuple[str, str]]:
    """(code, label) of the global service types the public may search by."""
    types = ServiceType.objects.filter(organisation__isnull=True).exclude(code__in=HIDDEN_TYPES)
    return sorted(((t.code, t.label) for t in types), key=lambda pair: pair[1].casefold())


def public_countries() -> list[tuple[str, str]]:
    """Countries with published services or help numbers: a short list for an old phone."""
    from amparo.findhelp.numbers import countries as numbered

    codes = set(numbered())
    for text in public_services().values_list("countries", flat=True).distinct():
        codes |= {c for c in (text or "").split(",") if c}
    named = [(code, country_name(code)) for code in codes if pycountry.countries.get(alpha_3=code)]
    return sorted(named, key=lambda pair: pair[1].casefold())


def public_regions(country: str) -> list[tuple[str, str]]:
    """First-level regions (ISO 3166-2 without a parent) of one alpha-3 country."""
    found = pycountry.countries.get(alpha_3=country) if country else None
    subs = pycountry.subdivisions.get(country_code=found.alpha_2) if found else None
    regions = [(s.code, s.name) for s in subs or [] if not getattr(s, "parent_code", None)]
    return sorted(regions, key=lambda pair: pair[1].casefold())


def public_languages() -> list[tuple[str, str]]:
    """Languages that published services speak, by name in the active language."""
    codes: set[str] = set()
    for text in public_services().values_list("languages", flat=True).distinct():
        codes |= {c.lower() for c in (text or "").split(",") if c}
    named = [(code, language_name(code)) for code in codes if pycountry.languages.get(alpha_3=code)]
    return sorted(named, key=lambda pair: pair[1].casefold())


@dataclass
class Card:
    """What the public sees of one service."""

    name: str
    provider: str
    service_type: str
    languages: list[str]
    hours: str
    cost: str
    intake_contact: str
    address: str
    countries: list[str]
    distance_km: int | None


def public_card(service: Service, distance_km: float | None = None) -> Card:
    """A service as the public sees it: never coordinates; a confidential location's address
    and distance never (its intake contact only)."""
    confidential = service.confidential_location
    return Card(
        name=service.name,
        provider=service.provider,
        service_type=service.service_type.label,
        languages=[language_name(c) for c in service.language_list()],
        hours=service.hours,
        cost=service.cost,
        intake_contact=service.intake_contact,
        address="" if confidential else service.address,
        countries=[country_name(c) for c in service.country_list()],
        distance_km=None if confidential or distance_km is None else max(1, round(distance_km)),
    )


def public_search(
    *,
    country: str = "",
    region: str = "",
    service_type: str = "",
    language: str = "",
    near: tuple[float, float] | None = None,
) -> list[Card]:
    """Published services (except hidden types) matching every criterion, nearest first when
    a point is given; the point is rounded to POINT_DEGREES first."""
    services = public_services()
    if service_type:
        services = services.filter(service_type__code=service_type)
    if country:
        alpha_2 = getattr(pycountry.countries.get(alpha_3=country), "alpha_2", "??")
        services = services.filter(Q(countries__contains=f",{country},") | Q(regions__contains=f",{alpha_2}-"))
    if region:
        services = services.filter(
            Q(regions__contains=f",{region},")
            | (Q(countries__contains=f",{region_country(region) or '???'},") & Q(regions=""))
        )
    if language:
        services = services.filter(languages__contains=f",{language.upper()},")
    services = services.select_related("service_type", "organisation").order_by("name", "id")
    if near is None:
        return [public_card(s) for s in services[:MAX_RESULTS]]
    lat, lon = round_point(*near)
    dlat = NEAR_RADIUS_KM / 111.0
    dlon = min(NEAR_RADIUS_KM / (111.0 * max(math.cos(math.radians(lat)), 0.01)), 180.0)
    services = services.filter(search_latitude__gte=lat - dlat, search_latitude__lte=lat + dlat)
    if lon - dlon >= -180 and lon + dlon <= 180:
        services = services.filter(search_longitude__gte=lon - dlon, search_longitude__lte=lon + dlon)
    hits = []
    for service in services:
        if service.search_latitude is None or service.search_longitude is None:
            continue
        km = haversine_km(lat, lon, service.search_latitude, service.search_longitude)
        if km <= NEAR_RADIUS_KM:
            hits.append((km, service))
    hits.sort(key=lambda hit: (hit[0], hit[1].name))
    return [public_card(service, km) for km, service in hits[:MAX_RESULTS]]


# --- awareness pages ------------------------------------------------------------------------


def _require(actor: Any) -> int:
    if not can(actor, Perm.AWARENESS_EDIT) or actor.organisation_id is None:
        raise PermissionDenied
    return int(actor.organisation_id)


def _status_action(before: str | None, after: str) -> str:
    if before is None:
        return "awareness.create"
    if before != after:
        return "awareness.publish" if after == PageStatus.PUBLISHED else "awareness.unpublish"
    return "awareness.update"


def awareness_save(
    *,
    actor: Any,
    page: AwarenessPage | None = None,
    topic: str,
    language: str,
    title: str,
    body: str,
    status: str,
) -> AwarenessPage:
    """Write a new awareness page of the actor's organisation, or change one of its own
    (`page`, got through visible_to). Audited: created, changed, published or taken back
    to draft. Refuses another organisation's page and a second page on the same topic in
    the same language."""
    org_id = _require(actor)
    if page is not None and page.organisation_id != org_id:
        raise PermissionDenied
    before = None
    if page is not None:
        # scoping: the stored status of the row the caller got through visible_to (a bound form changes the instance)
        before = AwarenessPage.objects.filter(pk=page.pk).values_list("status", flat=True).first()
    page = page or AwarenessPage(organisation_id=org_id)
    page.topic, page.language, page.title, page.body, page.status = topic, language, title, body, status
    page.updated_by = actor
    if topic not in Topic.values or language not in PageLanguage.values or status not in PageStatus.values:
        raise ValidationError(_("Choose a topic, a language and a status from the lists."))
    try:
        with transaction.atomic():
            page.full_clean(validate_unique=False, validate_constraints=False)
            page.save()
            audit.record(actor=actor, action=_status_action(before, status), obj=page)
    except IntegrityError as exc:
        raise ValidationError(
            _("Your organisation already has a page on this topic in this language: edit that one.")
        ) from exc
    return page


def awareness_seed(*, organisation_id: int, pages: list[dict[str, str]]) -> int:
    """Demo texts for one organisation, published, where it has no page on that topic and
    language yet (seed_demo). Returns how many were written."""
    written = 0
    for spec in pages:
        # scoping: a system command filling one organisation's own pages
        exists = AwarenessPage.objects.filter(
            organisation_id=organisation_id, topic=spec["topic"], language=spec["language"]
        ).exists()
        if not exists:
            AwarenessPage.objects.create(organisation_id=organisation_id, status=PageStatus.PUBLISHED, **spec)
            written += 1
    return written
