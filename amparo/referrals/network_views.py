"""The network-level referral figures page and its CSV (issue 9, part 6; decision 0035).

Aggregates only, computed and suppressed by amparo/referrals/network.py; a hidden cell reads
"fewer than 5" on the page and is empty, flagged `suppressed`, in the CSV. The charts draw
only the counts shown.
"""

from __future__ import annotations

import csv

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from amparo.core.charts import bar_svg
from amparo.core.permissions import Perm, can
from amparo.referrals import network as net


def _require(request: HttpRequest) -> None:
    if not can(request.user, Perm.NETWORK_FIGURES):
        raise PermissionDenied


def network_page(request: HttpRequest) -> HttpResponse:
    _require(request)
    figures = net.cached_network_figures(request.user)
    by_type = [(row.label, row.cells["sent"].value) for row in figures.by_type]
    by_month = [(row.label, row.cells["sent"].value) for row in figures.by_month]
    charts = {
        "by_type": bar_svg(
            [(label, n) for label, n in by_type if n is not None],
            _("Referrals sent across the network, by type of service"),
            "chart-network-types",
        ),
        "by_month": bar_svg(
            [(label, n) for label, n in by_month if n is not None],
            _("Referrals sent across the network, by month"),
            "chart-network-months",
        ),
    }
    return render(
        request,
        "referrals/network.html",
        {
            "f": figures,
            "charts": charts,
            "measures": net.MEASURES,
            "may_see_own": can(request.user, Perm.REFERRAL_VIEW),
        },
    )


def network_csv(request: HttpRequest) -> HttpResponse:
    _require(request)
    figures = net.cached_network_figures(request.user)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="network-referral-figures-{figures.start:%Y-%m}-to-{figures.end:%Y-%m}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(["table", "code", "label", "measure", "value", "suppressed"])
    for table, rows in figures.tables():
        for row in rows:
            for measure, cell in row.cells.items():
                if table == "decline_reasons" and measure != "declined":
                    continue
                hidden = cell.value is None
                writer.writerow(
                    [table, row.key, row.label, measure, "" if hidden else cell.value, "yes" if hidden else "no"]
                )
            if table in ("summary", "by_type"):
                median = "" if row.median_hours is None else row.median_hours
                writer.writerow(
                    [table, row.key, row.label, "median_hours_to_acceptance", median, "yes" if median == "" else "no"]
                )
    for own in figures.own_by_type:
        writer.writerow(["own_organisation", own.key, own.label, "sent", own.sent, "no"])
        writer.writerow(["own_organisation", own.key, own.label, "received", own.received, "no"])
    return response
