"""Sign-in, two-factor, staff administration and the organisation profile."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts import services
from amparo.accounts.forms import (
    AcceptInvitationForm,
    AgreementProposeForm,
    EmergencyBasisForm,
    InviteForm,
    LoginForm,
    OrganisationForm,
    ReasonForm,
    RecoveryKeyForm,
    RotateKeysForm,
    StaffEditForm,
    TokenForm,
)
from amparo.accounts.models import (
    AgreementStatus,
    EmergencySharingBasis,
    Invitation,
    Organisation,
    SharingAgreement,
    User,
)
from amparo.accounts.sharing import FIELD_SETS
from amparo.core import audit, sealing
from amparo.core.permissions import Perm, can, roles_with
from amparo.core.scoping import get_visible_or_404


def _qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """First sign-in: bind an authenticator app. Nothing else opens until this is done."""
    user = cast(User, request.user)  # signed in: LoginRequiredMiddleware
    if any(True for _ in devices_for_user(user, confirmed=True)):
        return redirect("accounts:two_factor_verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified, _message = device.verify_is_allowed()
        if verified and device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit.record(actor=user, action="staff.two_factor_setup", obj=user)
            messages.success(request, _("Two-factor sign-in is set up."))
            return redirect("core:home")
        form.add_error("token", _("That code is not right. Check the time on your phone and try the newest code."))
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr_svg": _qr_svg(device.config_url), "secret": secret},
    )


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():  # type: ignore[union-attr]
        return redirect("core:home")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(request.GET.get("next") or "core:home") if _safe_next(request) else redirect("core:home")
        form.add_error(
            "token", _("That code is not right, or too many tries were made. Wait a moment and try the newest code.")
        )
    return render(request, "accounts/two_factor_verify.html", {"form": form})


def _safe_next(request: HttpRequest) -> bool:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next")
    return bool(target) and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})


def staff_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.STAFF_VIEW):
        raise PermissionDenied
    staff = list(User.objects.visible_to(request.user).order_by("full_name"))
    invitations = Invitation.objects.visible_to(request.user).pending()
    can_manage = can(request.user, Perm.STAFF_MANAGE)
    locks = services.lockouts(staff) if can_manage else {}
    for member in staff:
        member.locked_until = locks.get(member.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "accounts/staff_list.html",
        {
            "staff": staff,
            "invitations": invitations,
            "form": InviteForm(),
            "can_manage": can_manage,
        },
    )


def staff_invite(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.STAFF_MANAGE):
        raise PermissionDenied
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                actor=request.user,  # type: ignore[arg-type]
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            if form.cleaned_data["role"] in roles_with(Perm.REPORT_VIEW):
                messages.info(
                    request,
                    _(
                        "Once %(email)s has joined, they cannot open reports until you give them access "
                        "to the organisation's key on the keys page."
                    )
                    % {"email": form.cleaned_data["email"]},
                )
            return redirect("accounts:staff_list")
    return render(
        request, "accounts/staff_invite.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_visible_or_404(Invitation, request.user, pk=pk)
    services.invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
    messages.success(request, _("Invitation withdrawn."))
    return redirect("accounts:staff_list")


def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not can(request.user, Perm.STAFF_MANAGE):
        raise PermissionDenied
    member = get_visible_or_404(User, request.user, pk=pk)
    form = StaffEditForm(request.POST or None, initial={"role": member.role, "is_active": member.is_active})
    if request.method == "POST" and form.is_valid():
        had_grant = sealing.has_grant(member)
        try:
            services.staff_update(
                actor=request.user,  # type: ignore[arg-type]
                member=member,
                role=form.cleaned_data["role"],
                is_active=form.cleaned_data["is_active"],
                reset_two_factor=form.cleaned_data["reset_two_factor"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": member.full_name})
            if had_grant and not sealing.has_grant(member):
                messages.warning(
                    request,
                    _(
                        "%(name)s no longer has access to the organisation's key, but may have kept a copy "
                        "while they had it. To keep them from reading reports that arrive from now on, "
                        "rotate the organisation key below."
                    )
                    % {"name": member.full_name},
                )
                return redirect(reverse("accounts:organisation_keys") + "#rotate")
            return redirect("accounts:staff_list")
    return render(request, "accounts/staff_edit.html", {"form": form, "member": member})


@require_POST
def staff_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift the sign-in lock on a colleague locked out by failed attempts."""
    if not can(request.user, Perm.STAFF_MANAGE):
        raise PermissionDenied
    member = get_visible_or_404(User, request.user, pk=pk)
    if services.staff_unlock(actor=request.user, member=member):  # type: ignore[arg-type]
        messages.success(request, _("%(name)s can sign in again.") % {"name": member.full_name})
    else:
        messages.info(request, _("%(name)s was not locked out.") % {"name": member.full_name})
    return redirect("accounts:staff_list")


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """The page axes shows when sign-in is refused for too many failures (AXES_LOCKOUT_CALLABLE).

    The same page, with the same duration, for every e-mail address, whether or not it has
    an account: axes counts failures per address typed, so unknown addresses lock alike."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_invalid.html", {"signed_in": True}, status=400)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            auth_login(request, user, backend="amparo.accounts.backends.StaffBackend")
            sealing.staff_key_open(user=user, password=form.cleaned_data["password1"])
            return redirect("accounts:two_factor_setup")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})


def organisation_detail(request: HttpRequest) -> HttpResponse:
    organisation = get_visible_or_404(Organisation, request.user, pk=getattr(request.user, "organisation_id", None))
    return render(
        request,
        "accounts/organisation_detail.html",
        {"organisation": organisation, "can_edit": can(request.user, Perm.ORG_EDIT)},
    )


def organisation_edit(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.ORG_EDIT):
        raise PermissionDenied
    organisation = get_visible_or_404(Organisation, request.user, pk=request.user.organisation_id)  # type: ignore[union-attr]
    form = OrganisationForm(
        request.POST or None, instance=Organisation.objects.visible_to(request.user).get(pk=organisation.pk)
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in OrganisationForm.Meta.fields}
        try:
            services.organisation_update(actor=request.user, organisation=organisation, fields=fields)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The organisation's profile is saved."))
            return redirect("accounts:organisation_detail")
    return render(request, "accounts/organisation_edit.html", {"form": form})


class SignInView(auth_views.LoginView):
    """Django's sign-in, which also unlocks the organisation's sealed-data key for the session."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        sealing.unlock_session(self.request, user=user, password=form.cleaned_data["password"])
        return sealing.set_unlock_cookie(self.request, response)


