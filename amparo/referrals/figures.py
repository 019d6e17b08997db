"""Referral figures for one organisation (issue 9, part 6; decision 0031).

Everything here is computed from a referral's metadata only: the two organisations, the
service type, the agreement, the status, its times and the codes of a decline or an outcome.
No sealed column is fetched, let alone opened. Every query starts from
`Referral.objects.visible_to(user)` (the two-party queryset), then keeps the referrals the
user's organisation sent or received.

Definitions (also in docs/decisions/0031):

* accepted: the receiver accepted it (`decided_at` set and not declined), whatever happened
  next (in progress, done, or revoked later);
* acceptance rate: accepted / (accepted + declined), of the referrals answered;
* completion rate: done / accepted;
* time to acceptance: `decided_at - sent_at` of the accepted, in hours; the median is the
  usual median, p90 the nearest-rank 90th percentile (the smallest value that at least 90 %
  of the values do not exceed).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import BooleanField, Case, CharField, Count, F, Q, Value, When
from django.utils import timezone

from amparo.accounts.models import Organisation, SharingAgreement
from amparo.referrals.services import types_for
from amparo.referrals.workflow_models import DeclineReason, Outcome, Referral, ReferralQuerySet, ReferralStatus

#: The periods a user may choose, in days.
PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
DIRECTIONS = ("sent", "received")

_ACCEPTED = Q(decided_at__isnull=False) & ~Q(status=ReferralStatus.DECLINED)


@dataclass
class Breakdown:
    """Counts of one group (a service type, a partner, an agreement)."""

    key: str
    label: str
    total: int
    accepted: int
    declined: int
    done: int

    @property
    def acceptance_rate(self) -> float | None:
        return rate(self.accepted, self.accepted + self.declined)

    @property
    def completion_rate(self) -> float | None:
        return rate(self.done, self.accepted)


@dataclass
class Direction:
    """The figures of the referrals sent, or received, in the period."""

    name: str
    total: int = 0
    by_status: list[tuple[str, str, int]] = field(default_factory=list)
    accepted: int = 0
    declined: int = 0
    done: int = 0
    median_hours: float | None = None
    p90_hours: float | None = None
    decline_reasons: list[tuple[str, str, int]] = field(default_factory=list)
    outcomes: list[tuple[str, str, int]] = field(default_factory=list)
    by_type: list[Breakdown] = field(default_factory=list)
    by_partner: list[Breakdown] = field(default_factory=list)
    by_agreement: list[Breakdown] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        return rate(self.accepted, self.accepted + self.declined)

    @property
    def completion_rate(self) -> float | None:
        return rate(self.done, self.accepted)

    @property
    def breakdowns(self) -> list[tuple[str, list[Breakdown]]]:
        return [("by_type", self.by_type), ("by_partner", self.by_partner), ("by_agreement", self.by_agreement)]


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def nearest_rank(values: list[float], percentile: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(percentile / 100 * len(ordered)) - 1, 0)]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def base(user: Any, *, days: int, now: datetime | None = None, agreement_id: int | None = None) -> ReferralQuerySet:
    since = (now or timezone.now()) - timedelta(days=days)
    referrals: ReferralQuerySet = Referral.objects.visible_to(user).filter(sent_at__gte=since)
    if agreement_id is not None:
        referrals = referrals.filter(agreement_id=agreement_id)
    return referrals


def _rollup(cells: list[dict[str, Any]], key: str, labels: dict[Any, str]) -> list[Breakdown]:
    groups: dict[Any, Breakdown] = {}
    for cell in cells:
        value = cell[key]
        b = groups.get(value)
        if b is None:
            text = "" if value is None else str(value)
            b = groups[value] = Breakdown(
                key=text, label=labels.get(value, text), total=0, accepted=0, declined=0, done=0
            )
        b.total += cell["n"]
        b.accepted += cell["n"] if cell["accepted"] else 0
        b.declined += cell["n"] if cell["current"] == ReferralStatus.DECLINED else 0
        b.done += cell["n"] if cell["current"] == ReferralStatus.DONE else 0
    return sorted(groups.values(), key=lambda b: (-b.total, b.label))


def _coded(cells: list[dict[str, Any]], status: str, key: str, labels: dict[str, str]) -> list[tuple[str, str, int]]:
    counts: dict[str, int] = {}
    for cell in cells:
        if cell["current"] == status and cell[key]:
            counts[cell[key]] = counts.get(cell[key], 0) + cell["n"]
    return [(code, label, counts[code]) for code, label in labels.items() if counts.get(code)]


def direction_figures(
    user: Any, name: str, *, days: int, now: datetime | None = None, agreement_id: int | None = None
) -> Direction:
    now = now or timezone.now()
    org_id = user.organisation_id
    referrals = base(user, days=days, now=now, agreement_id=agreement_id)
    referrals = referrals.sent_by(org_id) if name == "sent" else referrals.received_by(org_id)
    partner_key = "receiver_id" if name == "sent" else "sender_id"
    out = Direction(name=name)
    current = Case(
        When(status=ReferralStatus.SENT, due_at__lt=now, then=Value(ReferralStatus.EXPIRED.value)),
        default=F("status"),
        output_field=CharField(),
    )
    accepted = Case(When(_ACCEPTED, then=Value(True)), default=Value(False), output_field=BooleanField())
    # One grouped count over every dimension shown; each table is a roll-up of these cells.
    cells = list(
        referrals.order_by()
        .annotate(current=current, accepted=accepted)
        .values("current", "accepted", "service_type_code", partner_key, "agreement_id", "decline_reason", "outcome")
        .annotate(n=Count("id"))
    )
    status_counts: dict[str, int] = {}
    for cell in cells:
        status_counts[cell["current"]] = status_counts.get(cell["current"], 0) + cell["n"]
        out.total += cell["n"]
        out.accepted += cell["n"] if cell["accepted"] else 0
    out.by_status = [(s.value, str(s.label), status_counts.get(s.value, 0)) for s in ReferralStatus]
    out.declined = status_counts.get(ReferralStatus.DECLINED, 0)
    out.done = status_counts.get(ReferralStatus.DONE, 0)
    # Two timestamps per accepted referral: the percentiles are taken here, the same on every database.
    pairs = referrals.filter(_ACCEPTED).order_by().values_list("sent_at", "decided_at")
    hours = [_hours(decided - sent) for sent, decided in pairs if decided is not None]
    if hours:
        out.median_hours = round(statistics.median(hours), 1)
        out.p90_hours = round(nearest_rank(hours, 90) or 0.0, 1)
    out.decline_reasons = _coded(
        cells, ReferralStatus.DECLINED, "decline_reason", {c: str(label) for c, label in DeclineReason.choices}
    )
    out.outcomes = _coded(cells, ReferralStatus.DONE, "outcome", {c: str(label) for c, label in Outcome.choices})
    type_labels = {t.code: t.label for t in types_for(org_id)}
    out.by_type = _rollup(cells, "service_type_code", type_labels)
    partner_ids = {cell[partner_key] for cell in cells}
    # scoping: the names of the other party of referrals the user already sees (both parties know each other)
    names = dict(Organisation.objects.filter(pk__in=partner_ids).values_list("pk", "name"))
    out.by_partner = _rollup(cells, partner_key, names)
    agreement_ids = {cell["agreement_id"] for cell in cells if cell["agreement_id"] is not None}
    agreements = (
        SharingAgreement.objects.visible_to(user)
        .filter(pk__in=agreement_ids)
        .values_list("pk", "proposer_id", "receiver_id", "starts_on")
    )
    agreement_labels: dict[Any, str] = {}
    for pk, proposer_id, receiver_id, starts_on in agreements:
        other = receiver_id if proposer_id == org_id else proposer_id
        agreement_labels[pk] = f"{names.get(other, '')} ({starts_on.isoformat()})"
    out.by_agreement = [b for b in _rollup(cells, "agreement_id", agreement_labels) if b.key]
    return out


def figures(
    user: Any, *, days: int, now: datetime | None = None, agreement_id: int | None = None
) -> dict[str, Direction]:
    return {d: direction_figures(user, d, days=days, now=now, agreement_id=agreement_id) for d in DIRECTIONS}
