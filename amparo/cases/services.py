"""Use cases for case files. Each checks permission first and writes the audit entry inside
its transaction. Audit reasons carry codes only, never what identifies a person."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import Organisation, User
from amparo.cases import texts
from amparo.cases.models import (
    BREAK_GLASS_HOURS,
    OPEN_SERVICE_STATUSES,
    BreakGlassAccess,
    Case,
    CaseAttachment,
    CaseClosure,
    CaseErasure,
    CaseReopening,
    CaseStatus,
    CaseTransfer,
    ClosureDecision,
    Consent,
    ConsentGrant,
    ConsentOverride,
    DuplicateAlert,
    LegalAssistance,
    LegalProceeding,
    NameKey,
    Note,
    Screening,
    SupportService,
    TraffickingEvent,
    TraffickingStatusDecision,
    TransferDecision,
)
from amparo.cases.phonetic import name_keys, search_keys
from amparo.cases.screening import assess
from amparo.cases.vocabularies import (
    ClosureReason,
    ExploitationType,
    IsicSection,
    LawfulBasis,
    MeansOfControl,
    PerpetratorRole,
    ServiceType,
    SexualExploitationType,
    age_band,
    language_name,
)
from amparo.core import audit
from amparo.core.countries import country_name
from amparo.core.fields import index_for
from amparo.core.permissions import ROLE_PERMISSIONS, Perm, can
from amparo.reports import cleaning

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
CONTEXT_FIELDS = [
    "relationship_to_trafficker",
    "age_when_trafficked",
    "recruitment_method",
    "means_of_control",
    "exploitation_types",
    "forced_labour_industries",
    "sexual_exploitation_types",
    "perpetrator_roles",
]
CONSENT_OVERRIDE_HOURS = 24


def _require(actor: User, perm: str, case: Case | None = None) -> int:
    """Refuse unless the actor holds `perm` and, for a case, works in its organisation.
    Returns the actor's organisation id."""
    if not can(actor, perm) or actor.organisation_id is None:
        raise PermissionDenied
    if case is not None and case.organisation_id != actor.organisation_id:
        raise PermissionDenied
    if case is not None and perm not in (Perm.CASE_VIEW, Perm.CASE_ERASE) and _is_erased(case):
        raise ValidationError(_("This case was erased at the person's request; nothing can be added to it."))
    return actor.organisation_id


def _is_erased(case: Case) -> bool:
    return CaseErasure.objects.filter(case_id=case.pk).exists()


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
    case.name_keys.all().delete()
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
            consent = Consent.objects.select_for_update().get(pk=consent.pk)
            if consent.organisation_id != organisation_id or consent.case_id is not None:
                raise PermissionDenied
        case = Case(organisation_id=organisation_id, person_name=person_name, phone=phone, summary=summary)
        case.created_by = actor
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


