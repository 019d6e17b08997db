"""What administrators and staff do with accounts: each use case checks, acts and audits."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.models import INVITATION_VALID_FOR, Invitation, Organisation, User, hash_token
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
