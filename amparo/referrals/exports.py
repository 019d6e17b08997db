"""CSV exports of the referral lists, "waiting for us" and "sent by us" (issue 9; decision 0034).

Metadata only, the columns of the lists and the API: the two organisations, the service and
its type, the field set's *name*, the bases, the status and its times, the reason and outcome
codes' labels. No shared field, note or update is ever in a file: a spreadsheet leaves the
organisation's control, cannot be revoked, and would put many people's data in one place;
the content of each referral is read on its page, one audited read at a time. Neither the
sender's case or signal reference is exported (the receiver never sees them, and a file of
references is a map of the sender's records). Every export is audited in the exporter's trail.
"""

from __future__ import annotations

import csv
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.sharing import FIELD_SETS
from amparo.core import audit
from amparo.core.permissions import Perm, can
from amparo.referrals.figures_views import safe_cell
from amparo.referrals.workflow_forms import ListFilterForm
from amparo.referrals.workflow_models import (
    Basis,
    DeclineReason,
    LegalBasis,
    Outcome,
    Referral,
    ReferralStatus,
    RevokeReason,
)
from amparo.referrals.workflow_views import box_referrals

#: Rows read from the database at a time while the file is written.
CHUNK = 2000


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def header() -> list[str]:
    return [
        _("Referral"),
        _("Direction"),
        _("Referring organisation"),
        _("Receiving organisation"),
        _("Service"),
        _("Type of service"),
        _("Referred from"),
        _("What was shared"),
        _("Shared on the basis of"),
        _("Legal basis"),
        _("Status"),
        _("Sent"),
        _("Answer due"),
        _("Answered"),
        _("Done"),
        _("Revoked"),
        _("Reason for declining"),
        _("Outcome"),
        _("Reason for revoking"),
    ]


def _labels() -> dict[str, dict[str, str]]:
    """Every code's label in the active language, looked up once per export."""
    return {
        "basis": {k: str(v) for k, v in Basis.choices},
        "legal": {k: str(v) for k, v in LegalBasis.choices},
        "decline": {k: str(v) for k, v in DeclineReason.choices},
        "outcome": {k: str(v) for k, v in Outcome.choices},
        "revoke": {k: str(v) for k, v in RevokeReason.choices},
        "status": {k: str(v) for k, v in ReferralStatus.choices},
        "set": {k: str(fs.label) for k, fs in FIELD_SETS.items()},
        "words": {"received": _("received"), "sent": _("sent"), "signal": _("a signal"), "case": _("a case")},
    }


def row(referral: Referral, org_id: int, labels: dict[str, dict[str, str]], type_labels: dict[str, str]) -> list[str]:
    words = labels["words"]
    return [
        str(referral.pk),
        words["received"] if referral.receiver_id == org_id else words["sent"],
        referral.sender.name,
        referral.receiver.name,
        referral.service.name,
        type_labels.get(referral.service_type_code, referral.service_type_code),
        words["signal"] if referral.from_signal else words["case"],
        labels["set"].get(referral.field_set, referral.field_set),
        labels["basis"].get(referral.basis, referral.basis),
        labels["legal"].get(referral.legal_basis, ""),
        labels["status"].get(referral.current_status(), ""),
        _when(referral.sent_at),
        _when(referral.due_at),
        _when(referral.decided_at),
        _when(referral.completed_at),
        _when(referral.revoked_at),
        labels["decline"].get(referral.decline_reason, ""),
        labels["outcome"].get(referral.outcome, ""),
        labels["revoke"].get(referral.revoke_reason, ""),
    ]


def _type_labels(org_id: int) -> dict[str, str]:
    from amparo.referrals.services import types_for

    return {t.code: str(t.label) for t in types_for(org_id)}


def export(request: HttpRequest, box: str) -> HttpResponse:
    """The whole list `box` (same filters as its page) as CSV; audited with the row count."""
    if not can(request.user, Perm.REFERRAL_VIEW):
        raise PermissionDenied
    org_id = request.user.organisation_id  # type: ignore[union-attr]
    form = ListFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        message = " ".join(str(e) for errs in form.errors.values() for e in errs)
        return render(request, "referrals/referral_export_bad.html", {"message": message, "box": box}, status=400)
    referrals = (
        box_referrals(request, box, form)
        .select_related("service", "sender", "receiver")
        # Never even fetched: the sealed blobs.
        .defer("sealed_content", "sealed_reply")
    )
    filters = (
        " ".join(f"{k}:{v}" for k, v in sorted(form.cleaned_data.items()) if v and k != "page") if form.is_bound else ""
    )
    type_labels = _type_labels(org_id)  # type: ignore[arg-type]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="referrals-{box}-{stamp}.csv"'
    response.write("\ufeff")  # a byte-order mark: spreadsheets then read the accents as UTF-8
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header()])
    labels = _labels()
    count = 0
    with transaction.atomic():
        for referral in referrals.iterator(chunk_size=CHUNK):
            writer.writerow([safe_cell(cell) for cell in row(referral, org_id, labels, type_labels)])  # type: ignore[arg-type]
            count += 1
        audit.record(actor=request.user, action="referral.export", reason=f"box:{box} rows:{count} {filters}".strip())
    return response


def waiting_csv(request: HttpRequest) -> HttpResponse:
    return export(request, "waiting")


def sent_csv(request: HttpRequest) -> HttpResponse:
    return export(request, "sent")
