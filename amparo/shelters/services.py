"""Shelter use cases: create and change a shelter, admit, discharge, keep the waiting list,
count occupancy. Writes are keyword-only `<entity>_<verb>(*, actor, ...)`: permission first,
atomic, audited (decision 0023).

Every shelter, admission and waiting-list entry handed to these functions was resolved by
the caller through `visible_to(actor)`; the functions check the organisation again and end
in deny.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.cases.models import Case
from amparo.core import audit
from amparo.core.permissions import Perm, can
from amparo.referrals.models import COARSE_DEGREES, Service
from amparo.shelters.models import (
    Admission,
    AdmissionQuerySet,
    BedCapacity,
    BedType,
    Destination,
    Priority,
    Shelter,
    WaitingEntry,
    WaitingStatus,
)

#: How far back an admission or a discharge may be recorded late, and the longest history.
MAX_DAYS_BACK = 366
HISTORY_DAYS = (30, 90)
MAX_BEDS = 2000


def today() -> datetime.date:
    return timezone.localdate()


def _require(actor: Any, perm: str, shelter: Shelter | None = None) -> int:
    """The actor's organisation id, if the actor holds `perm` (and the shelter is theirs)."""
    if not can(actor, perm) or actor.organisation_id is None:
        raise PermissionDenied
    if shelter is not None and shelter.organisation_id != actor.organisation_id:
        raise PermissionDenied
    return int(actor.organisation_id)


# --- the shelter and its directory entry -----------------------------------------------------


COORDINATES = re.compile(r"^\s*(-?\d{1,3}(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")


def parse_coordinates(text: str) -> str:
    """ "lat, lon" in degrees, normalised to six decimals; empty stays empty. Refuses anything
    else with a message for the form."""
    text = (text or "").strip()
    if not text:
        return ""
    match = COORDINATES.match(text.replace(", ", ","))
    message = _("Write the coordinates as latitude, longitude in degrees, for example 19.43261, -99.13321.")
    if not match:
        raise ValidationError({"coordinates": message})
    try:
        lat, lon = (Decimal(part.replace(",", ".")) for part in match.groups())
    except InvalidOperation as exc:
        raise ValidationError({"coordinates": message}) from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError({"coordinates": message})
    return f"{lat.quantize(Decimal('0.000001'))}, {lon.quantize(Decimal('0.000001'))}"


def _keep_directory_entry_coarse(service: Service, shelter: Shelter) -> None:
    """The directory entry of a shelter is a confidential location: its address moves into the
    shelter (encrypted) and only a coarse point stays in the directory, taken from the
    shelter's exact one when the entry had none (decision 0023)."""
    if service.address and not shelter.street_address:
        shelter.street_address = service.address
    if service.latitude is not None and service.longitude is not None and not shelter.coordinates:
        shelter.coordinates = parse_coordinates(f"{service.latitude}, {service.longitude}")
    if shelter.coordinates:
        lat, lon = (Decimal(part) for part in shelter.coordinates.split(", "))
        service.latitude = lat.quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
        service.longitude = lon.quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
    elif service.latitude is not None and service.longitude is not None:
        service.latitude = Decimal(service.latitude).quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
        service.longitude = Decimal(service.longitude).quantize(COARSE_DEGREES, rounding=ROUND_HALF_EVEN)
    service.address = ""
    service.confidential_location = True
    service.save(update_fields=["address", "latitude", "longitude", "confidential_location"])


def _set_capacities(shelter: Shelter, capacities: dict[str, int]) -> None:
    for bed_type, beds in capacities.items():
        if bed_type not in BedType.values:
            raise ValidationError(_("Choose one of the bed types offered."))
        if beds is None or not 0 <= int(beds) <= MAX_BEDS:
            raise ValidationError(
                {f"beds_{bed_type}": _("Give a number of beds from 0 to %(max)s.") % {"max": MAX_BEDS}}
            )
        # scoping: the beds of the shelter being changed, which the caller got through visible_to
        BedCapacity.objects.update_or_create(shelter=shelter, bed_type=bed_type, defaults={"beds": int(beds)})


