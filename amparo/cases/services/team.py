"""Team work on a case: notes, attachments, assignment, closure with an administrator's
approval, reopening, and transfer of the case to another organisation."""

from __future__ import annotations

import base64
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organisation, User
from amparo.cases.models import (
    Case,
    CaseAttachment,
    CaseClosure,
    CaseReopening,
    CaseStatus,
    CaseTransfer,
    ClosureDecision,
    DuplicateAlert,
    Note,
    TransferDecision,
)
from amparo.cases.services.common import _is_erased, _require
from amparo.cases.services.consent import consent_allows
from amparo.cases.services.decisions import notify_decision
from amparo.cases.vocabularies import ClosureReason
from amparo.core import audit, blobs, vault
from amparo.core.fields import encrypted_fields
from amparo.core.permissions import ROLE_PERMISSIONS, Perm, Role
from amparo.reports import cleaning

# --- Team work: notes, assignment, closure, reopening ---------------------------------------


def note_add(*, actor: User, case: Case, body: str) -> Note:
    _require(actor, Perm.CASE_NOTE, case)
    with transaction.atomic():
        note = Note.objects.create(case=case, author=actor, body=body)
        audit.record(actor=actor, action="case.note_add", obj=case)
    return note


def attachment_add(*, actor: User, case: Case, upload: Any, note: Note | None = None) -> CaseAttachment:
    """Keep a file with the case after stripping its metadata (amparo.reports.cleaning):
    images are re-encoded from their pixels, PDFs re-drawn as pictures of their pages in a
    limited process; anything cleaning cannot vouch for is refused
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
        clean = cleaning.clean_case_attachment(getattr(upload, "name", "") or "", data)
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
        )
        encoded = base64.b64encode(clean.content).decode("ascii")
        if blobs.external():
            # Decision 0039: only a vault token bound to this row leaves for the storage.
            attachment.full_clean()
            token = vault.encrypt(encoded, context=attachment.object_context())
            attachment.object_key, attachment.object_sha256 = blobs.put(token.encode("ascii"))
            try:
                attachment.save()
            except BaseException:
                blobs.discard([attachment.object_key])
                raise
        else:
            attachment.content = encoded
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
    content = base64.b64decode(attachment_content(attachment))
    with transaction.atomic():
        audit.record(
            actor=actor, action="case.attachment_view", obj=attachment.case, reason=f"attachment:{attachment.pk}"
        )
    return content


def attachment_content(attachment: CaseAttachment) -> str:
    """The base64 content of an attachment: from its row, or from its object (decision 0039),
    refused (`blobs.ObjectDamaged`, `vault.VaultError`) unless it is this row's own."""
    if not attachment.object_key:
        return str(attachment.content)
    token = blobs.get(attachment.object_key, attachment.object_sha256).decode("ascii", errors="replace")
    return vault.decrypt(token, context=attachment.object_context())


def assignable_staff(actor: User) -> QuerySet[User]:
    """Active staff of the actor's organisation whose role may edit cases (case workers)."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if Perm.CASE_EDIT in perms]
    # scoping: the actor's own organisation
    return User.objects.filter(organisation_id=actor.organisation_id, role__in=roles, is_active=True)


def assignable_legal_advisers(actor: User) -> QuerySet[User]:
    """Active legal advisers of the actor's organisation (they read cases and record legal
    work, but do not edit the case file, so they are assigned alongside its case worker)."""
    # scoping: the actor's own organisation
    return User.objects.filter(organisation_id=actor.organisation_id, role=Role.LEGAL_ADVISER, is_active=True)


def case_assign(*, actor: User, case: Case, assignee: User, legal_adviser: User | None = None) -> Case:
    """Give the case to a case worker of the same organisation and, optionally, a legal
    adviser of it (None removes the legal adviser). Where the organisation reads cases by
    assignment, whoever is no longer assigned loses access to the case."""
    _require(actor, Perm.CASE_EDIT, case)
    if not assignable_staff(actor).filter(pk=assignee.pk).exists():
        raise PermissionDenied
    if legal_adviser is not None and not assignable_legal_advisers(actor).filter(pk=legal_adviser.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        case.assigned_to, case.legal_adviser = assignee, legal_adviser
        case.save(update_fields=["assigned_to", "legal_adviser", "updated_at"])
        adviser = f" legal_adviser:{legal_adviser.pk}" if legal_adviser is not None else ""
        audit.record(actor=actor, action="case.assign", obj=case, reason=f"to_user:{assignee.pk}{adviser}")
    return case


def closure_request(*, actor: User, case: Case, reason: str, note: str = "") -> CaseClosure:
    """Ask an organisation administrator to close an open case."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        # scoping: re-fetch under lock of a case the caller holds
        case = Case.objects.select_for_update().get(pk=case.pk)
        # scoping: whether a closure already waits for the case being changed
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
        # scoping: re-fetch under lock of a closure the caller holds
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
        notify_decision(
            recipient=closure.requested_by,
            reference=case.reference,
            decision=f"closure_{closure.decision}",
            decided_by=actor,
        )
    return closure


