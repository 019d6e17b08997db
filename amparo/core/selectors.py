"""Reads for the audit log page: entries of the viewer's organisation, filtered by person,
record and period, and described with the names staff know (C-… and S-… references,
colleagues' names, translated actions) instead of codes and database ids."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.audit_labels import action_label
from amparo.core.models import AuditEntry

#: The object types whose rows carry a reference staff know, with the model that holds it.
REFERENCED = {"cases.Case": ("cases", "Case"), "reports.Signal": ("reports", "Signal")}
_ID_TOKEN = re.compile(r"\b(to_user|user|to_org|from_org|reason):\s?([\w-]+)|\buser (\d+)\b")


@dataclass
class AuditRow:
    entry: AuditEntry
    who: str
    action: str
    record: str
    why: str


def audit_entries(
    *,
    user: Any,
    person: Any = None,
    reference: str = "",
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    action: str = "",
) -> QuerySet[AuditEntry]:
    """Entries of the user's organisation (AuditEntry.visible_to: none without audit.view),
    newest first, narrowed by who acted or was acted on (`person`), the record's reference
    (C-… or S-…), a period of days (inclusive, in the site's time zone) and an action code
    prefix. A reference that names no record gives no entries."""
    entries = AuditEntry.objects.visible_to(user).select_related("actor")
    if person is not None:
        entries = entries.filter(Q(actor_id=person.pk) | Q(object_type="accounts.User", object_id=str(person.pk)))
    if reference:
        entries = entries.filter(_reference_filter(reference.strip().upper()))
    zone = timezone.get_current_timezone()
    if start:
        entries = entries.filter(at__gte=datetime.datetime.combine(start, datetime.time.min, zone))
    if end:
        entries = entries.filter(
            at__lt=datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, zone)
        )
    if action:
        entries = entries.filter(action__startswith=action)
    return entries


def _reference_filter(reference: str) -> Q:
    from django.apps import apps

    for label, (app, name) in REFERENCED.items():
        model = apps.get_model(app, name)
        # scoping: a reference turned into the id the viewer's own audit entries name; the
        # entries are scoped by visible_to above, so another organisation's record adds nothing
        ids = [str(pk) for pk in model.objects.filter(reference=reference).values_list("pk", flat=True)]
        if ids:
            return Q(object_type=label, object_id__in=ids)
    return Q(pk__in=[])


def describe(entries: list[AuditEntry], *, viewer: Any) -> list[AuditRow]:
    """Each entry with its action translated, its record named by reference or name, its
    actor by name (colleagues of the viewer's organisation; others by the label the chain
    keeps) and the ids in its reason replaced by names."""
    from amparo.accounts.models import Invitation, Organisation, User
    from amparo.cases.models import Case, CaseTransfer
    from amparo.cases.vocabularies import ClosureReason, ErasureReason
    from amparo.reports.models import Signal

    wanted: dict[str, set[str]] = {}
    user_ids: set[str] = set()
    org_ids: set[str] = set()
    for entry in entries:
        wanted.setdefault(entry.object_type, set()).add(entry.object_id)
        for match in _ID_TOKEN.finditer(entry.reason):
            kind, value = match.group(1), match.group(2) or match.group(3)
            if kind in (None, "user", "to_user"):
                user_ids.add(value)
            elif kind in ("to_org", "from_org"):
                org_ids.add(value)
    user_ids |= wanted.get("accounts.User", set())
    org_ids |= wanted.get("accounts.Organisation", set())

    def ints(values: set[str]) -> list[int]:
        return [int(value) for value in values if value.isdigit()]

    # scoping: names of the viewer's own colleagues named by entries they may read
    staff = User.objects.filter(organisation_id=viewer.organisation_id, pk__in=ints(user_ids))
    user_names = {str(pk): name for pk, name in staff.values_list("pk", "full_name")}
    # scoping: organisation names are public within Amparo (transfer destinations list them)
    organisations = Organisation.objects.filter(pk__in=ints(org_ids))
    org_names = {str(pk): name for pk, name in organisations.values_list("pk", "name")}
    # scoping: references only, of records named by entries the viewer may read
    cases = dict(Case.objects.filter(pk__in=ints(wanted.get("cases.Case", set()))).values_list("pk", "reference"))
    signal_ids = ints(wanted.get("reports.Signal", set()))
    # scoping: references only, of records named by entries the viewer may read
    signals = dict(Signal.objects.filter(pk__in=signal_ids).values_list("pk", "reference"))
    transfer_ids = ints(wanted.get("cases.CaseTransfer", set()))
    # scoping: the case reference of transfers named by entries the viewer may read
    transfers = dict(CaseTransfer.objects.filter(pk__in=transfer_ids).values_list("pk", "case__reference"))
    invitation_ids = ints(wanted.get("accounts.Invitation", set()))
    # scoping: invitation addresses of the viewer's own organisation
    invited = Invitation.objects.filter(organisation_id=viewer.organisation_id, pk__in=invitation_ids)
    invitations = dict(invited.values_list("pk", "email"))
    reasons = {**dict(ClosureReason.choices), **dict(ErasureReason.choices)}

    def record(entry: AuditEntry) -> str:
        if not entry.object_type:
            return ""
        key = int(entry.object_id) if entry.object_id.isdigit() else None
        found = {
            "cases.Case": cases.get(key),  # type: ignore[arg-type]
            "reports.Signal": signals.get(key),  # type: ignore[arg-type]
            "cases.CaseTransfer": transfers.get(key),  # type: ignore[arg-type]
            "accounts.Invitation": invitations.get(key),  # type: ignore[arg-type]
            "accounts.User": user_names.get(entry.object_id),
            "accounts.Organisation": org_names.get(entry.object_id),
        }.get(entry.object_type)
        if found:
            return str(found)
        return _model_label(entry.object_type)

    def why(reason: str) -> str:
        def name(match: re.Match[str]) -> str:
            kind, value = match.group(1), match.group(2) or match.group(3)
            if kind in (None, "user", "to_user"):
                return user_names.get(value, match.group(0))
            if kind in ("to_org", "from_org"):
                return org_names.get(value, match.group(0))
            return str(reasons.get(value, match.group(0)))

        return _ID_TOKEN.sub(name, reason)

    rows = []
    for entry in entries:
        colleague = entry.actor is not None and entry.actor.organisation_id == viewer.organisation_id
        who = entry.actor.full_name if colleague and entry.actor is not None else entry.actor_label
        if entry.actor_id is None and entry.actor_label == "system":
            who = str(_("Amparo (automatic task)"))
        rows.append(
            AuditRow(
                entry=entry, who=who, action=action_label(entry.action), record=record(entry), why=why(entry.reason)
            )
        )
    return rows


def _model_label(object_type: str) -> str:
    from django.apps import apps

    try:
        app, name = object_type.split(".", 1)
        return str(apps.get_model(app, name)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return object_type