def shelter_create(
    *,
    actor: Any,
    service: Service,
    name: str,
    street_address: str = "",
    coordinates: str = "",
    show_free_beds: bool = False,
    capacities: dict[str, int],
) -> Shelter:
    """A shelter of the actor's organisation behind one of its directory entries of type
    shelter (one shelter per entry). The entry becomes a confidential location."""
    org_id = _require(actor, Perm.SHELTER_MANAGE)
    if service.organisation_id != org_id:
        raise PermissionDenied
    if service.service_type.code != "shelter":
        raise ValidationError({"service": _("Choose a directory entry of type shelter.")})
    # scoping: whether the organisation's own directory entry already has a shelter
    if Shelter.objects.filter(service=service).exists():
        raise ValidationError({"service": _("This directory entry already has its shelter.")})
    with transaction.atomic():
        shelter = Shelter(
            organisation_id=org_id,
            service=service,
            name=name.strip(),
            street_address=street_address.strip(),
            coordinates=parse_coordinates(coordinates),
            show_free_beds=show_free_beds,
            created_by=actor,
        )
        shelter.full_clean(exclude=["service"])
        _keep_directory_entry_coarse(service, shelter)
        shelter.save()
        _set_capacities(shelter, capacities)
        audit.record(actor=actor, action="shelter.create", obj=shelter)
    return shelter


def shelter_update(
    *,
    actor: Any,
    shelter: Shelter,
    name: str,
    street_address: str,
    coordinates: str,
    show_free_beds: bool,
    capacities: dict[str, int],
) -> Shelter:
    """Change a shelter's details and beds. Lowering a capacity below the beds occupied now is
    allowed (beds close for repairs); the occupancy then shows them over capacity."""
    _require(actor, Perm.SHELTER_MANAGE, shelter)
    with transaction.atomic():
        shelter.name = name.strip()
        shelter.street_address = street_address.strip()
        shelter.coordinates = parse_coordinates(coordinates)
        shelter.show_free_beds = show_free_beds
        shelter.full_clean(exclude=["service"])
        _keep_directory_entry_coarse(shelter.service, shelter)
        shelter.save()
        _set_capacities(shelter, capacities)
        audit.record(actor=actor, action="shelter.update", obj=shelter)
    return shelter


# --- occupancy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BedCount:
    bed_type: str
    label: str
    capacity: int
    occupied: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.occupied, 0)

    @property
    def over(self) -> int:
        return max(self.occupied - self.capacity, 0)


def capacities_of(shelter: Shelter) -> dict[str, int]:
    # scoping: the beds of a shelter the caller got through visible_to
    return dict(BedCapacity.objects.filter(shelter=shelter).values_list("bed_type", "beds"))


def _admissions(shelter: Shelter) -> AdmissionQuerySet:
    # scoping: the admissions of a shelter the caller got through visible_to (counts, dates and bed types)
    return Admission.objects.filter(shelter=shelter)  # type: ignore[return-value]


def occupancy(shelter: Shelter, day: datetime.date | None = None) -> list[BedCount]:
    """Per bed type with beds or people: capacity, occupied and free on `day` (today)."""
    day = day or today()
    capacity = capacities_of(shelter)
    occupied: dict[str, int] = {}
    for bed_type in _admissions(shelter).present_on(day).values_list("bed_type", flat=True):
        occupied[bed_type] = occupied.get(bed_type, 0) + 1
    return [
        BedCount(value, str(label), capacity.get(value, 0), occupied.get(value, 0))
        for value, label in BedType.choices
        if capacity.get(value, 0) or occupied.get(value, 0)
    ]


@dataclass(frozen=True)
class HistoryDay:
    day: datetime.date
    occupied: dict[str, int]
    total: int


def occupancy_history(shelter: Shelter, *, days: int, until: datetime.date | None = None) -> list[HistoryDay]:
    """Beds occupied per day and bed type for the `days` days ending on `until` (today),
    computed from admissions and discharges: a person counts from the admission date up to
    the day before the discharge."""
    until = until or today()
    start = until - datetime.timedelta(days=days - 1)
    stays = list(
        _admissions(shelter)
        .filter(admitted_on__lte=until)
        .exclude(discharged_on__lte=start)
        .values_list("bed_type", "admitted_on", "discharged_on")
    )
    history = []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        counts: dict[str, int] = {}
        for bed_type, admitted_on, discharged_on in stays:
            if admitted_on <= day and (discharged_on is None or discharged_on > day):
                counts[bed_type] = counts.get(bed_type, 0) + 1
        history.append(HistoryDay(day, counts, sum(counts.values())))
    return history


def _peak(shelter: Shelter, bed_type: str, since: datetime.date) -> int:
    """The most beds of `bed_type` occupied on any day from `since` to today."""
    days = (today() - since).days + 1
    return max((h.occupied.get(bed_type, 0) for h in occupancy_history(shelter, days=days)), default=0)


# --- admissions and discharges ----------------------------------------------------------------


