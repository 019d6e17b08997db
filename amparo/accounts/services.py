"""What administrators and staff do with accounts: each use case checks, acts and audits."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.accounts.models import (
    EMERGENCY_BASIS_VALID_FOR,
    INVITATION_VALID_FOR,
    AgreementStatus,
    EmergencySharingBasis,
    Invitation,
    Organisation,
    SharingAgreement,
    User,
    hash_token,
)
from amparo.accounts.sharing import AGREEMENT_PURPOSES, FIELD_SETS, FIELD_SETS_VERSION, PERSON_PURPOSES
from amparo.core import audit, sealing
from amparo.core.permissions import Perm, Role, can, roles_with


def _require(actor: User, perm: str) -> None:
    if not can(actor, perm):
        raise PermissionDenied


def invitation_create(*, actor: User, email: str, role: str, base_url: str) -> Invitation:
    """Invite `email` to the actor's organisation with `role` and e-mail them a link.

    Refuses actors without staff.manage, unknown roles, and addresses that already have an
    account in the actor's organisation. An address with an account in another organisation
    is answered exactly like a new one (the administrator learns nothing about other
    organisations' staff); its owner gets a notice without a link instead of the invitation,
    and the invitation stays pending until it expires.
    """
    _require(actor, Perm.STAFF_MANAGE)
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError(_("Choose a role from the list."))
    organisation_id = cast(int, actor.organisation_id)  # _require passed: can() refuses users without one
    # Which organisation holds the address decides only whether the actor is told (their own
    # staff) and which e-mail goes out, never what the actor sees about another organisation.
    # scoping: e-mail addresses are unique across organisations; the holder's organisation id only
    holders = list(User.objects.filter(email=email).values_list("organisation_id", flat=True)[:1])
    has_account = bool(holders)
    if has_account and holders[0] == organisation_id:
        raise ValidationError(_("This person already has an account in your organisation."))
    token = Invitation.new_token()
    with transaction.atomic():
        # scoping: the actor's own organisation
        Invitation.objects.filter(organisation_id=organisation_id, email=email, accepted_at__isnull=True).update(
            revoked=True
        )
        invitation = Invitation.objects.create(
            organisation_id=organisation_id,
            email=email,
            role=role,
            token_hash=hash_token(token),
            invited_by=actor,
            expires_at=timezone.now() + INVITATION_VALID_FOR,
        )
        audit.record(actor=actor, action="staff.invite", obj=invitation, reason=f"{email} as {role}")
        link = base_url.rstrip("/") + reverse("accounts:invitation_accept", kwargs={"token": token})
        organisation = actor.organisation
        language = actor.language or translation.get_language() or settings.LANGUAGE_CODE

        template = "accounts/email/invitation_existing_account.txt" if has_account else "accounts/email/invitation.txt"

        def send() -> None:
            with translation.override(language):
                body = render_to_string(
                    template, {"organisation": organisation, "link": link, "role": Role(role).label, "inviter": actor}
                )
                send_mail(_("Your invitation to Amparo"), body, None, [email])

        transaction.on_commit(send)
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The pending invitation this token opens, or None (expired, used, revoked, unknown)."""
    # scoping: the bearer of the invitation token
    return Invitation.objects.pending().filter(token_hash=hash_token(token)).select_related("organisation").first()


def invitation_accept(*, invitation: Invitation, full_name: str, password: str) -> User:
    """Create the invited account. The new user still has to set up two-factor."""
    with transaction.atomic():
        # scoping: re-fetch under lock of the invitation found above
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at is not None or locked.revoked or locked.expires_at <= timezone.now():
            raise ValidationError(_("This invitation is no longer valid."))
        # scoping: e-mail addresses are unique across organisations; a yes/no only
        if User.objects.filter(email=locked.email).exists():
            raise ValidationError(_("This e-mail address already has an account."))
        user = User.objects.create_user(
            locked.email,
            password,
            full_name=full_name,
            organisation_id=locked.organisation_id,
            role=locked.role,
            language=translation.get_language() or "",
        )
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        audit.record(actor=user, action="staff.join", obj=user, reason=locked.role)
    return user


def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    _require(actor, Perm.STAFF_MANAGE)
    if invitation.organisation_id != actor.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        invitation.revoked = True
        invitation.save(update_fields=["revoked"])
        audit.record(actor=actor, action="staff.invite_revoke", obj=invitation)


def _admins_left(organisation_id: int, without: User) -> int:
    return (
        # scoping: a count in the organisation being changed, checked by the caller
        User.objects.filter(organisation_id=organisation_id, role=Role.ORG_ADMIN, is_active=True)
        .exclude(pk=without.pk)
        .count()
    )


def staff_update(*, actor: User, member: User, role: str, is_active: bool, reset_two_factor: bool = False) -> User:
    """Change a staff member's role or deactivate them.

    Refuses changes to another organisation's staff, and any change that would leave
    the organisation without an active administrator.
    """
    _require(actor, Perm.STAFF_MANAGE)
    if member.organisation_id != actor.organisation_id:
        raise PermissionDenied
    if role not in Role.values:
        raise ValidationError(_("Choose a role from the list."))
    losing_admin = member.role == Role.ORG_ADMIN and (role != Role.ORG_ADMIN or not is_active)
    # The actor's organisation (checked above), which can() requires to be set.
    if losing_admin and _admins_left(cast(int, member.organisation_id), member) == 0:
        raise ValidationError(_("The organisation must keep at least one active administrator."))
    with transaction.atomic():
        changes = []
        if member.role != role:
            changes.append(f"role {member.role} -> {role}")
        if member.is_active != is_active:
            changes.append("reactivated" if is_active else "deactivated")
        if reset_two_factor:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            TOTPDevice.objects.filter(user=member).delete()
            changes.append("two-factor reset")
        member.role = role
        member.is_active = is_active
        member.save(update_fields=["role", "is_active"])
        if not is_active or role not in roles_with(Perm.REPORT_VIEW):
            sealing.grants_revoke(actor=actor, user=member)
        if changes:
            audit.record(actor=actor, action="staff.update", obj=member, reason="; ".join(changes))
    return member


# --- Lock-out after failed sign-ins (django-axes, decision 0003) ---------------------------


def _lockout_key(email: str) -> str | None:
    """The value axes stores for sign-in attempts at `email`: whatever the configured
    AXES_USERNAME_CALLABLE makes of it (normalised today, perhaps hashed later), so the
    lookup and the unlock below follow any change to how attempts are keyed."""
    from axes.helpers import get_client_username

    return get_client_username(None, {"username": email})  # type: ignore[arg-type]


def lockouts(users: Iterable[User]) -> dict[int, datetime.datetime]:
    """The accounts among `users` that sign-in failures lock now, with the time each lock
    ends. The one place that asks axes whether an account is locked (one query)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off()
    keys = {key: user.pk for user in users if (key := _lockout_key(user.email))}
    if not keys or cool_off is None:
        return {}
    now = timezone.now()
    locked: dict[int, datetime.datetime] = {}
    # scoping: axes' counters for the given accounts only, keyed as axes keys them
    attempts = AccessAttempt.objects.filter(
        username__in=list(keys),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gt=now - cool_off,
    ).values_list("username", "attempt_time")
    for key, attempt_time in attempts:
        until = attempt_time + cool_off
        pk = keys[key]
        locked[pk] = max(until, locked.get(pk, until))
    return locked


def locked_until(user: User) -> datetime.datetime | None:
    """When the sign-in lock on `user` ends, or None if the account is not locked."""
    return lockouts([user]).get(user.pk)


def staff_unlock(*, actor: User, member: User) -> bool:
    """Lift the sign-in lock on a colleague of the actor's organisation (their failed
    attempts are forgotten). Refuses without staff.manage and for another organisation's
    staff. Audited when there was a lock to lift; returns whether there was one."""
    _require(actor, Perm.STAFF_MANAGE)
    if member.organisation_id != actor.organisation_id:
        raise PermissionDenied
    from axes.utils import reset

    was_locked = locked_until(member) is not None
    key = _lockout_key(member.email)
    with transaction.atomic():
        if key:
            reset(username=key)
        if was_locked:
            audit.record(actor=actor, action="staff.unlock", obj=member)
    return was_locked


def organisation_update(*, actor: User, organisation: Organisation, fields: dict[str, object]) -> Organisation:
    _require(actor, Perm.ORG_EDIT)
    if organisation.pk != actor.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        changed = [name for name, value in fields.items() if getattr(organisation, name) != value]
        for name, value in fields.items():
            setattr(organisation, name, value)
        organisation.full_clean()
        organisation.save()
        if changed:
            audit.record(
                actor=actor,
                action="organisation.update",
                obj=organisation,
                reason=", ".join(changed),
                organisation_id=organisation.pk,
            )
    return organisation


# --- Data-sharing agreements (issue 9, decision 0019) ------------------------------------


def _notify_admins(organisation_id: int, subject: Any, template: str, context: dict[str, object]) -> None:
    """E-mail the organisation's active administrators after the commit. The message names
    the other organisation and the agreement's state only, never a person's data."""
    # scoping: the addresses of the other party's administrators, used only to send a notice
    admins = User.objects.filter(organisation_id=organisation_id, role=Role.ORG_ADMIN, is_active=True)
    addresses = list(admins.values_list("email", "language"))

    def send() -> None:
        for email, language in addresses:
            with translation.override(language or settings.LANGUAGE_CODE):
                body = render_to_string(template, context)
                send_mail(str(subject), body, None, [email])

    transaction.on_commit(send)


def _audit_both(
    *, actor: User, action: str, agreement: models.Model, parties: tuple[int, int], reason: str = ""
) -> None:
    for organisation_id in parties:
        audit.record(actor=actor, action=action, obj=agreement, reason=reason, organisation_id=organisation_id)


def agreement_propose(
    *,
    actor: User,
    receiver: Organisation,
    purposes: list[str],
    field_sets: list[str],
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> SharingAgreement:
    """Propose an agreement from the actor's organisation to `receiver`."""
    _require(actor, Perm.AGREEMENT_MANAGE)
    proposer_id = cast(int, actor.organisation_id)
    if receiver.pk == proposer_id:
        raise ValidationError(_("An agreement needs another organisation: choose one that is not yours."))
    if not purposes or any(p not in [x.value for x in AGREEMENT_PURPOSES] for p in purposes):
        raise ValidationError(_("Choose at least one purpose from the list."))
    if not field_sets or any(f not in FIELD_SETS for f in field_sets):
        raise ValidationError(_("Choose at least one set of fields from the list."))
    if ends_on < starts_on:
        raise ValidationError(_("The end date must be on or after the start date."))
    if ends_on < timezone.localdate():
        raise ValidationError(_("The end date has already passed."))
    with transaction.atomic():
        agreement = SharingAgreement.objects.create(
            proposer_id=proposer_id,
            receiver=receiver,
            purposes=sorted(set(purposes)),
            field_sets=sorted(set(field_sets)),
            field_sets_version=FIELD_SETS_VERSION,
            starts_on=starts_on,
            ends_on=ends_on,
            proposed_by=actor,
        )
        _audit_both(actor=actor, action="agreement.propose", agreement=agreement, parties=(proposer_id, receiver.pk))
        _notify_admins(
            receiver.pk,
            gettext_lazy("A data-sharing agreement was proposed to your organisation"),
            "accounts/email/agreement_notice.txt",
            {"other": actor.organisation.name if actor.organisation else "", "event": "propose"},
        )
    return agreement


