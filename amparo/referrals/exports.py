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
from amparo.referrals import workflow
from amparo.referrals.figures_views import safe_cell
from amparo.referrals.workflow_forms import ListFilterForm
from amparo.referrals.workflow_models import Basis, DeclineReason, LegalBasis, Outcome, Referral, RevokeReason
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


def row(referral: Referral, org_id: int, names: dict[int, str], type_labels: dict[str, str]) -> list[str]:
    field_set = FIELD_SETS.get(referral.field_set)
    labels = {
        "basis": dict(Basis.choices),
        "legal": dict(LegalBasis.choices),
        "decline": dict(DeclineReason.choices),
        "outcome": dict(Outcome.choices),
        "revoke": dict(RevokeReason.choices),
    }
    return [
        str(referral.pk),
        _("received") if referral.receiver_id == org_id else _("sent"),
        names.get(referral.sender_id, ""),
        names.get(referral.receiver_id, ""),
        referral.service.name,
        type_labels.get(referral.service_type_code, referral.service_type_code),
        _("a signal") if referral.from_signal else _("a case"),
        str(field_set.label) if field_set else referral.field_set,
        str(labels["basis"].get(referral.basis, referral.basis)),
        str(labels["legal"].get(referral.legal_basis, "")) if referral.legal_basis else "",
        referral.current_status_label(),
        _when(referral.sent_at),
        _when(referral.due_at),
        _when(referral.decided_at),
        _when(referral.completed_at),
        _when(referral.revoked_at),
        str(labels["decline"].get(referral.decline_reason, "")) if referral.decline_reason else "",
        str(labels["outcome"].get(referral.outcome, "")) if referral.outcome else "",
        str(labels["revoke"].get(referral.revoke_reason, "")) if referral.revoke_reason else "",
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
        .select_related("service")
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
    names: dict[int, str] = {}
    count = 0
    with transaction.atomic():
        for referral in referrals.iterator(chunk_size=CHUNK):
            missing = {referral.sender_id, referral.receiver_id} - set(names)
            if missing:
                names.update(workflow.organisation_names(missing))  # type: ignore[arg-type]
            writer.writerow([safe_cell(cell) for cell in row(referral, org_id, names, type_labels)])  # type: ignore[arg-type]
            count += 1
        audit.record(actor=request.user, action="referral.export", reason=f"box:{box} rows:{count} {filters}".strip())
    return response


def waiting_csv(request: HttpRequest) -> HttpResponse:
    return export(request, "waiting")


def sent_csv(request: HttpRequest) -> HttpResponse:
    return export(request, "sent")