def _check_day(value: datetime.date, field: str) -> None:
    if value > today():
        raise ValidationError({field: _("The date cannot be in the future.")})
    if value < today() - datetime.timedelta(days=MAX_DAYS_BACK):
        raise ValidationError({field: _("The date can be at most a year ago.")})


def admission_create(
    *,
    actor: Any,
    shelter: Shelter,
    case: Case,
    bed_type: str,
    admitted_on: datetime.date,
    expected_days: int | None = None,
    over_capacity_reason: str = "",
    entry: WaitingEntry | None = None,
) -> Admission:
    """Admit the person of `case` to a bed of `bed_type`.

    Refuses: a shelter not of the actor's organisation; a case of another organisation; a
    case the actor cannot open (`Case.objects.visible_to`) unless it comes from this
    shelter's own waiting list (put there by someone who could, `entry`); a person already
    in a shelter; a date in the future or over a year ago; a bed type with no free bed on
    any day since the admission date, unless a reason for admitting over capacity is given
    (recorded and audited).
    """
    org_id = _require(actor, Perm.SHELTER_ADMIT, shelter)
    if case.organisation_id != org_id:
        raise PermissionDenied
    from_list = (
        entry is not None
        and entry.shelter_id == shelter.pk
        and entry.case_id == case.pk
        and entry.status == WaitingStatus.WAITING
    )
    if not from_list and not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied
    if bed_type not in BedType.values:
        raise ValidationError({"bed_type": _("Choose one of the bed types offered.")})
    _check_day(admitted_on, "admitted_on")
    if expected_days is not None and not 1 <= expected_days <= MAX_DAYS_BACK:
        raise ValidationError({"expected_days": _("Give the expected stay in days, from 1 to 366.")})
    reason = (over_capacity_reason or "").strip()
    with transaction.atomic():
        # scoping: a lock on the shelter checked above, so admissions to it are counted one at a time
        list(Shelter.objects.select_for_update().filter(pk=shelter.pk).values_list("pk", flat=True))
        # scoping: whether this case (already checked above) is in any bed of the organisation's shelters
        if Admission.objects.filter(case=case, discharged_on__isnull=True).exists():
            raise ValidationError(_("This person is already admitted to a shelter: discharge them first."))
        capacity = capacities_of(shelter).get(bed_type, 0)
        peak = _peak(shelter, bed_type, admitted_on)
        over = peak >= capacity
        if over and not reason:
            raise ValidationError(
                {
                    "over_capacity_reason": _(
                        "No free bed of type %(type)s: %(occupied)s of %(capacity)s beds are occupied. "
                        "Choose another bed type, or give the reason for admitting over capacity."
                    )
                    % {"type": BedType(bed_type).label, "occupied": peak, "capacity": capacity}
                }
            )
        admission = Admission(
            shelter=shelter,
            case=case,
            bed_type=bed_type,
            admitted_on=admitted_on,
            expected_days=expected_days,
            over_capacity_reason=reason if over else "",
            admitted_by=actor,
        )
        admission.save()
        if from_list:
            assert entry is not None
            entry.status, entry.closed_on, entry.admission = WaitingStatus.ADMITTED, today(), admission
            entry.save(update_fields=["status", "closed_on", "admission"])
        audit.record(
            actor=actor,
            action="shelter.admit_over_capacity" if over else "shelter.admit",
            obj=admission,
            organisation_id=org_id,
        )
        audit.record(actor=actor, action="case.shelter_admitted", obj=case)
    return admission