def _locked_agreement(actor: User, agreement: SharingAgreement) -> SharingAgreement:
    """The agreement re-read under lock, if the actor's organisation is a party (else 404-like)."""
    # scoping: the same agreement, read through visible_to under lock
    locked = SharingAgreement.objects.visible_to(actor).select_for_update().filter(pk=agreement.pk).first()
    if locked is None:
        raise PermissionDenied
    return locked


def agreement_accept(*, actor: User, agreement: SharingAgreement) -> SharingAgreement:
    """The receiving organisation's administrator accepts a proposal: it becomes active."""
    _require(actor, Perm.AGREEMENT_MANAGE)
    with transaction.atomic():
        locked = _locked_agreement(actor, agreement)
        if locked.receiver_id != actor.organisation_id:
            raise ValidationError(_("Only the organisation that received the proposal can accept it."))
        if locked.current_status() != AgreementStatus.PROPOSED:
            raise ValidationError(_("This agreement is no longer waiting for an answer."))
        locked.status = AgreementStatus.ACTIVE
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        _audit_both(
            actor=actor, action="agreement.accept", agreement=locked, parties=(locked.proposer_id, locked.receiver_id)
        )
        _notify_admins(
            locked.proposer_id,
            gettext_lazy("Your proposed data-sharing agreement was accepted"),
            "accounts/email/agreement_notice.txt",
            {"other": locked.receiver.name, "event": "accept"},
        )
    return locked