class SignOutView(auth_views.LogoutView):
    """Sign out and drop the key to the (now flushed) session's sealed keys."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response.delete_cookie(sealing.UNLOCK_COOKIE, samesite="Strict")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password and re-wrap the staff member's key under the new one."""

    template_name = "accounts/password_change.html"

    def get_success_url(self) -> str:
        return reverse("core:home")

    def form_valid(self, form: Any) -> HttpResponse:
        sealing.staff_key_rewrap(
            user=self.request.user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password1"],
        )
        response = super().form_valid(form)
        audit.record(actor=self.request.user, action="staff.password_change", obj=cast(User, self.request.user))
        messages.success(self.request, _("Your password is changed."))
        return response


def organisation_keys(request: HttpRequest) -> HttpResponse:
    """The organisation's keys for sealed reports: create, recover, give colleagues access."""
    if not can(request.user, Perm.STAFF_MANAGE):
        raise PermissionDenied
    user = cast(User, request.user)  # signed in: LoginRequiredMiddleware
    org_id = cast(int, user.organisation_id)  # can() refuses users without an organisation
    recovery_key = None
    recover_form = RecoveryKeyForm(request.POST if request.POST.get("action") == "recover" else None)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "create" and not sealing.has_keys(org_id):
        try:
            recovery_key = sealing.organisation_keys_create(request, actor=user)
        except sealing.Locked:
            messages.error(request, _("Sign out and sign in again before creating the keys."))
    elif action == "recover" and recover_form.is_valid():
        if sealing.organisation_keys_recover(
            request, actor=user, recovery_key=recover_form.cleaned_data["recovery_key"]
        ):
            messages.success(request, _("The recovery key opened the organisation's key. You have access again."))
            return sealing.set_unlock_cookie(request, redirect("accounts:organisation_keys"))
        recover_form.add_error("recovery_key", _("This recovery key does not open the organisation's key."))
    elif action == "grant" and sealing.is_unlocked(request, org_id):
        waiting = sealing.users_waiting_for_access(org_id, roles_with(Perm.REPORT_VIEW))
        count = sealing.grants_issue(request, actor=user, users=waiting)
        messages.success(
            request,
            ngettext("Access given to %(count)s colleague.", "Access given to %(count)s colleagues.", count)
            % {"count": count},
        )
        return redirect("accounts:organisation_keys")
    return _organisation_keys_page(request, recovery_key=recovery_key, recover_form=recover_form)