def admission_discharge(
    *, actor: Any, admission: Admission, discharged_on: datetime.date, destination: str, reason: str
) -> Admission:
    """Record the end of a stay: date (not before the admission), destination and reason. The
    bed is free from that day."""
    org_id = _require(actor, Perm.SHELTER_ADMIT, admission.shelter)
    if admission.discharged_on is not None:
        raise ValidationError(_("This stay has already ended."))
    if destination not in Destination.values:
        raise ValidationError({"destination": _("Choose one of the destinations offered.")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the stay ended.")})
    _check_day(discharged_on, "discharged_on")
    if discharged_on < admission.admitted_on:
        raise ValidationError({"discharged_on": _("The discharge date cannot be before the admission date.")})
    with transaction.atomic():
        admission.discharged_on = discharged_on
        admission.destination = destination
        admission.discharge_reason = reason.strip()
        admission.discharged_by = actor
        admission.save()
        audit.record(actor=actor, action="shelter.discharge", obj=admission, organisation_id=org_id)
    return admission


def admission_viewed(*, actor: Any, admission: Admission) -> None:
    """Record that `actor` read an admission."""
    audit.record(
        actor=actor, action="shelter.admission_view", obj=admission, organisation_id=admission.shelter.organisation_id
    )


# --- the waiting list --------------------------------------------------------------------------


def waiting_add(*, actor: Any, shelter: Shelter, case_reference: str, bed_type: str, priority: int) -> WaitingEntry:
    """Put the person of a case the actor can open on a shelter's waiting list. A case that
    does not exist and one the actor cannot open get the same message."""
    org_id = _require(actor, Perm.SHELTER_WAITLIST, shelter)
    case = Case.objects.visible_to(actor).filter(reference=(case_reference or "").strip().upper()).first()
    if case is None or case.organisation_id != org_id:
        raise ValidationError({"case_reference": _("No case with this reference among the cases you can open.")})
    if bed_type not in BedType.values:
        raise ValidationError({"bed_type": _("Choose one of the bed types offered.")})
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Choose one of the priorities offered.")})
    with transaction.atomic():
        # scoping: the waiting list of a shelter the caller got through visible_to
        if WaitingEntry.objects.filter(shelter=shelter, case=case, status=WaitingStatus.WAITING).exists():
            raise ValidationError({"case_reference": _("This person is already on this shelter's waiting list.")})
        entry = WaitingEntry.objects.create(
            shelter=shelter, case=case, bed_type=bed_type, priority=priority, added_on=today(), added_by=actor
        )
        audit.record(actor=actor, action="shelter.waiting_add", obj=entry, organisation_id=org_id)
    return entry


def waiting_withdraw(*, actor: Any, entry: WaitingEntry) -> WaitingEntry:
    """Take a person off the waiting list (they found a place elsewhere, or no longer need one)."""
    org_id = _require(actor, Perm.SHELTER_ADMIT, entry.shelter)
    if entry.status != WaitingStatus.WAITING:
        raise ValidationError(_("This person is no longer on the waiting list."))
    with transaction.atomic():
        entry.status, entry.closed_on = WaitingStatus.WITHDRAWN, today()
        entry.save(update_fields=["status", "closed_on"])
        audit.record(actor=actor, action="shelter.waiting_withdraw", obj=entry, organisation_id=org_id)
    return entry


# --- what people see -------------------------------------------------------------------------


def with_case_reference(rows: QuerySet[Any]) -> QuerySet[Any]:
    """Admissions or waiting entries with their case's reference, read without loading (and
    decrypting) the case: the reference is shown to everyone who may see the row."""
    return rows.annotate(case_reference=F("case__reference"))


def names_for(viewer: Any, case_ids: list[int]) -> dict[int, str]:
    """The person's name of each case the viewer can open (`Case.objects.visible_to`); cases
    they cannot open are left out, and pages show their reference only."""
    if not case_ids:
        return {}
    return {case.pk: case.person_name for case in Case.objects.visible_to(viewer).filter(pk__in=case_ids)}


def free_beds_shown(service: Service) -> list[BedCount] | None:
    """For a directory entry: the free beds per bed type of its shelter, if the shelter chose
    to show them to other organisations (counts only); otherwise None."""
    # scoping: only the counts of a shelter that chose to share them leave its organisation
    shelter = Shelter.objects.sharing_free_beds().filter(service=service).first()
    if shelter is None:
        return None
    return [count for count in occupancy(shelter) if count.capacity]


def waiting_counts(viewer: Any, shelter: Shelter) -> dict[str, int]:
    """How many people wait for each bed type on a shelter's list (counts, no one named)."""
    counts: dict[str, int] = {}
    for bed_type in (
        WaitingEntry.objects.visible_to(viewer)
        .filter(shelter=shelter, status=WaitingStatus.WAITING)
        .values_list("bed_type", flat=True)
    ):
        counts[bed_type] = counts.get(bed_type, 0) + 1
    return counts


def free_beds_of_others(viewer: Any) -> list[tuple[Service, list[BedCount]]]:
    """Other organisations' shelters that chose to show their free beds (decision 0024): the
    directory entry and the free beds per bed type with beds, counts only."""
    if viewer.organisation_id is None:
        return []
    shelters = (
        # scoping: only the counts of shelters that chose to share them leave their organisation
        Shelter.objects.sharing_free_beds()
        .exclude(organisation_id=viewer.organisation_id)
        .select_related("service", "service__organisation")
        .order_by("service__name", "id")
    )
    return [(shelter.service, [c for c in occupancy(shelter) if c.capacity]) for shelter in shelters]