def agreement_decline(*, actor: User, agreement: SharingAgreement, reason: str) -> SharingAgreement:
    """The receiving organisation's administrator declines a proposal, giving a reason."""
    _require(actor, Perm.AGREEMENT_MANAGE)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for declining."))
    with transaction.atomic():
        locked = _locked_agreement(actor, agreement)
        if locked.receiver_id != actor.organisation_id:
            raise ValidationError(_("Only the organisation that received the proposal can decline it."))
        if locked.current_status() != AgreementStatus.PROPOSED:
            raise ValidationError(_("This agreement is no longer waiting for an answer."))
        locked.status = AgreementStatus.DECLINED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decline_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        _audit_both(
            actor=actor,
            action="agreement.decline",
            agreement=locked,
            parties=(locked.proposer_id, locked.receiver_id),
            reason=reason,
        )
        _notify_admins(
            locked.proposer_id,
            gettext_lazy("Your proposed data-sharing agreement was declined"),
            "accounts/email/agreement_notice.txt",
            {"other": locked.receiver.name, "event": "decline"},
        )
    return locked


def agreement_end(*, actor: User, agreement: SharingAgreement, reason: str) -> SharingAgreement:
    """Either party's administrator ends an active agreement (or withdraws a proposal), giving a
    reason. From then on, agreement_allows no longer answers yes on its strength."""
    _require(actor, Perm.AGREEMENT_MANAGE)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for ending the agreement."))
    with transaction.atomic():
        locked = _locked_agreement(actor, agreement)
        status = locked.current_status()
        withdrawing = status == AgreementStatus.PROPOSED and locked.proposer_id == actor.organisation_id
        if status != AgreementStatus.ACTIVE and not withdrawing:
            raise ValidationError(_("Only an active agreement can be ended."))
        locked.status = AgreementStatus.ENDED
        locked.ended_by = actor
        locked.ended_by_organisation_id = actor.organisation_id
        locked.ended_at = timezone.now()
        locked.end_reason = reason
        locked.save(update_fields=["status", "ended_by", "ended_by_organisation", "ended_at", "end_reason"])
        _audit_both(
            actor=actor,
            action="agreement.end",
            agreement=locked,
            parties=(locked.proposer_id, locked.receiver_id),
            reason=reason,
        )
        _notify_admins(
            locked.other_party_id(actor.organisation_id),
            gettext_lazy("A data-sharing agreement with your organisation was ended"),
            "accounts/email/agreement_notice.txt",
            {"other": locked.other_party(locked.other_party_id(actor.organisation_id)).name, "event": "end"},
        )
    return locked