def _organisation_keys_page(
    request: HttpRequest,
    *,
    recovery_key: str | None = None,
    rotated: bool = False,
    recover_form: RecoveryKeyForm | None = None,
    rotate_form: RotateKeysForm | None = None,
    status: int = 200,
) -> HttpResponse:
    org_id: int = request.user.organisation_id  # type: ignore[union-attr,assignment]
    response = render(
        request,
        "accounts/organisation_keys.html",
        {
            "has_keys": sealing.has_keys(org_id),
            "unlocked": sealing.is_unlocked(request, org_id),
            "recovery_key": recovery_key,
            "rotated": rotated,
            "waiting": sealing.users_waiting_for_access(org_id, roles_with(Perm.REPORT_VIEW)),
            "recover_form": recover_form or RecoveryKeyForm(),
            "rotate_form": rotate_form or RotateKeysForm(),
        },
        status=status,
    )
    return sealing.set_unlock_cookie(request, response)


@require_POST
def organisation_keys_rotate(request: HttpRequest) -> HttpResponse:
    """Replace the organisation's key pair (after someone with access left, or a device or
    password was exposed); show the new recovery key once."""
    if not can(request.user, Perm.STAFF_MANAGE):
        raise PermissionDenied
    form = RotateKeysForm(request.POST)
    if not form.is_valid():
        return _organisation_keys_page(request, rotate_form=form, status=400)
    try:
        recovery_key = sealing.organisation_keys_rotate(request, actor=request.user)
    except sealing.NoKeys:
        messages.error(request, _("The organisation has no keys yet: create them first."))
        return redirect("accounts:organisation_keys")
    except sealing.Locked:
        messages.error(
            request,
            _("Your session does not hold the organisation's current key. Sign out and sign in again, then rotate it."),
        )
        return redirect("accounts:organisation_keys")
    messages.success(
        request,
        _("The organisation's key is replaced. Colleagues with access sign in again to open reports."),
    )
    return _organisation_keys_page(request, recovery_key=recovery_key, rotated=True)


# --- Data-sharing agreements (issue 9, decision 0019) ------------------------------------


def agreement_list(request: HttpRequest) -> HttpResponse:
    """The organisation's agreements with the other party, status and dates; for
    administrators also the emergency bases either side recorded."""
    if not can(request.user, Perm.AGREEMENT_VIEW):
        raise PermissionDenied
    user = cast(User, request.user)  # signed in: LoginRequiredMiddleware
    agreements = list(SharingAgreement.objects.visible_to(user).select_related("proposer", "receiver"))
    for agreement in agreements:
        agreement.other = agreement.other_party(user.organisation_id)  # type: ignore[attr-defined]
    bases = list(EmergencySharingBasis.objects.visible_to(user).select_related("organisation", "recipient")[:50])
    return render(
        request,
        "accounts/agreement_list.html",
        {"agreements": agreements, "bases": bases, "can_manage": can(user, Perm.AGREEMENT_MANAGE)},
    )


