"""Shared set-up for the route tests: cases with trafficking events, agreements that share
route aggregates, and the rebuild."""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from amparo.accounts.models import AgreementStatus, Organisation, SharingAgreement
from amparo.cases.models import Case, TraffickingEvent
from amparo.routes.legs import rebuild_all

_counter = itertools.count()


def person(
    org: Organisation,
    route: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (("recruitment", "HND"), ("exploitation", "USA")),
    *,
    month: datetime.date | None = datetime.date(2026, 2, 1),
    types: tuple[str, ...] = ("forced_labour",),
    gender: str = "feminine",
    age_band: str = "18-20",
    city: str = "",
    region: str = "",
    lat: float | None = None,
    lon: float | None = None,
    **fields: str,
) -> Case:
    """One person's case in `org` with one event per (stage, country) of `route`."""
    n = next(_counter)
    case = Case.objects.create(
        organisation=org,
        person_name=fields.pop("person_name", f"Persona {n}"),
        exploitation_types=list(types),
        gender=gender,
        age_band=age_band,
        **fields,
    )
    for stage, country in route:
        TraffickingEvent.objects.create(
            case=case,
            event_type=stage,
            month=month,
            country=country,
            city=city if stage == "exploitation" else "",
            region=region if stage == "exploitation" else "",
            latitude=lat if stage == "exploitation" else None,
            longitude=lon if stage == "exploitation" else None,
        )
    return case


def people(org: Organisation, count: int, **kwargs) -> list[Case]:
    return [person(org, **kwargs) for _ in range(count)]


def share_routes(a: Organisation, b: Organisation, **overrides) -> SharingAgreement:
    today = timezone.localdate()
    values = {
        "purposes": ["route_aggregates"],
        "field_sets": ["shelter_intake"],
        "field_sets_version": "2026.1",
        "starts_on": today - datetime.timedelta(days=1),
        "ends_on": today + datetime.timedelta(days=90),
        "status": AgreementStatus.ACTIVE,
        **overrides,
    }
    return SharingAgreement.objects.create(proposer=a, receiver=b, **values)


def rebuild() -> int:
    return rebuild_all()