def emergency_basis_record(
    *, actor: User, recipient: Organisation, purpose: str, field_set: str, reason: str
) -> EmergencySharingBasis:
    """Record why the actor's organisation must share with `recipient` without an agreement.
    Valid for 72 hours; audited in both organisations; the recipient's administrators are told."""
    _require(actor, Perm.AGREEMENT_MANAGE)
    organisation_id = cast(int, actor.organisation_id)
    reason = reason.strip()
    if recipient.pk == organisation_id:
        raise ValidationError(_("Choose an organisation that is not yours."))
    if purpose not in [p.value for p in PERSON_PURPOSES]:
        raise ValidationError(_("Choose a purpose from the list."))
    if field_set not in FIELD_SETS:
        raise ValidationError(_("Choose a set of fields from the list."))
    if not reason:
        raise ValidationError(_("Give the reason for sharing without an agreement."))
    with transaction.atomic():
        now = timezone.now()
        basis = EmergencySharingBasis.objects.create(
            organisation_id=organisation_id,
            recipient=recipient,
            purpose=purpose,
            field_set=field_set,
            reason=reason,
            recorded_by=actor,
            recorded_at=now,
            expires_at=now + EMERGENCY_BASIS_VALID_FOR,
        )
        _audit_both(
            actor=actor,
            action="agreement.emergency_basis",
            agreement=basis,
            parties=(organisation_id, recipient.pk),
            reason=reason,
        )
        _notify_admins(
            recipient.pk,
            gettext_lazy("An organisation recorded an emergency basis to share data with yours"),
            "accounts/email/agreement_notice.txt",
            {"other": actor.organisation.name if actor.organisation else "", "event": "emergency"},
        )
    return basis


