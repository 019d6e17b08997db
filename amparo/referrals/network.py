"""Network-level referral figures, in aggregate only (issue 9, part 6; decision 0035).

Counts across every organisation's referrals, for the roles that coordinate a national
referral mechanism (`network.figures`). Computed from a referral's metadata only, as the
organisation's own figures (decision 0031): service type, month sent, status and its times,
decline reason and whether the viewer's organisation is a party. No sealed column is
selected, no case is joined, no organisation other than the viewer's is named.

Small cells are suppressed (decision 0035):

* **Window.** The last 12 complete calendar months: a fixed window that moves once a month,
  never a rolling day count whose day-to-day difference would single out one referral.
* **Primary.** A count from 1 to THRESHOLD - 1 is shown as "fewer than THRESHOLD". So is a
  count whose part outside the viewer's own organisation (which the viewer already knows
  from its own referrals) is from 1 to THRESHOLD - 1: otherwise network minus own would
  give it away.
* **Whole rows.** A row's counts bound each other (accepted <= sent), so a row with a small
  count is hidden whole, median included.
* **Complementary.** Every table is a partition of totals shown elsewhere (the summary).
  If a table hides one row only, or hidden rows that together hold from 1 to THRESHOLD - 1
  referrals in any measure (or in its part outside the viewer's organisation), the
  smallest shown rows are hidden too: the total minus the shown rows then never gives one
  hidden row, nor a sum under the threshold.
* **Medians.** Time to acceptance is shown only when the accepted referrals it is taken
  from pass the same test, rounded to whole hours.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Case, CharField, Count, F, FloatField, Func, IntegerField, Q, Value, When
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.referrals.models import ServiceType
from amparo.referrals.workflow_models import DeclineReason, Referral, ReferralStatus

#: Cells from 1 to THRESHOLD - 1 are never shown.
THRESHOLD = 5
#: Complete calendar months counted, ending with the month before the current one.
MONTHS = 12
MEASURES = ("sent", "accepted", "declined", "done")
OTHER_TYPE = "other"
NO_REASON = "none"

_ACCEPTED = Q(decided_at__isnull=False) & ~Q(status=ReferralStatus.DECLINED)


@dataclass
class Cell:
    """One count: the network's, the part outside the viewer's organisation, shown or not."""

    network: int = 0
    others: int = 0
    hidden: bool = False

    @property
    def value(self) -> int | None:
        return None if self.hidden else self.network


@dataclass
class Row:
    key: str
    label: str
    cells: dict[str, Cell] = field(default_factory=lambda: {m: Cell() for m in MEASURES})
    median_hours: int | None = None
    hidden: bool = False


@dataclass
class Own:
    """The viewer's own organisation's referrals: no suppression, they are its own."""

    key: str
    label: str
    sent: int = 0
    received: int = 0


@dataclass
class Network:
    start: datetime.date
    end: datetime.date  # exclusive
    threshold: int
    summary: Row
    by_type: list[Row]
    by_month: list[Row]
    decline_reasons: list[Row]
    own_by_type: list[Own]
    own_sent: int
    own_received: int

    @property
    def below(self) -> int:
        return self.threshold - 1

    def tables(self) -> list[tuple[str, list[Row]]]:
        return [("summary", [self.summary]), ("by_type", self.by_type), ("by_month", self.by_month)] + [
            ("decline_reasons", self.decline_reasons)
        ]


def primary(cell: Cell, k: int = THRESHOLD) -> bool:
    return 0 < cell.network < k or 0 < cell.others < k


def suppress(rows: list[Row], measures: tuple[str, ...] = MEASURES, k: int = THRESHOLD) -> None:
    """Hide the rows of one table that hold a small count, and enough other rows that the
    table's totals (shown in the summary) do not give them back.

    A whole row is hidden, not one cell: a row's counts bound each other (accepted <= sent),
    so a row showing "accepted 20" beside a hidden "sent" would tell that the hidden cell
    elsewhere is small. Then, while one row only is hidden, or the hidden rows together hold
    from 1 to k - 1 referrals in any measure (or in its part outside the viewer's
    organisation), the smallest shown row is hidden too.
    """
    for row in rows:
        row.hidden = row.hidden or any(primary(row.cells[m], k) for m in measures)

    def weak() -> bool:
        hidden = [r for r in rows if r.hidden]
        if not hidden:
            return False
        if len(hidden) == 1:
            return True
        for m in measures:
            network = sum(r.cells[m].network for r in hidden)
            others = sum(r.cells[m].others for r in hidden)
            if 0 < network < k or 0 < others < k:
                return True
        return False

    while weak():
        shown = [r for r in rows if not r.hidden and any(r.cells[m].network for m in measures)]
        if not shown:
            break  # every non-zero row is hidden: what they hold together is the table's total
        min(shown, key=lambda r: (sum(r.cells[m].others or r.cells[m].network for m in measures), r.key)).hidden = True
    for row in rows:
        for m in measures:
            row.cells[m].hidden = row.hidden
        if row.hidden:
            row.median_hours = None


def window(now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """The start of the month MONTHS months before the current one, and the start of the current one."""
    local = timezone.localtime(now or timezone.now())
    end = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = end.year, end.month - MONTHS
    while month < 1:
        year, month = year - 1, month + 12
    return end.replace(year=year, month=month), end


def _month_keys(start: datetime.datetime, end: datetime.datetime) -> list[datetime.date]:
    months, day = [], start.date()
    while day < end.date():
        months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class HoursBetween(Func):
    """Hours from the first datetime to the second, by the database's own date arithmetic."""

    output_field = FloatField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(end), F(start))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 24.0)", arg_joiner=") - julianday(", **extra
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)", arg_joiner=" - ", **extra
        )