def case_update_context(*, actor: User, case: Case, **context: Any) -> Case:
    """Change the victim context (HTCDS). Refuses without case.edit."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        for name in CONTEXT_FIELDS:
            if name in context:
                value = context[name]
                setattr(case, name, value if value is not None or name == "age_when_trafficked" else "")
        case.full_clean()
        case.save()
        audit.record(actor=actor, action="case.context_update", obj=case)
    return case


def case_read(*, actor: User, case: Case, reason: str = "") -> Case:
    """Record that `actor` opened `case` (the case must come from visible_to)."""
    if not reason and not can(actor, Perm.CASE_VIEW):
        reason = "break_glass"
    audit.record(actor=actor, action="case.view", obj=case, reason=reason)
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
    visible = Case.objects.visible_to(actor)
    found: dict[int, tuple[Case, list[str]]] = {}

    def add(cases: Iterable[Case], why: str) -> None:
        for case in cases:
            found.setdefault(case.pk, (case, []))[1].append(why)

    if name:
        add(_by_name(visible, name)[:20], "name")
    phone_indexes = [index_for(Case, "phone", p) for p in phones if p]
    if phone_indexes:
        add(visible.filter(Q(phone_index__in=phone_indexes) | Q(other_phone_index__in=phone_indexes))[:20], "phone")
    if document_number:
        add(visible.filter(document_index=index_for(Case, "document_number", document_number))[:20], "document")
    if birth_date:
        add(visible.filter(birth_date_index=index_for(Case, "birth_date", birth_date.isoformat()))[:20], "birth_date")
    if found:
        audit.record(actor=actor, action="case.duplicate_check", reason=f"candidates:{len(found)}")
    return sorted(found.values(), key=lambda pair: -len(pair[1]))


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


# --- Consent --------------------------------------------------------------------------------


def consent_record(
    *,
    actor: User,
    given_by: str,
    child_assent: bool,
    text_language: str,
    purposes: dict[str, tuple[str, bool]],
    text_version: str | None = None,
) -> Consent:
    """Record the consent conversation before the case exists: for each purpose, the lawful
    basis and whether the person agreed. Refuses without case.edit."""
    organisation_id = _require(actor, Perm.CASE_EDIT)
    text_version = text_version or texts.consent_text()["version"]
    if text_language not in texts.consent_text()["languages"]:
        raise ValidationError({"text_language": _("The consent text does not exist in this language.")})
    with transaction.atomic():
        consent = Consent(
            organisation_id=organisation_id,
            given_by=given_by,
            child_assent=child_assent,
            text_version=text_version,
            text_language=text_language,
            recorded_by=actor,
        )
        consent.full_clean()
        consent.save()
        for purpose, (basis, agreed) in purposes.items():
            row = ConsentGrant(consent=consent, purpose=purpose, lawful_basis=basis, agreed=agreed)
            row.full_clean()
            row.save()
        audit.record(actor=actor, action="case.consent_record", obj=consent, reason=f"text:{text_version}")
    return consent


def _latest_purpose(case: Case, purpose: str) -> ConsentGrant | None:
    return (
        ConsentGrant.objects.filter(consent__case=case, purpose=purpose)
        .order_by("-consent__recorded_at", "-consent_id")
        .first()
    )


def consent_allows(case: Case, purpose: str) -> bool:
    """True when `case`'s data may be used for `purpose` now.

    The latest consent conversation decides: the purpose was agreed (or rests on a lawful
    basis other than consent) and has not been withdrawn; or an authorised override for the
    purpose has not expired. Every use of a purpose calls this (or, for many cases at once,
    `Case.objects.consenting_to(purpose)`, which applies the same rule). Ends in deny.
    """
    latest = _latest_purpose(case, purpose)
    if latest is not None and latest.effective and latest.withdrawn_at is None:
        return True
    return case.consent_overrides.filter(purpose=purpose, expires_at__gt=timezone.now()).exists()


def consent_withdraw(*, actor: User, case: Case, purpose: str, note: str = "") -> ConsentGrant:
    """Record that the person withdrew consent for `purpose`; from now on it is refused."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        latest = _latest_purpose(case, purpose)
        if latest is None or latest.withdrawn_at is not None or not latest.effective:
            raise ValidationError(_("There is no consent for this purpose to withdraw."), code="nothing_to_withdraw")
        latest.withdrawn_at = timezone.now()
        latest.withdrawn_by = actor
        latest.withdrawal_note = note
        latest.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
        audit.record(actor=actor, action="case.consent_withdraw", obj=case, reason=f"purpose:{purpose}")
    return latest


def consent_override(*, actor: User, case: Case, purpose: str, lawful_basis: str, reason: str) -> ConsentOverride:
    """Authorise the use of `purpose` without consent for a day, on a lawful basis other than
    consent, with a reason (stored encrypted). Refuses without case.consent_override."""
    _require(actor, Perm.CASE_CONSENT_OVERRIDE, case)
    if lawful_basis == LawfulBasis.CONSENT or not reason.strip():
        raise ValidationError(_("An override needs a lawful basis other than consent and a reason."))
    with transaction.atomic():
        override = ConsentOverride.objects.create(
            case=case,
            purpose=purpose,
            lawful_basis=lawful_basis,
            reason=reason,
            authorised_by=actor,
            expires_at=timezone.now() + timedelta(hours=CONSENT_OVERRIDE_HOURS),
        )
        audit.record(
            actor=actor, action="case.consent_override", obj=case, reason=f"purpose:{purpose} basis:{lawful_basis}"
        )
    return override


# --- Victim context: decisions, events, screening -------------------------------------------