def agreement_propose(request: HttpRequest) -> HttpResponse:
    if not can(request.user, Perm.AGREEMENT_MANAGE):
        raise PermissionDenied
    user = cast(User, request.user)
    form = AgreementProposeForm(request.POST or None, organisation_id=cast(int, user.organisation_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = services.agreement_propose(
                actor=user,
                receiver=data["receiver"],
                purposes=data["purposes"],
                field_sets=data["field_sets"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("The agreement was proposed. The other organisation's administrators were told.")
            )
            return redirect("accounts:agreement_detail", pk=agreement.pk)
    return render(request, "accounts/agreement_propose.html", {"form": form}, status=400 if form.errors else 200)


def _agreement_page(
    request: HttpRequest, agreement: SharingAgreement, *, form: ReasonForm | None = None, status: int = 200
) -> HttpResponse:
    user = cast(User, request.user)
    current = agreement.current_status()
    ours = user.organisation_id
    manage = can(user, Perm.AGREEMENT_MANAGE)
    context = {
        "agreement": agreement,
        "other": agreement.other_party(ours),
        "we_proposed": agreement.proposer_id == ours,
        "current_status": current,
        "can_decide": manage and current == AgreementStatus.PROPOSED and agreement.receiver_id == ours,
        "can_end": manage
        and (
            current == AgreementStatus.ACTIVE or (current == AgreementStatus.PROPOSED and agreement.proposer_id == ours)
        ),
        "reason_form": form or ReasonForm(),
        "field_sets": [FIELD_SETS[key] for key in agreement.field_sets if key in FIELD_SETS],
    }
    return render(request, "accounts/agreement_detail.html", context, status=status)


def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_visible_or_404(SharingAgreement, request.user, pk=pk)
    return _agreement_page(request, agreement)


@require_POST
def agreement_accept(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = get_visible_or_404(SharingAgreement, request.user, pk=pk)
    if not can(request.user, Perm.AGREEMENT_MANAGE):
        raise PermissionDenied
    try:
        services.agreement_accept(actor=cast(User, request.user), agreement=agreement)
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc))
    else:
        messages.success(request, _("The agreement is active."))
    return redirect("accounts:agreement_detail", pk=agreement.pk)


def _with_reason(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    agreement = get_visible_or_404(SharingAgreement, request.user, pk=pk)
    if not can(request.user, Perm.AGREEMENT_MANAGE):
        raise PermissionDenied
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _agreement_page(request, agreement, form=form, status=400)
    try:
        action(actor=cast(User, request.user), agreement=agreement, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(str(m) for m in exc))
    else:
        messages.success(request, done)
    return redirect("accounts:agreement_detail", pk=agreement.pk)


@require_POST
def agreement_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_reason(request, pk, services.agreement_decline, _("The agreement was declined."))


@require_POST
def agreement_end(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_reason(request, pk, services.agreement_end, _("The agreement was ended."))


def emergency_basis_create(request: HttpRequest) -> HttpResponse:
    """Record an emergency basis to share with an organisation without an agreement."""
    if not can(request.user, Perm.AGREEMENT_MANAGE):
        raise PermissionDenied
    user = cast(User, request.user)
    form = EmergencyBasisForm(request.POST or None, organisation_id=cast(int, user.organisation_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.emergency_basis_record(
                actor=user,
                recipient=data["recipient"],
                purpose=data["purpose"],
                field_set=data["field_set"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The emergency basis was recorded. It is valid for 72 hours."))
            return redirect("accounts:agreement_list")
    return render(request, "accounts/emergency_basis_create.html", {"form": form}, status=400 if form.errors else 200)