def case_reopen(*, actor: User, case: Case, reason: str) -> Case:
    """Reopen a closed case, with a reason (stored encrypted)."""
    _require(actor, Perm.CASE_EDIT, case)
    with transaction.atomic():
        # scoping: re-fetch under lock of a case the caller holds
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_open:
            raise ValidationError(_("This case is open already."))
        CaseReopening.objects.create(case=case, reason=reason, reopened_by=actor)
        case.status, case.closure_reason = CaseStatus.ACTIVE, ""
        case.save(update_fields=["status", "closure_reason", "updated_at"])
        audit.record(actor=actor, action="case.reopen", obj=case)
    return case


# --- Transfer of ownership ------------------------------------------------------------------


def transfer_destinations(*, actor: User) -> QuerySet[Organisation]:
    """Organisations a case of the actor's organisation may be transferred to: every other."""
    # scoping: names of organisations only, as transfer destinations
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
        # scoping: re-fetch under lock of a case the caller holds
        case = Case.objects.select_for_update().get(pk=case.pk)
        # scoping: whether a transfer already waits for the case being changed
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
        # scoping: re-fetch under lock of a transfer the caller holds
        transfer = CaseTransfer.objects.select_for_update().get(pk=transfer.pk)
        if transfer.decision != TransferDecision.PENDING:
            raise ValidationError(_("This transfer was already decided."))
        # scoping: the case of that transfer, under lock
        case = Case.objects.select_for_update().get(pk=transfer.case_id)
        if accept and (_is_erased(case) or not consent_allows(case, "referral")):
            raise ValidationError(_("The person's consent to referral no longer allows this transfer."))
        transfer.decision = TransferDecision.ACCEPTED if accept else TransferDecision.REJECTED
        transfer.decided_by, transfer.decided_at = actor, timezone.now()
        transfer.save(update_fields=["decision", "decided_by", "decided_at"])
        sender = transfer.from_organisation_id
        if accept:
            case.organisation_id, case.assigned_to, case.legal_adviser = transfer.organisation_id, None, None
            # The case's encrypted fields are bound to its organisation: re-encrypted in the same write.
            case.save(
                update_fields=[
                    "organisation",
                    "assigned_to",
                    "legal_adviser",
                    "updated_at",
                    *(f.name for f in encrypted_fields(Case)),
                ]
            )
            case.consents.update(organisation_id=transfer.organisation_id)  # scoping: moves with the case
            # The places confirmed in its summary and steps, and their history, move with it
            # (one person counted under one organisation on route maps; decision 0041).
            from amparo.places.models import ConfirmedPlace, PlaceDecision

            for model in (ConfirmedPlace, PlaceDecision):
                # scoping: moves with the case
                model.objects.filter(Q(case=case) | Q(event__case=case)).update(
                    organisation_id=transfer.organisation_id
                )
            case.closures.filter(decision=ClosureDecision.PENDING).delete()  # scoping: moves with the case
            # Duplicate alerts pair cases of one organisation; the pair is now split.
            DuplicateAlert.objects.filter(Q(case=case) | Q(other=case)).delete()  # scoping: moves with the case
        action = "case.transfer_" + transfer.decision
        audit.record(actor=actor, action=action, obj=case, organisation_id=transfer.organisation_id)
        audit.record(
            actor=actor, action=action, obj=case, organisation_id=sender, reason=f"to_org:{actor.organisation_id}"
        )
        notify_decision(
            recipient=transfer.requested_by,
            reference=case.reference,
            decision=f"transfer_{transfer.decision}",
            decided_by=actor,
        )
    return transfer