def decision_record(
    *, actor: User, case: Case, status: str, deciding_organisation_type: str, decided_on: datetime.date, note: str = ""
) -> TraffickingStatusDecision:
    """Record a human decision on trafficking status; the latest decision is the case's status."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        decision = TraffickingStatusDecision(
            case=case,
            status=status,
            deciding_organisation_type=deciding_organisation_type,
            decided_on=decided_on,
            decided_by=actor,
            note=note,
        )
        decision.full_clean()
        decision.save()
        case.trafficking_status = case.decisions.order_by("-decided_on", "-recorded_at", "-id")[0].status
        case.save(update_fields=["trafficking_status", "updated_at"])
        audit.record(actor=actor, action="case.decision_record", obj=case, reason=f"status:{status}")
    return decision


def event_add(*, actor: User, case: Case, **fields: Any) -> TraffickingEvent:
    """Add a step of the route (recruitment, transit, exploitation)."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        event = TraffickingEvent(case=case, recorded_by=actor, **fields)
        event.full_clean()
        event.save()
        audit.record(actor=actor, action="case.event_add", obj=case, reason=f"type:{event.event_type}")
    return event


def screening_record(
    *, actor: User, case: Case, present: Iterable[str], note: str = "", tool: str = texts.DEFAULT_TOOL
) -> Screening:
    """Record a screening with the current version of `tool`'s list: which indicators are present
    and, for lists with a combination rule, what the rule suggests. Refuses an unknown tool or
    indicator (nothing stored). The result is a suggestion; it changes no status."""
    _require(actor, Perm.CASE_EDIT, case)
    if tool not in texts.INDICATOR_LISTS:
        raise ValidationError({"tool": _("Choose one of the indicator lists offered.")})
    data = texts.indicator_list_for(tool)
    ids = [item["id"] for item in data["indicators"]]
    present = set(present)
    if present - set(ids):
        raise ValidationError(_("Choose only indicators from the list."))
    result = assess(data, present).as_json() if "rule" in data else {}
    with transaction.atomic():
        record = Screening.objects.create(
            case=case,
            tool=data["tool"],
            version=data["version"],
            answers={indicator: indicator in present for indicator in ids},
            present=len(present),
            total=len(ids),
            result=result,
            screened_by=actor,
            note=note,
        )
        suggests = f" possible:{int(result['possible_victim'])}" if result else ""
        audit.record(
            actor=actor,
            action="case.screen",
            obj=case,
            reason=f"{data['tool']}:{data['version']} {len(present)}{suggests}",
        )
    return record


def screening_read(*, actor: User, screening: Screening) -> Screening:
    """Record that `actor` opened a screening's answers (the screening must come from a visible case)."""
    with transaction.atomic():
        audit.record(actor=actor, action="case.screening_view", obj=screening.case, reason=f"screening:{screening.pk}")
    return screening


# --- Team work: notes, assignment, closure, reopening ---------------------------------------


def note_add(*, actor: User, case: Case, body: str) -> Note:
    _require(actor, Perm.CASE_NOTE, case)
    with transaction.atomic():
        note = Note.objects.create(case=case, author=actor, body=body)
        audit.record(actor=actor, action="case.note_add", obj=case)
    return note


def attachment_add(*, actor: User, case: Case, upload: Any, note: Note | None = None) -> CaseAttachment:
    """Keep a file with the case after stripping its metadata (amparo.reports.cleaning):
    images are re-encoded from their pixels; anything cleaning cannot vouch for is refused
    with its reason as a ValidationError on `upload`, and nothing is stored. Needs case.note
    (as notes do). The audit entry carries the type and size, never the file name."""
    _require(actor, Perm.CASE_NOTE, case)
    if note is not None and note.case_id != case.pk:
        raise PermissionDenied
    size = getattr(upload, "size", None)
    if size is not None and size > cleaning.MAX_BYTES:
        raise ValidationError({"upload": _("Each file may be at most 8 MB.")}, code="too_large")
    data = upload.read(cleaning.MAX_BYTES + 1)
    try:
        clean = cleaning.clean_attachment(getattr(upload, "name", "") or "", data)
    except cleaning.Refused as refused:
        raise ValidationError({"upload": refused.args[0]}, code="refused") from refused
    with transaction.atomic():
        attachment = CaseAttachment(
            case=case,
            note=note,
            uploaded_by=actor,
            file_name=clean.name,
            content_type=clean.content_type,
            size=len(clean.content),
            content=base64.b64encode(clean.content).decode("ascii"),
        )
        attachment.full_clean()
        attachment.save()
        audit.record(
            actor=actor,
            action="case.attachment_add",
            obj=case,
            reason=f"attachment:{attachment.pk} type:{clean.content_type} bytes:{attachment.size}",
        )
    return attachment


def attachment_read(*, actor: User, attachment: CaseAttachment) -> bytes:
    """The cleaned bytes of an attachment, for someone the view let see its case; audited."""
    with transaction.atomic():
        audit.record(
            actor=actor, action="case.attachment_view", obj=attachment.case, reason=f"attachment:{attachment.pk}"
        )
    return base64.b64decode(attachment.content)


