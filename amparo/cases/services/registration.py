"""Opening a case and finding one: the person's identity and contact details, the name keys
that make them searchable, search before creating, and duplicate alerts."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.cases.models import Case, Consent, DuplicateAlert, NameKey
from amparo.cases.phonetic import name_keys, search_keys
from amparo.cases.services.common import _require
from amparo.cases.vocabularies import age_band
from amparo.core import audit
from amparo.core.fields import index_for
from amparo.core.permissions import Perm

PERSON_FIELDS = [
    "given_name",
    "family_name",
    "other_names",
    "phone",
    "other_phone",
    "email",
    "address",
    "document_type",
    "document_number",
    "gender",
    "citizenship",
    "primary_language",
    "marital_status",
    "number_of_children",
    "summary",
]


# --- Person ---------------------------------------------------------------------------------


def _age_band_of(birth_date: datetime.date | None, estimated_age: int | None) -> str:
    if birth_date:
        today = timezone.localdate()
        years = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
        return age_band(years)
    if estimated_age is not None:
        return age_band(estimated_age)
    return ""


def _apply_person(case: Case, fields: dict[str, Any]) -> None:
    for name in PERSON_FIELDS:
        if name in fields:
            setattr(case, name, fields[name] if fields[name] is not None or name == "number_of_children" else "")
    if "birth_date" in fields or "estimated_age" in fields:
        birth_date = fields.get("birth_date")
        case.birth_date = birth_date.isoformat() if birth_date else ""
        band = _age_band_of(birth_date, fields.get("estimated_age"))
        if band or birth_date is not None:
            case.age_band = band  # an edit that leaves both empty keeps the band recorded earlier
    names = [fields.get("given_name") or "", fields.get("family_name") or ""]
    if any(names):
        case.person_name = " ".join(part for part in names if part)


def _reindex_names(case: Case) -> None:
    """Replace the case's phonetic name keys (blind-indexed) with those of its current names."""
    keys: set[str] = set()
    for name in (case.person_name, case.given_name, case.family_name, case.other_names):
        keys.update(name_keys(name or ""))
    case.name_keys.all().delete()  # scoping: replaces the keys of the case being saved
    NameKey.objects.bulk_create(
        [NameKey(case=case, key_index=index_for(NameKey, "key", key)) for key in sorted(search_keys(keys))]
    )


def case_create(
    *,
    actor: User,
    person_name: str = "",
    phone: str = "",
    summary: str = "",
    consent: Consent | None = None,
    duplicates_reviewed: bool = False,
    **person: Any,
) -> Case:
    """Open a case in the actor's organisation, attaching the consent recorded before it.

    Refuses actors without case.edit, and a consent that belongs to another organisation
    or is already attached to a case. Without a consent, no purpose is allowed.
    """
    organisation_id = _require(actor, Perm.CASE_EDIT)
    with transaction.atomic():
        if consent is not None:
            # scoping: re-fetch under lock of a consent the caller holds
            consent = Consent.objects.select_for_update().get(pk=consent.pk)
            if consent.organisation_id != organisation_id or consent.case_id is not None:
                raise PermissionDenied
        case = Case(organisation_id=organisation_id, person_name=person_name, phone=phone, summary=summary)
        # The person who opens the case is its case worker until someone reassigns it.
        case.created_by = case.assigned_to = actor
        _apply_person(case, person)
        if not case.person_name:
            raise ValidationError({"given_name": _("Enter the person's name.")})
        case.full_clean()
        case.save()
        _reindex_names(case)
        audit.record(actor=actor, action="case.create", obj=case)
        if not duplicates_reviewed:
            _raise_duplicate_alerts(actor, case)
        if consent is not None:
            consent.case = case
            consent.save(update_fields=["case"])
            audit.record(actor=actor, action="case.consent_attach", obj=case, reason=f"consent:{consent.pk}")
    return case


