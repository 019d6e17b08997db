"""The survivor's rights: the export of everything the case holds about the person, and
erasure at their request."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import User
from amparo.cases.models import Case, CaseErasure, CaseStatus
from amparo.cases.services.common import _require
from amparo.cases.services.decisions import notify_decision
from amparo.cases.vocabularies import (
    ExploitationType,
    IsicSection,
    MeansOfControl,
    PerpetratorRole,
    SexualExploitationType,
    language_name,
)
from amparo.core import audit
from amparo.core.countries import country_name
from amparo.core.permissions import Perm, can

EXPORT_LANGUAGES = ("es", "en")
#: Child rows in the export, in the order a person reads them: (accessor, section title).
EXPORT_SECTIONS = [
    ("consents", gettext_lazy("Consent")),
    ("decisions", gettext_lazy("Decisions on trafficking status")),
    ("events", gettext_lazy("Route")),
    ("screenings", gettext_lazy("Screenings")),
    ("services", gettext_lazy("Support plan")),
    ("legal_assistance", gettext_lazy("Legal assistance")),
    ("proceedings", gettext_lazy("Proceedings")),
    ("notes", gettext_lazy("Notes")),
    ("closures", gettext_lazy("Closure requests")),
    ("reopenings", gettext_lazy("Reopenings")),
    ("consent_overrides", gettext_lazy("Uses authorised without consent")),
    ("emergency_accesses", gettext_lazy("Emergency access")),
    ("transfers", gettext_lazy("Transfers")),
]
#: Sections holding what one organisation did with the case (emergency openings by its staff,
#: with their explanations): after a transfer, only the current holder's rows are exported,
#: as the case page shows only theirs.
HOLDER_ONLY_SECTIONS = {"emergency_accesses"}
CODE_LISTS = {
    "means_of_control": MeansOfControl,
    "exploitation_types": ExploitationType,
    "forced_labour_industries": IsicSection,
    "sexual_exploitation_types": SexualExploitationType,
    "perpetrator_roles": PerpetratorRole,
}
#: Never exported: blind indexes and keys (useless to the person, useful to an attacker),
#: row ids and links to staff accounts (staff identities are not the person's data).
_EXPORT_SKIP = {"id", "case", "consent", "organisation", "effective"}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _export_row(obj: models.Model) -> list[dict[str, Any]]:
    """Each field of `obj` as {field, label, value}, choices with their label in the active language."""
    rows = []
    for field in obj._meta.concrete_fields:
        if field.name in _EXPORT_SKIP or field.name.endswith("_index") or field.is_relation:
            continue
        value = getattr(obj, field.attname)
        if field.choices and value:
            value = {"code": value, "label": str(dict(field.flatchoices).get(value, value))}
        elif field.name in CODE_LISTS:
            known = dict(CODE_LISTS[field.name].choices)
            value = [{"code": code, "label": str(known.get(code, code))} for code in value]
        elif field.name == "citizenship":
            value = [{"code": code, "label": country_name(code)} for code in value]
        elif field.name == "country" and value:
            value = {"code": value, "label": country_name(value)}
        elif field.name == "primary_language" and value:
            value = {"code": value, "label": language_name(value)}
        rows.append({"field": field.name, "label": str(field.verbose_name), "value": _plain(value)})
    return rows


def case_export_subject(*, actor: User, case: Case, language: str, fmt: str) -> dict[str, Any]:
    """Everything the case holds about the person, decrypted, labelled in `language` (es/en),
    for handing to the person. Refuses without case.view (emergency access is not enough)."""
    _require(actor, Perm.CASE_VIEW, case)
    if language not in EXPORT_LANGUAGES:
        raise ValidationError({"language": _("Choose Spanish or English.")})
    with translation.override(language):
        data: dict[str, Any] = {
            "reference": case.reference,
            "organisation": case.organisation.name,
            "language": language,
            "exported_at": timezone.now().replace(microsecond=0).isoformat(),
            "title": _("Your data held in case %(ref)s") % {"ref": case.reference},
            "case": _export_row(case),
            "sections": [],
        }
        for accessor, title in EXPORT_SECTIONS:
            rows = []
            children = getattr(case, accessor).all()
            if accessor in HOLDER_ONLY_SECTIONS:
                children = children.filter(organisation_id=case.organisation_id)
            for child in children:
                row = _export_row(child)
                if accessor == "consents":
                    row.append(
                        {
                            "field": "purposes",
                            "label": _("Purposes"),
                            # scoping: the purposes of a consent of the exported case
                            "value": [_export_row(grant) for grant in child.purposes.all()],
                        }
                    )
                rows.append(row)
            data["sections"].append({"name": accessor, "title": str(title), "rows": rows})
    with transaction.atomic():
        audit.record(actor=actor, action="case.export_subject", obj=case, reason=f"format:{fmt} lang:{language}")
    return data


def case_for_erasure(*, actor: User, reference: str) -> Case | None:
    """The case of the actor's organisation with `reference`, for an administrator who may
    erase cases (they cannot read case files, so visible_to would hide it); else None.
    Another organisation's case is reported exactly like a missing one."""
    if not can(actor, Perm.CASE_ERASE) or actor.organisation_id is None:
        return None
    # scoping: the actor's own organisation, for an administrator who may erase
    return Case.objects.filter(organisation_id=actor.organisation_id, reference=reference).first()