def assignable_staff(actor: User) -> QuerySet[User]:
    """Active staff of the actor's organisation whose role may edit cases."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.CASE_EDIT in perms]
    return User.objects.filter(organisation_id=actor.organisation_id, role__in=roles, is_active=True)


def case_assign(*, actor: User, case: Case, assignee: User) -> Case:
    """Give the case to a case worker of the same organisation."""
    _require(actor, Perm.CASE_EDIT, case)
    if not assignable_staff(actor).filter(pk=assignee.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        case.assigned_to = assignee
        case.save(update_fields=["assigned_to", "updated_at"])
        audit.record(actor=actor, action="case.assign", obj=case, reason=f"to_user:{assignee.pk}")
    return case


def closure_request(*, actor: User, case: Case, reason: str, note: str = "") -> CaseClosure:
    """Ask an organisation administrator to close an open case."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open or case.closures.filter(decision=ClosureDecision.PENDING).exists():
            raise ValidationError(_("This case is closed or already waiting for closure approval."))
        closure = CaseClosure(
            organisation_id=case.organisation_id, case=case, reason=reason, note=note, requested_by=actor
        )
        closure.full_clean()
        closure.save()
        audit.record(actor=actor, action="case.close_request", obj=case, reason=f"reason:{reason}")
    return closure


def closure_decide(*, actor: User, closure: CaseClosure, approve: bool) -> CaseClosure:
    """Approve (the case closes) or reject a pending closure. Refuses the person who asked."""
    _require(actor, Perm.CASE_CLOSE_APPROVE)
    if closure.organisation_id != actor.organisation_id or closure.requested_by_id == actor.pk:
        raise PermissionDenied
    with transaction.atomic():
        closure = CaseClosure.objects.select_for_update().get(pk=closure.pk)
        if closure.decision != ClosureDecision.PENDING:
            raise ValidationError(_("This request was already decided."))
        closure.decision = ClosureDecision.APPROVED if approve else ClosureDecision.REJECTED
        closure.decided_by, closure.decided_at = actor, timezone.now()
        closure.save(update_fields=["decision", "decided_by", "decided_at"])
        case = closure.case
        if approve:
            referred = closure.reason == ClosureReason.REFERRED
            case.status = CaseStatus.CLOSED_REFERRED if referred else CaseStatus.CLOSED
            case.closure_reason = closure.reason
            case.save(update_fields=["status", "closure_reason", "updated_at"])
        audit.record(actor=actor, action="case.close_" + closure.decision, obj=case, reason=f"reason:{closure.reason}")
    return closure