def case_update_person(*, actor: User, case: Case, **person: Any) -> Case:
    """Change the person's identity and contact details. Refuses without case.edit."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        _apply_person(case, person)
        case.full_clean()
        case.save()
        _reindex_names(case)
        _raise_duplicate_alerts(actor, case)
        audit.record(actor=actor, action="case.person_update", obj=case)
    return case


# --- Search ---------------------------------------------------------------------------------


def _by_name(cases: QuerySet[Case], name: str) -> QuerySet[Case]:
    """Cases with phonetically matching name words: the word for one-word queries, else at
    least two of the words (one indexed pair key matches), newest first."""
    keys = name_keys(name)
    if not keys:
        return cases.none()
    wanted = search_keys(keys) - set(keys) if len(keys) > 1 else set(keys)
    indexes = [index_for(NameKey, "key", key) for key in sorted(wanted)]
    # scoping: case ids only, kept only among `cases` (the caller's visible cases)
    matching = NameKey.objects.filter(key_index__in=indexes).values("case_id")
    return cases.filter(pk__in=matching).order_by("-created_at", "-id")


def case_search(
    *, actor: User, query: str = "", name: str = "", birth_date: datetime.date | None = None
) -> QuerySet[Case]:
    """Visible cases matching every criterion given: `query` is a reference, phone or document
    number (exact, through blind indexes), `name` is phonetic, `birth_date` exact."""
    cases: QuerySet[Case] = Case.objects.visible_to(actor)
    query, name = query.strip(), name.strip()
    used = [label for label, value in (("q", query), ("name", name), ("birth_date", birth_date)) if value]
    audit.record(actor=actor, action="case.list", reason=("search:" + ",".join(used)) if used else "")
    if query:
        cases = cases.filter(
            Q(reference=query.upper())
            | Q(phone_index=index_for(Case, "phone", query))
            | Q(other_phone_index=index_for(Case, "phone", query))
            | Q(document_index=index_for(Case, "document_number", query))
        )
    if birth_date:
        cases = cases.filter(birth_date_index=index_for(Case, "birth_date", birth_date.isoformat()))
    if name:
        cases = _by_name(cases, name)
    return cases


def likely_duplicates(
    *,
    actor: User,
    name: str = "",
    phones: Iterable[str] = (),
    document_number: str = "",
    birth_date: datetime.date | None = None,
) -> list[tuple[Case, list[str]]]:
    """Visible cases that may be the same person, each with what matched
    ("name", "phone", "document", "birth_date"), strongest first."""
    found = _matching(Case.objects.visible_to(actor), name, phones, document_number, birth_date)
    if found:
        audit.record(actor=actor, action="case.duplicate_check", reason=f"candidates:{len(found)}")
    return found


def _matching(
    cases: QuerySet[Case], name: str, phones: Iterable[str], document_number: str, birth_date: datetime.date | None
) -> list[tuple[Case, list[str]]]:
    found: dict[int, tuple[Case, list[str]]] = {}

    def add(rows: Iterable[Case], why: str) -> None:
        for case in rows:
            found.setdefault(case.pk, (case, []))[1].append(why)

    if name:
        add(_by_name(cases, name)[:20], "name")
    phone_indexes = [index_for(Case, "phone", p) for p in phones if p]
    if phone_indexes:
        add(cases.filter(Q(phone_index__in=phone_indexes) | Q(other_phone_index__in=phone_indexes))[:20], "phone")
    if document_number:
        add(cases.filter(document_index=index_for(Case, "document_number", document_number))[:20], "document")
    if birth_date:
        add(cases.filter(birth_date_index=index_for(Case, "birth_date", birth_date.isoformat()))[:20], "birth_date")
    return sorted(found.values(), key=lambda pair: -len(pair[1]))


def unseen_duplicates(
    *,
    actor: User,
    name: str = "",
    phones: Iterable[str] = (),
    document_number: str = "",
    birth_date: datetime.date | None = None,
) -> list[tuple[str, str]]:
    """Where the organisation reads cases by assignment (decision 0014): its cases the actor
    cannot open that may be the same person, as (reference, case worker's name) only, so the
    two workers can talk before a second case is opened. Nothing else about those cases."""
    organisation_id = _require(actor, Perm.CASE_EDIT)
    visible = Case.objects.visible_to(actor).values("pk")
    # scoping: reference and case worker's name only, of the actor's own organisation's cases
    others = Case.objects.filter(organisation_id=organisation_id).exclude(pk__in=visible)
    found = _matching(others.select_related("assigned_to"), name, phones, document_number, birth_date)
    if found:
        audit.record(actor=actor, action="case.duplicate_check_unseen", reason=f"candidates:{len(found)}")
    return [(case.reference, str(case.assigned_to or "")) for case, _reasons in found]


def _raise_duplicate_alerts(actor: User, case: Case) -> None:
    """Raise an alert for each visible case that may be the same person as `case`."""
    found = likely_duplicates(
        actor=actor,
        name=" ".join(filter(None, [case.person_name, case.other_names])),
        phones=[case.phone, case.other_phone],
        document_number=case.document_number,
        birth_date=case.birth_date_value,
    )
    for other, reasons in found:
        if other.pk == case.pk or other.organisation_id != case.organisation_id:
            continue
        # scoping: whether the two cases being compared already have an alert
        pair = DuplicateAlert.objects.filter(Q(case=case, other=other) | Q(case=other, other=case))
        if not pair.exists():
            DuplicateAlert.objects.create(case=case, other=other, reasons=reasons)
            audit.record(actor=actor, action="case.duplicate_alert", obj=case, reason=f"other:{other.pk}")


def duplicate_dismiss(*, actor: User, alert: DuplicateAlert) -> DuplicateAlert:
    """Record that the two cases are different people; the alert stops showing."""
    _require(actor, Perm.CASE_EDIT, alert.case)
    with transaction.atomic():
        alert.dismissed_by, alert.dismissed_at = actor, timezone.now()
        alert.save(update_fields=["dismissed_by", "dismissed_at"])
        audit.record(actor=actor, action="case.duplicate_dismiss", obj=alert.case, reason=f"other:{alert.other_id}")
    return alert
