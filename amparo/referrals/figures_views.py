"""The referral figures page and its CSV (issue 9, part 6; decision 0031).

Metadata only, computed by amparo/referrals/figures.py; the page draws each main series as a
server-side SVG bar chart beside a table of the same numbers, and the CSV carries them all.
"""

from __future__ import annotations

import csv
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from amparo.accounts.models import SharingAgreement
from amparo.core.charts import bar_svg
from amparo.core.dbrouter import from_replica
from amparo.core.permissions import Perm, can
from amparo.core.scoping import get_visible_or_404
from amparo.referrals import figures as kpi

SERIES = ("status", "decline_reasons", "outcomes", "by_type", "by_partner", "by_agreement")


class BadParameter(ValueError):
    pass


def _parameters(request: HttpRequest) -> tuple[int, SharingAgreement | None]:
    raw_period = request.GET.get("period", "")
    if raw_period == "":
        days = kpi.DEFAULT_PERIOD
    elif raw_period in {str(p) for p in kpi.PERIODS}:  # ASCII digits only: int() would take "٣٠"
        days = int(raw_period)
    else:
        raise BadParameter(_("Choose a period of 30, 90 or 365 days."))
    raw_agreement = request.GET.get("agreement", "")
    agreement = None
    if raw_agreement:
        if not (raw_agreement.isascii() and raw_agreement.isdigit()) or len(raw_agreement) > 18:
            raise BadParameter(_("That is not an agreement of your organisation."))
        agreement = get_visible_or_404(SharingAgreement, request.user, pk=int(raw_agreement))
    return days, agreement


def _bad(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "referrals/figures_bad.html", {"message": message}, status=400)


def _titles(name: str) -> dict[str, str]:
    if name == "sent":
        return {
            "status": _("Referrals we sent, by status"),
            "decline_reasons": _("Referrals we sent that were declined, by reason"),
            "outcomes": _("Referrals we sent that were done, by outcome"),
            "by_type": _("Referrals we sent, by type of service"),
        }
    return {
        "status": _("Referrals we received, by status"),
        "decline_reasons": _("Referrals we received and declined, by reason"),
        "outcomes": _("Referrals we received and did, by outcome"),
        "by_type": _("Referrals we received, by type of service"),
    }


def _charts(directions: dict[str, kpi.Direction]) -> dict[str, dict[str, Any]]:
    charts: dict[str, dict[str, Any]] = {}
    for name, d in directions.items():
        titles = _titles(name)
        charts[name] = {
            "status": bar_svg([(label, n) for _c, label, n in d.by_status], titles["status"], f"chart-{name}-status"),
            "decline_reasons": bar_svg(
                [(label, n) for _c, label, n in d.decline_reasons], titles["decline_reasons"], f"chart-{name}-declines"
            ),
            "outcomes": bar_svg(
                [(label, n) for _c, label, n in d.outcomes], titles["outcomes"], f"chart-{name}-outcomes"
            ),
            "by_type": bar_svg([(b.label, b.total) for b in d.by_type], titles["by_type"], f"chart-{name}-types"),
        }
    return charts


def figures_page(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.REFERRAL_VIEW):
        raise PermissionDenied
    try:
        days, agreement = _parameters(request)
    except BadParameter as exc:
        return _bad(request, str(exc))
    directions = _figures(request, days, agreement)
    charts = _charts(directions)
    return render(
        request,
        "referrals/figures.html",
        {
            "days": days,
            "periods": kpi.PERIODS,
            "agreement": agreement,
            "sections": [{"name": n, "d": d, "charts": charts[n]} for n, d in directions.items()],
            "may_see_network": can(request.user, Perm.NETWORK_FIGURES),
        },
    )


def _figures(request: HttpRequest, days: int, agreement: SharingAgreement | None) -> dict[str, kpi.Direction]:
    """The figures, read from the replica when one is configured (decision 0037): metadata
    counts that may lag the primary by seconds. The permission and the agreement above were
    checked on the primary."""
    agreement_id = agreement.pk if agreement else None
    return from_replica(lambda: kpi.figures(request.user, days=days, agreement_id=agreement_id))


def _fmt(value: float | None) -> str:
    return "" if value is None else str(value)


def _rows(d: kpi.Direction) -> list[list[str]]:
    rows: list[list[str]] = [
        [d.name, "summary", "total", "", str(d.total)],
        [d.name, "summary", "accepted", "", str(d.accepted)],
        [d.name, "summary", "declined", "", str(d.declined)],
        [d.name, "summary", "done", "", str(d.done)],
        [d.name, "summary", "acceptance_rate_percent", "", _fmt(d.acceptance_rate)],
        [d.name, "summary", "completion_rate_percent", "", _fmt(d.completion_rate)],
        [d.name, "summary", "median_hours_to_acceptance", "", _fmt(d.median_hours)],
        [d.name, "summary", "p90_hours_to_acceptance", "", _fmt(d.p90_hours)],
    ]
    rows += [[d.name, "status", code, label, str(n)] for code, label, n in d.by_status]
    rows += [[d.name, "decline_reasons", code, label, str(n)] for code, label, n in d.decline_reasons]
    rows += [[d.name, "outcomes", code, label, str(n)] for code, label, n in d.outcomes]
    for series in ("by_type", "by_partner", "by_agreement"):
        for b in getattr(d, series):
            for metric in ("total", "accepted", "declined", "done", "acceptance_rate", "completion_rate"):
                rows.append([d.name, f"{series}:{metric}", b.key, b.label, _fmt(getattr(b, metric))])
    return rows


def figures_csv(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.REFERRAL_VIEW):
        raise PermissionDenied
    try:
        days, agreement = _parameters(request)
    except BadParameter as exc:
        return _bad(request, str(exc))
    series = request.GET.get("series", "")
    if series and series not in SERIES:
        return _bad(request, _("There is no such table of figures."))
    directions = _figures(request, days, agreement)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    suffix = f"-agreement-{agreement.pk}" if agreement else ""
    response["Content-Disposition"] = f'attachment; filename="referral-figures-{days}d{suffix}.csv"'
    writer = csv.writer(response)
    writer.writerow(["direction", "series", "code", "label", "value"])
    for d in directions.values():
        for row in _rows(d):
            if series and not row[1].split(":")[0] == series:
                continue
            writer.writerow([safe_cell(cell) for cell in row])
    return response


def safe_cell(cell: str) -> str:
    """A cell a spreadsheet will not read as a formula: text starting with = + - @ (or a tab or
    carriage return, which some spreadsheets skip before one) gets a leading apostrophe;
    numbers stay numbers. Every CSV export of referrals writes its cells through this."""
    if cell and cell[0] in "=+-@\t\r" and not _number(cell):
        return "'" + cell
    return cell


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