def case_reopen(*, actor: User, case: Case, reason: str) -> Case:
    """Reopen a closed case, with a reason (stored encrypted)."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_open:
            raise ValidationError(_("This case is open already."))
        CaseReopening.objects.create(case=case, reason=reason, reopened_by=actor)
        case.status, case.closure_reason = CaseStatus.ACTIVE, ""
        case.save(update_fields=["status", "closure_reason", "updated_at"])
        audit.record(actor=actor, action="case.reopen", obj=case)
    return case


# --- Break the glass ------------------------------------------------------------------------


def break_glass_open(*, actor: User, reference: str, reason: str, explanation: str) -> Case:
    """Give the actor read access to one case of their own organisation for a few hours.

    Only for roles with case.break_glass that cannot read cases anyway. The lookup ignores
    visibility on purpose (that is the point) but stays inside the actor's organisation;
    a case of another organisation is reported exactly like a missing one. The access is
    audited and shown to the case's creator and case worker.
    """
    organisation_id = _require(actor, Perm.CASE_BREAK_GLASS)
    if can(actor, Perm.CASE_VIEW):
        raise PermissionDenied
    if len(explanation.strip()) < 20:
        raise ValidationError({"explanation": _("Explain the emergency in a sentence or more.")})
    case = Case.objects.filter(organisation_id=organisation_id, reference=reference.strip().upper()).first()
    if case is None:
        raise ValidationError({"reference": _("No case of your organisation has this reference.")})
    with transaction.atomic():
        BreakGlassAccess.objects.create(
            organisation_id=case.organisation_id,
            case=case,
            user=actor,
            reason=reason,
            explanation=explanation,
            expires_at=timezone.now() + timedelta(hours=BREAK_GLASS_HOURS),
        )
        audit.record(actor=actor, action="case.break_glass", obj=case, reason=f"reason:{reason}")
    return case


def emergency_notices(*, user: User) -> QuerySet[BreakGlassAccess]:
    """Emergency accesses of the last 30 days to cases the user created or is assigned to."""
    since = timezone.now() - timedelta(days=30)
    return (
        BreakGlassAccess.objects.visible_to(user)
        .filter(Q(case__created_by=user) | Q(case__assigned_to=user), started_at__gte=since)
        .select_related("case", "user")
    )


# --- Support plan ---------------------------------------------------------------------------


#: Services that go on after a case is closed: the reintegration plan is followed up.
FOLLOW_UP_SERVICES = (ServiceType.REINTEGRATION,)


def _require_open_unless_follow_up(case: Case, service_type: str) -> None:
    """A closed case takes no new or changed services except the follow-up after closure."""
    if not case.is_open and service_type not in FOLLOW_UP_SERVICES:
        raise ValidationError(
            _("This case is closed: only reintegration can be followed up. Reopen the case to change other services."),
            code="closed",
        )


def service_plan(*, actor: User, case: Case, **fields: Any) -> SupportService:
    """Add a service to the support plan, with a due date. On a closed case only a
    reintegration service (the follow-up after closure)."""
    _require(actor, Perm.CASE_EDIT, case)
    _require_open_unless_follow_up(case, fields.get("service_type", ""))
    with transaction.atomic():
        service = SupportService(case=case, created_by=actor, **fields)
        service.full_clean()
        service.save()
        audit.record(actor=actor, action="case.service_plan", obj=case, reason=f"service:{service.service_type}")
    return service


def service_update(
    *, actor: User, service: SupportService, status: str, completed_on: datetime.date | None = None
) -> SupportService:
    """Change a service's status; done needs the date it was done. On a closed case only a
    reintegration service (the follow-up after closure)."""
    _require(actor, Perm.CASE_EDIT, service.case)
    _require_open_unless_follow_up(service.case, service.service_type)
    with transaction.atomic():
        service.status, service.completed_on = status, completed_on
        service.full_clean()
        service.save(update_fields=["status", "completed_on"])
        audit.record(actor=actor, action="case.service_update", obj=service.case, reason=f"status:{status}")
    return service


def overdue_services(*, user: User) -> QuerySet[SupportService]:
    """Open services past their due date on the visible cases the user created or is assigned to."""
    mine = Case.objects.visible_to(user).filter(Q(assigned_to=user) | Q(assigned_to__isnull=True, created_by=user))
    return (
        SupportService.objects.filter(case__in=mine, status__in=OPEN_SERVICE_STATUSES, due_on__lt=timezone.localdate())
        .select_related("case")
        .order_by("due_on", "id")
    )


# --- Legal ----------------------------------------------------------------------------------

PROCEEDING_FIELDS = [
    "kind",
    "stage",
    "court",
    "case_number",
    "person_role",
    "started_on",
    "outcome",
    "compensation_awarded",
    "compensation_paid",
    "currency",
]


def legal_assistance_add(*, actor: User, case: Case, **fields: Any) -> LegalAssistance:
    """Record legal help given to the person. Refuses without case.legal."""
    _require(actor, Perm.CASE_LEGAL, case)
    with transaction.atomic():
        assistance = LegalAssistance(case=case, recorded_by=actor, **fields)
        assistance.full_clean()
        assistance.save()
        audit.record(
            actor=actor, action="case.legal_assistance_add", obj=case, reason=f"type:{assistance.assistance_type}"
        )
    return assistance


def proceeding_add(*, actor: User, case: Case, **fields: Any) -> LegalProceeding:
    """Link a criminal, civil, labour or administrative proceeding to the case.
    Refuses without case.legal. The audit entry names the kind, never the case number."""
    _require(actor, Perm.CASE_LEGAL, case)
    with transaction.atomic():
        proceeding = LegalProceeding(case=case, recorded_by=actor, **fields)
        proceeding.full_clean()
        proceeding.save()
        audit.record(actor=actor, action="case.proceeding_add", obj=case, reason=f"kind:{proceeding.kind}")
    return proceeding


def proceeding_update(*, actor: User, proceeding: LegalProceeding, **fields: Any) -> LegalProceeding:
    """Change a proceeding's stage, outcome, compensation or other details. Refuses without case.legal."""
    _require(actor, Perm.CASE_LEGAL, proceeding.case)
    with transaction.atomic():
        for name in PROCEEDING_FIELDS:
            if name in fields:
                setattr(proceeding, name, fields[name])
        proceeding.full_clean()
        proceeding.save()
        audit.record(
            actor=actor,
            action="case.proceeding_update",
            obj=proceeding.case,
            reason=f"proceeding:{proceeding.pk} stage:{proceeding.stage} outcome:{proceeding.outcome}",
        )
    return proceeding