def type_labels() -> dict[str, str]:
    """The global service types only: an organisation's own types are counted as "other"
    (their codes could name the organisation)."""
    return {t.code: t.label for t in ServiceType.objects.filter(organisation__isnull=True).order_by("code")}


def _measure_flags(cell: dict[str, Any]) -> dict[str, bool]:
    return {
        "sent": True,
        "accepted": bool(cell["accepted"]),
        "declined": cell["current"] == ReferralStatus.DECLINED,
        "done": cell["current"] == ReferralStatus.DONE,
    }


def _add(row: Row, cell: dict[str, Any]) -> None:
    for measure, counted in _measure_flags(cell).items():
        if counted:
            row.cells[measure].network += cell["n"]
            row.cells[measure].others += 0 if cell["party"] else cell["n"]


def _median(values: list[tuple[bool, float]], k: int) -> int | None:
    probe = Cell(network=len(values), others=sum(1 for own, _h in values if not own))
    if probe.network < k or primary(probe, k):
        return None
    return round(statistics.median(h for _own, h in values))


def network_figures(user: Any, *, now: datetime.datetime | None = None, k: int = THRESHOLD) -> Network:
    now = now or timezone.now()
    start, end = window(now)
    org_id = user.organisation_id
    labels = type_labels()
    months = _month_keys(start, end)
    month_bounds = [*[_aware(m) for m in months], end]
    # The month as its index, by plain comparisons (no date function per row on SQLite).
    month = Case(
        *[
            When(sent_at__gte=month_bounds[i], sent_at__lt=month_bounds[i + 1], then=Value(i))
            for i in range(len(months))
        ],
        default=Value(-1),
        output_field=IntegerField(),
    )
    current = Case(
        When(status=ReferralStatus.SENT, due_at__lt=now, then=Value(ReferralStatus.EXPIRED.value)),
        default=F("status"),
        output_field=CharField(),
    )
    party = Case(
        When(sender_id=org_id, then=Value("sent")),
        When(receiver_id=org_id, then=Value("received")),
        default=Value(""),
        output_field=CharField(),
    )
    accepted = Case(When(_ACCEPTED, then=Value(True)), default=Value(False), output_field=BooleanField())
    # scoping: network figures read every organisation's referral metadata, aggregated and suppressed (0035)
    referrals = Referral.objects.network_metadata().filter(sent_at__gte=start, sent_at__lt=end)
    cells = list(
        referrals.annotate(current=current, party=party, accepted=accepted, month=month)
        .values("service_type_code", "current", "party", "accepted", "month", "decline_reason")
        .annotate(n=Count("id"))
    )
    for cell in cells:  # an organisation's own types count as "other"
        cell["code"] = cell["service_type_code"] if cell["service_type_code"] in labels else OTHER_TYPE
    summary = Row("total", _("All referrals"))
    by_type = {c: Row(c, label) for c, label in labels.items()}
    by_type.setdefault(OTHER_TYPE, Row(OTHER_TYPE, _("Other")))
    by_month = {i: Row(m.isoformat()[:7], m.isoformat()[:7]) for i, m in enumerate(months)}
    reasons = {c: Row(c, str(label)) for c, label in DeclineReason.choices}
    reasons[NO_REASON] = Row(NO_REASON, _("No reason recorded"))
    own = {c: Own(c, row.label) for c, row in by_type.items()}
    own_sent = own_received = 0
    for cell in cells:
        _add(summary, cell)
        _add(by_type[cell["code"]], cell)
        if cell["month"] in by_month:
            _add(by_month[cell["month"]], cell)
        if cell["current"] == ReferralStatus.DECLINED:
            reason = cell["decline_reason"] if cell["decline_reason"] in reasons else NO_REASON
            row = reasons[reason]
            row.cells["declined"].network += cell["n"]
            row.cells["declined"].others += 0 if cell["party"] else cell["n"]
        if cell["party"] == "sent":
            own[cell["code"]].sent += cell["n"]
            own_sent += cell["n"]
        elif cell["party"] == "received":
            own[cell["code"]].received += cell["n"]
            own_received += cell["n"]
    # Time to acceptance, in whole hours, computed by the database: a histogram per type and
    # party (a few hundred rows), not the two timestamps of every accepted referral.
    hours: dict[str, list[tuple[bool, float]]] = {}
    for type_code, is_party, h, n in (
        referrals.filter(_ACCEPTED, decided_at__isnull=False)
        .annotate(party=party, h=Round(HoursBetween("sent_at", "decided_at")))
        .values_list("service_type_code", "party", "h")
        .annotate(n=Count("id"))
    ):
        values = hours.setdefault(type_code if type_code in labels else OTHER_TYPE, [])
        values.extend([(bool(is_party), float(h))] * n)
    summary.median_hours = _median([v for values in hours.values() for v in values], k)
    for type_code, values in hours.items():
        by_type[type_code].median_hours = _median(values, k)
    # Suppression: the summary's cells one by one; each other table column by column.
    for c in summary.cells.values():
        c.hidden = primary(c, k)
    suppress(list(by_type.values()), MEASURES, k)
    suppress(list(by_month.values()), MEASURES, k)
    suppress(list(reasons.values()), ("declined",), k)
    # Largest first by the count shown: hidden rows sort as zero, so their order says nothing.
    type_rows = sorted(by_type.values(), key=lambda r: (-(r.cells["sent"].value or 0), r.label))
    return Network(
        start=start.date(),
        end=end.date(),
        threshold=k,
        summary=summary,
        by_type=type_rows,
        by_month=list(by_month.values()),
        decline_reasons=[r for r in reasons.values() if r.key != NO_REASON or r.cells["declined"].network],
        own_by_type=[o for o in own.values() if o.sent or o.received],
        own_sent=own_sent,
        own_received=own_received,
    )


#: How long one organisation's figures (in one language) are kept before they are counted again.
CACHE_SECONDS = 600


def cached_network_figures(user: Any) -> Network:
    """`network_figures`, kept for CACHE_SECONDS per organisation, language and window: a
    count over every organisation's referrals is the same for every viewer of one
    organisation, and coordinators do not need it fresher than ten minutes."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    _start, end = window()
    key = f"network-figures:{user.organisation_id}:{get_language()}:{end.date().isoformat()}:{THRESHOLD}"
    figures = cache.get(key)
    if figures is None:
        figures = network_figures(user)
        cache.set(key, figures, CACHE_SECONDS)
    return figures  # type: ignore[no-any-return]