@dataclass(frozen=True)
class SharingDecision:
    """The answer of agreement_allows: which basis lets the data go, or why not."""

    allowed: bool
    agreement_id: int | None = None
    emergency_basis_id: int | None = None
    refusal: str = ""  # "no_agreement", "not_started", "expired", "purpose", "field_set"

    def __bool__(self) -> bool:
        return self.allowed


def agreement_allows(
    *,
    from_org: Organisation | int,
    to_org: Organisation | int,
    purpose: str,
    field_set: str,
    on: datetime.date | None = None,
) -> SharingDecision:
    """The one place that answers "may this data go there": an agreement between the two
    organisations, accepted and not ended, whose dates include `on` (default today) and which
    names the purpose and the field set; else an emergency basis recorded by `from_org` for
    `to_org`, that purpose and field set, not yet expired. An agreement binds both parties both
    ways. The refusal names the nearest reason (for the referral page to explain)."""
    from_id = from_org if isinstance(from_org, int) else from_org.pk
    to_id = to_org if isinstance(to_org, int) else to_org.pk
    today = timezone.localdate()
    on = on or today
    if from_id == to_id:
        return SharingDecision(False, refusal="no_agreement")
    # scoping: a yes/no between two named organisations for the referral workflow, no rows shown
    candidates = SharingAgreement.objects.filter(
        models.Q(proposer_id=from_id, receiver_id=to_id) | models.Q(proposer_id=to_id, receiver_id=from_id),
        status=AgreementStatus.ACTIVE,
    ).order_by("pk")
    refusal = "no_agreement"
    rank = {"no_agreement": 0, "expired": 1, "not_started": 2, "purpose": 3, "field_set": 4}
    for agreement in candidates:
        if agreement.ends_on < on:
            why = "expired"
        elif agreement.starts_on > on:
            why = "not_started"
        # scoping: the agreement's list of purposes (a JSON field), not a related manager
        elif purpose not in agreement.purposes:
            why = "purpose"
        elif field_set not in agreement.field_sets:
            why = "field_set"
        else:
            return SharingDecision(True, agreement_id=agreement.pk)
        refusal = max(refusal, why, key=rank.__getitem__)
    if on == today:
        # scoping: a yes/no between two named organisations for the referral workflow
        bases = EmergencySharingBasis.objects.filter(
            organisation_id=from_id, recipient_id=to_id, purpose=purpose, field_set=field_set
        )
        basis = bases.filter(expires_at__gt=timezone.now()).order_by("-expires_at").first()
        if basis is not None:
            return SharingDecision(True, emergency_basis_id=basis.pk)
    return SharingDecision(False, refusal=refusal)
