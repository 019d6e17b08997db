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
from amparo.referrals import workflow
from amparo.referrals.models import COARSE_DEGREES, Service
from amparo.referrals.workflow_models import Outcome, Referral, ReferralStatus
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
    referral: Referral | None = None,
) -> Admission:
    """Admit the person of `case` to a bed of `bed_type`.

    With `referral`: the accepted referral of another organisation to this shelter, from
    which the actor's organisation opened `case` (decision 0033). It stands in for the case's
    visibility (the shelter manager admits the case the referral names without opening it),
    is kept on the admission, and moves to "in progress".

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
    if referral is not None:
        check_referral_admission(actor, referral, shelter)
        if referral.receiver_case_id != case.pk:
            raise PermissionDenied
    if referral is None and not from_list and not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
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
            referral=referral,
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
        if referral is not None:
            audit.record(
                actor=actor,
                action="shelter.admit_from_referral",
                obj=admission,
                organisation_id=org_id,
                reason=f"referral:{referral.pk}",
            )
            if referral.current_status() == ReferralStatus.ACCEPTED:
                workflow.referral_start(actor=actor, referral=referral)
    return admission


# --- admissions from a referral (decision 0033) --------------------------------------------------

#: The outcome reported to the referring organisation for each discharge destination.
OUTCOME_FOR_DESTINATION: dict[str, str] = {
    Destination.FAMILY: Outcome.SERVICE_PROVIDED,
    Destination.INDEPENDENT: Outcome.SERVICE_PROVIDED,
    Destination.RETURN: Outcome.SERVICE_PROVIDED,
    Destination.SHELTER: Outcome.REFERRED_ON,
    Destination.HOSPITAL: Outcome.PARTLY_PROVIDED,
    Destination.OTHER: Outcome.PARTLY_PROVIDED,
    Destination.LEFT: Outcome.PERSON_LEFT,
}


def shelter_for_referral(actor: Any, referral: Referral) -> Shelter | None:
    """The actor's organisation's shelter behind the service the referral went to, if any."""
    if referral.receiver_id != actor.organisation_id or not can(actor, Perm.SHELTER_VIEW):
        return None
    return Shelter.objects.visible_to(actor).filter(service_id=referral.service_id).first()


def referral_admission_problem(actor: Any, referral: Referral, shelter: Shelter | None) -> str:
    """'' when the person of `referral` can be admitted to `shelter` now, else why not, in
    words: a referral to another organisation's shelter or service, one not accepted (sent,
    expired, declined, revoked, done), one whose shared content was cut (agreement ended,
    consent withdrawn), one from which no case was opened yet, or a stay already recorded."""
    if (
        shelter is None
        or referral.receiver_id != actor.organisation_id
        or shelter.organisation_id != actor.organisation_id
        or referral.service_id != shelter.service_id
    ):
        return _("This referral is not to one of your organisation's shelters.")
    status = referral.current_status()
    if status in (ReferralStatus.REVOKED, ReferralStatus.EXPIRED):
        return str(workflow.CUT_REASONS[status])
    if status == ReferralStatus.SENT:
        return _("Accept the referral before admitting the person.")
    if status not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
        return _("This referral is closed: the person cannot be admitted from it.")
    cut = workflow.receiver_access_cut(referral)
    if cut:
        return f"{workflow.CUT_REASONS[cut]} {_('The person cannot be admitted from this referral.')}"
    if referral.receiver_case_id is None:
        return _(
            "A case worker of your organisation opens a case from this referral first (recording the "
            "person's consent again); then the person can be admitted."
        )
    # scoping: whether the referral named (already resolved through visible_to) has a stay
    if Admission.objects.filter(referral_id=referral.pk).exists():
        return _("The person of this referral was already admitted.")
    return ""


def referrals_to_admit(actor: Any, shelter: Shelter) -> list[Referral]:
    """Accepted referrals (or in progress) to this shelter's directory entry that led to no
    stay yet, for the shelter's page: metadata only (sender, dates, status), like the
    referral inboxes (decision 0021), so not audited; the sealed blobs are not fetched."""
    if not can(actor, Perm.REFERRAL_VIEW) or shelter.organisation_id != actor.organisation_id:
        return []
    # scoping: the referral ids of this shelter's stays (the shelter came through visible_to)
    admitted = Admission.objects.filter(shelter=shelter, referral__isnull=False).values("referral_id")
    return list(
        Referral.objects.visible_to(actor)
        .received_by(actor.organisation_id)
        .filter(service_id=shelter.service_id, status__in=(ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS))
        .exclude(pk__in=admitted)
        .select_related("sender")
        .defer("sealed_content", "sealed_reply")
        .order_by("sent_at", "id")[:50]
    )


def check_referral_admission(actor: Any, referral: Referral, shelter: Shelter) -> None:
    if not can(actor, Perm.REFERRAL_DECIDE) or referral.receiver_id != actor.organisation_id:
        raise PermissionDenied
    problem = referral_admission_problem(actor, referral, shelter)
    if problem:
        raise ValidationError(problem, code="referral")


def admission_from_referral(
    *,
    actor: Any,
    referral: Referral,
    bed_type: str,
    admitted_on: datetime.date,
    expected_days: int | None = None,
    over_capacity_reason: str = "",
) -> Admission:
    """Admit the person of an accepted referral to the shelter it was sent to: the case the
    receiving organisation opened from it, read for its id and organisation only."""
    _require(actor, Perm.SHELTER_ADMIT)
    shelter = shelter_for_referral(actor, referral)
    check_referral_admission(actor, referral, shelter)  # type: ignore[arg-type]
    assert shelter is not None and referral.receiver_case_id is not None  # both checked just above
    # scoping: the case the actor's organisation opened from the referral: its id and organisation only
    case = Case.objects.only("id", "organisation_id").get(pk=referral.receiver_case_id)
    return admission_create(
        actor=actor,
        shelter=shelter,
        case=case,
        bed_type=bed_type,
        admitted_on=admitted_on,
        expected_days=expected_days,
        over_capacity_reason=over_capacity_reason,
        referral=referral,
    )


def admission_discharge(
    *,
    actor: Any,
    admission: Admission,
    discharged_on: datetime.date,
    destination: str,
    reason: str,
    note_for_sender: str = "",
) -> Admission:
    """Record the end of a stay: date (not before the admission), destination and reason. The
    bed is free from that day. A stay that came from a referral still open reports its outcome
    to the referring organisation in the same transaction: the outcome follows the destination
    (`OUTCOME_FOR_DESTINATION`), the optional note is sealed to the sender; the discharge
    reason never leaves the organisation (decision 0033)."""
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
        referral = referral_to_report(actor, admission)
        if referral is not None:
            workflow.referral_complete(
                actor=actor, referral=referral, outcome=OUTCOME_FOR_DESTINATION[destination], note=note_for_sender
            )
    return admission


def referral_to_report(actor: Any, admission: Admission) -> Referral | None:
    """The referral a stay came from, when its outcome is still to be reported by the actor:
    accepted or in progress (a revoked or already completed one is left as it is)."""
    if admission.referral_id is None or not can(actor, Perm.REFERRAL_DECIDE):
        return None
    referral = Referral.objects.visible_to(actor).filter(pk=admission.referral_id).first()
    if referral is None or referral.receiver_id != actor.organisation_id:
        return None
    if referral.current_status() not in (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS):
        return None
    return referral


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