# --- Survivor rights: export and erasure ----------------------------------------------------

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
            for child in getattr(case, accessor).all():
                row = _export_row(child)
                if accessor == "consents":
                    row.append(
                        {
                            "field": "purposes",
                            "label": _("Purposes"),
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
        case = Case.objects.select_for_update().get(pk=case.pk)
        if CaseErasure.objects.filter(case=case).exists():
            raise ValidationError(_("This case was erased already."), code="erased")
        erasure = CaseErasure(case=case, reason=reason, erased_by=actor)
        erasure.full_clean()
        # Every row that hangs off the case goes (a child model added later included); a
        # row that only points at it (a signal that became this case) loses the link.
        for relation in Case._meta.related_objects:
            model = relation.related_model
            if model is CaseErasure or isinstance(model, str):
                continue
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


# --- Transfer of ownership ------------------------------------------------------------------


def transfer_destinations(*, actor: User) -> QuerySet[Organisation]:
    """Organisations a case of the actor's organisation may be transferred to: every other."""
    return Organisation.objects.exclude(pk=actor.organisation_id or 0).order_by("name")


def transfer_request(*, actor: User, case: Case, to_organisation: Organisation) -> CaseTransfer:
    """Offer the case to another organisation. Refuses without case.edit, without the
    person's consent to referral (consent_allows), for a closed case and while another
    transfer is pending. Audited on both sides; the receiver's entry names only the case id."""
    _require(actor, Perm.CASE_EDIT, case)
    if to_organisation.pk == case.organisation_id:
        raise ValidationError({"to_organisation": _("Choose another organisation.")})
    if not consent_allows(case, "referral"):
        raise ValidationError(
            _("The person has not consented to referral (or withdrew it); the case cannot be transferred."),
            code="no_consent",
        )
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if not case.is_open or case.transfers.filter(decision=TransferDecision.PENDING).exists():
            raise ValidationError(_("This case is closed or already waiting for a transfer decision."))
        transfer = CaseTransfer.objects.create(
            organisation=to_organisation, case=case, from_organisation_id=case.organisation_id, requested_by=actor
        )
        audit.record(actor=actor, action="case.transfer_request", obj=case, reason=f"to_org:{to_organisation.pk}")
        audit.record(
            actor=actor,
            action="case.transfer_offered",
            obj=transfer,
            organisation_id=to_organisation.pk,
            reason=f"from_org:{case.organisation_id}",
        )
    return transfer


def transfer_decide(*, actor: User, transfer: CaseTransfer, accept: bool) -> CaseTransfer:
    """The receiving organisation's administrator accepts (the case becomes theirs; the
    sender loses access) or rejects a pending transfer. Acceptance re-checks the consent to
    referral. Audited for both organisations."""
    _require(actor, Perm.CASE_TRANSFER_DECIDE)
    if transfer.organisation_id != actor.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        transfer = CaseTransfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.decision != TransferDecision.PENDING:
            raise ValidationError(_("This transfer was already decided."))
        case = Case.objects.select_for_update().get(pk=transfer.case_id)
        if accept and (_is_erased(case) or not consent_allows(case, "referral")):
            raise ValidationError(_("The person's consent to referral no longer allows this transfer."))
        transfer.decision = TransferDecision.ACCEPTED if accept else TransferDecision.REJECTED
        transfer.decided_by, transfer.decided_at = actor, timezone.now()
        transfer.save(update_fields=["decision", "decided_by", "decided_at"])
        sender = transfer.from_organisation_id
        if accept:
            case.organisation_id, case.assigned_to = transfer.organisation_id, None
            case.save(update_fields=["organisation", "assigned_to", "updated_at"])
            case.consents.update(organisation_id=transfer.organisation_id)
            case.closures.filter(decision=ClosureDecision.PENDING).delete()
            # Duplicate alerts pair cases of one organisation; the pair is now split.
            DuplicateAlert.objects.filter(Q(case=case) | Q(other=case)).delete()
        action = "case.transfer_" + transfer.decision
        audit.record(actor=actor, action=action, obj=case, organisation_id=transfer.organisation_id)
        audit.record(
            actor=actor, action=action, obj=case, organisation_id=sender, reason=f"to_org:{actor.organisation_id}"
        )
    return transfer
