"""Who holds a report: the recipients the reporter is shown (and chooses from) before
sending, the holders and their status on the follow-up page, and the co-recipients staff
see on a signal. Organisations appear by their public name only, never with any of their data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from nacl.public import SealedBox

from amparo.core import sealing
from amparo.reports.models import Signal
from amparo.reports.services.common import ROUTING_VERSION_KEY, ReportingUnavailable, routing_table
from amparo.reports.vocabularies import SignalStatus


@dataclass(frozen=True)
class Recipient:
    id: int
    name: str


def _names(organisation_ids: list[int]) -> dict[int, str]:
    from amparo.accounts.models import Organisation

    # scoping: organisations' public names only (what a reporter is shown), no data of theirs
    return dict(Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name"))


def report_recipients(*, country: str, region: str, exploitation_type: str) -> list[Recipient]:
    """The organisations a report with these routing answers would go to, by name.

    The same routing as report_submit (routing rules, else the default organisation); the
    reporter may choose among them. Raises ReportingUnavailable when nobody can receive it.
    """
    table = routing_table(cache.get(ROUTING_VERSION_KEY))
    targets = table.targets(country=country, region=region, exploitation_type=exploitation_type)
    if not targets:
        raise ReportingUnavailable
    names = _names(targets)
    return sorted((Recipient(org_id, names.get(org_id, "")) for org_id in targets), key=lambda r: r.name.casefold())


def recipient_names(signals: list[Signal]) -> list[str]:
    """Public names of the organisations a submission was just stored for."""
    names = _names([signal.organisation_id for signal in signals])
    return sorted(names.values(), key=str.casefold)


#: What the reporter is told of each organisation's work on the report. Coarser than the
#: triage status on purpose: whoever holds the receipt (possibly not the reporter) must not
#: learn that the police were told or that a case was opened for someone (decision 0011).
REPORTER_STATUS: dict[str, Any] = {
    SignalStatus.NEW: _("Received, not read yet"),
    SignalStatus.IN_REVIEW: _("Being followed up"),
    SignalStatus.REFERRED: _("Being followed up"),
    SignalStatus.LINKED: _("Being followed up"),
    SignalStatus.NEEDS_INFO: _("Waiting for your answer"),
    SignalStatus.CLOSED: _("Closed"),
    SignalStatus.SPAM: _("Closed"),
}


@dataclass(frozen=True)
class Holding:
    organisation: str
    status: str


def followup_holders(*, opened: Any) -> list[Holding]:
    """Each organisation holding the receipt's report, with its status in the reporter's words."""
    # scoping: the signals of a receipt the reporter has just proven (services.followup_open)
    rows = Signal.objects.filter(receipt=opened.receipt).values_list("organisation__name", "status")
    return sorted(
        (
            Holding(organisation=name, status=str(REPORTER_STATUS.get(status, REPORTER_STATUS[SignalStatus.NEW])))
            for name, status in rows
        ),
        key=lambda holding: holding.organisation.casefold(),
    )


def followup_report(*, opened: Any) -> dict[str, Any] | None:
    """The reporter's own copy of the report (sealed to the receipt's reporter key), or None
    when there is none (a hotline contact, a report sent before copies were kept)."""
    blob = opened.receipt.sealed_report
    if not blob:
        return None
    try:
        return json.loads(sealing.unpad(SealedBox(opened.keys.private_key).decrypt(bytes(blob))))
    except Exception:  # noqa: BLE001 (sealed to another key: not readable)
        return None


def signal_co_recipients(*, signal: Signal) -> list[str]:
    """Names of the other organisations that received the same submission (same receipt).

    Names only: staff of one organisation learn that another holds the report, and nothing
    of that organisation's copy, status or conversation."""
    if signal.receipt_id is None:
        return []
    # scoping: names of the other holders of one submission, no row of theirs is read
    others = Signal.objects.filter(receipt_id=signal.receipt_id).exclude(organisation_id=signal.organisation_id)
    return sorted(set(others.values_list("organisation__name", flat=True)), key=str.casefold)