#: Case columns an erasure keeps: the reference, the organisation and when it was opened.
ERASURE_KEEPS = {"id", "reference", "organisation", "status", "created_at", "updated_at"}


def case_erase(*, actor: User, case: Case, reason: str, confirm_reference: str) -> CaseErasure:
    """Erase everything the case holds about the person, at their request.

    Blanks every column of the case except its reference, organisation and opening date;
    deletes every child row (name keys, consents, decisions, route, screenings, notes,
    attachments, services, legal records, closures, emergency accesses, duplicate alerts); closes it; and
    leaves a tombstone (when, who, a reason code) and the audit trail. Refuses without
    case.erase, for another organisation's case, when the typed reference does not match,
    and for a case already erased.

    Deleted and overwritten rows linger in the database file until it is compacted. On SQLite
    the service turns on `secure_delete` for the connection (deleted content is overwritten
    with zeros) and runs VACUUM after the commit (skipped inside an outer transaction), so
    neither free pages nor the file hold the old ciphertext. On PostgreSQL the old
    row versions stay as dead tuples until (auto)vacuum reclaims them, and in WAL archives
    and backups until those expire: run VACUUM on the cases tables after erasures and keep
    backup retention within the erasure promise made to the person.
    """
    _require(actor, Perm.CASE_ERASE, case)
    if confirm_reference.strip().upper() != case.reference:
        raise ValidationError(
            {"confirm_reference": _("Type the case reference exactly as shown to confirm.")}, code="confirm"
        )
    if connection.vendor == "sqlite":
        _sqlite_secure_delete()
    with transaction.atomic():
        # scoping: re-fetch under lock of a case the caller holds
        case = Case.objects.select_for_update().get(pk=case.pk)
        if CaseErasure.objects.filter(case=case).exists():  # scoping: of the case held under lock
            raise ValidationError(_("This case was erased already."), code="erased")
        erasure = CaseErasure(case=case, reason=reason, erased_by=actor)
        erasure.full_clean()
        # The case worker (or, if none is assigned, whoever opened it) hears of the decision;
        # read before the erasure blanks both.
        worker = case.assigned_to or case.created_by
        # The places confirmed in the case's summary and steps, and their history, go first:
        # their links are hidden from the loop below (related_name "+"), and they would keep
        # the erased person on route maps (decision 0041).
        from amparo.places.models import ConfirmedPlace, PlaceDecision

        # scoping: every place row of the case being erased
        ConfirmedPlace.objects.filter(Q(case=case) | Q(event__case=case)).delete()
        PlaceDecision.objects.filter(Q(case=case) | Q(event__case=case)).delete()  # scoping: idem
        # Every row that hangs off the case goes (a child model added later included); a
        # row that only points at it (a signal that became this case) loses the link.
        for relation in Case._meta.related_objects:
            model = relation.related_model
            if model is CaseErasure or isinstance(model, str):
                continue
            # scoping: every row of the case being erased, whatever its model
            rows = model._default_manager.filter(**{relation.field.name: case})
            if relation.on_delete is models.CASCADE:
                rows.delete()
            else:
                rows.update(**{relation.field.name: None})
        for field in Case._meta.concrete_fields:
            if field.name in ERASURE_KEEPS:
                continue
            setattr(case, field.attname, None if field.null else field.get_default())
        case.status = CaseStatus.CLOSED
        case.save()
        erasure.save()
        audit.record(actor=actor, action="case.erase", obj=case, reason=f"reason:{reason}")
        notify_decision(recipient=worker, reference=case.reference, decision="erased", decided_by=actor)
        if connection.vendor == "sqlite":
            transaction.on_commit(_vacuum_sqlite)
    return erasure


def _sqlite_secure_delete() -> None:
    """Make SQLite overwrite deleted and replaced content with zeros on this connection,
    whatever the build's default (Debian builds it on; the upstream default is off)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete = ON")


def _vacuum_sqlite() -> None:
    """Rebuild the SQLite file so freed pages no longer hold erased rows."""
    if connection.in_atomic_block:
        return  # VACUUM cannot run inside a transaction (an outer atomic block); the rows are gone, the pages stay until the next VACUUM
    with connection.cursor() as cursor:
        cursor.execute("VACUUM")
