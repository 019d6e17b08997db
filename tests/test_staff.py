"""Organisation administrators invite staff, give roles, and keep at least one admin."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import Invitation, User
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import verified_client


def test_an_invited_person_joins_with_the_role_they_were_given(staff_a, org_a, django_capture_on_commit_callbacks):
    admin = verified_client(staff_a[Role.ORG_ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("accounts:staff_invite"), {"email": "New.Person@x.test", "role": Role.SHELTER_MANAGER}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    token_path = re.search(r"(/accounts/invitation/[^/\s]+/)", mail.outbox[0].body).group(1)
    assert Invitation.objects.get().token_hash not in mail.outbox[0].body  # only the hash is stored
    client = Client()
    form = client.get(token_path)
    assert b"new.person@x.test" in form.content
    joined = client.post(
        token_path,
        {"full_name": "New Person", "password1": "long-enough-pass-2026", "password2": "long-enough-pass-2026"},
    )
    assert joined["Location"] == reverse("accounts:two_factor_setup")
    user = User.objects.get(email="new.person@x.test")
    assert (user.organisation, user.role) == (org_a, Role.SHELTER_MANAGER)
    assert Client().get(token_path).status_code == 404  # used once only
    assert (
        AuditEntry.objects.filter(action="staff.invite").exists()
        and AuditEntry.objects.filter(action="staff.join").exists()
    )


def test_only_administrators_invite(staff_a):
    worker = verified_client(staff_a[Role.CASE_WORKER])
    response = worker.post(reverse("accounts:staff_invite"), {"email": "x@x.test", "role": Role.ORG_ADMIN})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_an_administrator_changes_a_role_and_it_is_audited(staff_a):
    analyst = staff_a[Role.ANALYST]
    admin = verified_client(staff_a[Role.ORG_ADMIN])
    admin.post(reverse("accounts:staff_edit", args=[analyst.pk]), {"role": Role.CASE_WORKER, "is_active": "on"})
    analyst.refresh_from_db()
    assert analyst.role == Role.CASE_WORKER
    entry = AuditEntry.objects.get(action="staff.update")
    assert "analyst -> case_worker" in entry.reason


def test_the_last_administrator_cannot_be_removed(staff_a):
    admin_user = staff_a[Role.ORG_ADMIN]
    admin = verified_client(admin_user)
    response = admin.post(
        reverse("accounts:staff_edit", args=[admin_user.pk]), {"role": Role.ANALYST, "is_active": "on"}
    )
    assert response.status_code == 200 and b"at least one active administrator" in response.content
    admin_user.refresh_from_db()
    assert admin_user.role == Role.ORG_ADMIN


def test_another_organisations_staff_cannot_be_changed(staff_a, staff_b):
    target = staff_a[Role.ANALYST]
    other_admin = verified_client(staff_b[Role.ORG_ADMIN])
    response = other_admin.post(
        reverse("accounts:staff_edit", args=[target.pk]), {"role": Role.ORG_ADMIN, "is_active": "on"}
    )
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.role == Role.ANALYST


def test_a_deactivated_member_can_no_longer_sign_in(staff_a):
    analyst = staff_a[Role.ANALYST]
    verified_client(staff_a[Role.ORG_ADMIN]).post(
        reverse("accounts:staff_edit", args=[analyst.pk]), {"role": Role.ANALYST}
    )
    from tests.test_auth import sign_in

    response = sign_in(Client(), analyst.email)
    assert response.status_code == 200 and b"not correct" in response.content


def test_an_administrator_resets_a_lost_authenticator(staff_a):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.test_auth import sign_in

    analyst = staff_a[Role.ANALYST]
    verified_client(staff_a[Role.ORG_ADMIN]).post(
        reverse("accounts:staff_edit", args=[analyst.pk]),
        {"role": Role.ANALYST, "is_active": "on", "reset_two_factor": "on"},
    )
    assert not TOTPDevice.objects.filter(user=analyst).exists()
    assert "two-factor reset" in AuditEntry.objects.get(action="staff.update").reason
    client = Client()
    sign_in(client, analyst.email)
    assert client.get("/")["Location"] == reverse("accounts:two_factor_setup")


def test_the_operator_creates_an_organisation_and_its_first_admin_joins(db):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "create_organisation",
        "--name",
        "Casa Refugio",
        "--type",
        "ngo",
        "--country",
        "mex",
        "--admin-email",
        "Director@casa.test",
        "--base-url",
        "https://amparo.test",
        stdout=out,
    )
    path = re.search(r"https://amparo\.test(/accounts/invitation/\S+/)", out.getvalue()).group(1)
    Client().post(
        path, {"full_name": "Directora", "password1": "long-enough-pass-2026", "password2": "long-enough-pass-2026"}
    )
    user = User.objects.get(email="director@casa.test")
    assert (user.organisation.name, user.organisation.country, user.role) == ("Casa Refugio", "MEX", Role.ORG_ADMIN)


def test_an_unknown_country_is_refused_and_nothing_is_created(db):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from amparo.accounts.models import Organisation

    with pytest.raises(CommandError, match="country"):
        call_command(
            "create_organisation", "--name", "X", "--type", "ngo", "--country", "XXX", "--admin-email", "a@b.test"
        )
    assert not Organisation.objects.exists()


def test_inviting_someone_with_an_account_elsewhere_looks_like_any_invitation(
    staff_a, staff_b, django_capture_on_commit_callbacks
):
    """An administrator learns nothing about accounts in other organisations: the answer is
    the one a fresh address gets; the address's owner is told by e-mail, with no link."""
    admin = verified_client(staff_b[Role.ORG_ADMIN])
    elsewhere = staff_a[Role.CASE_WORKER].email
    with django_capture_on_commit_callbacks(execute=True):
        fresh = admin.post(reverse("accounts:staff_invite"), {"email": "nobody.yet@x.test", "role": Role.ANALYST})
        taken = admin.post(reverse("accounts:staff_invite"), {"email": elsewhere, "role": Role.ANALYST})
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"]) == (302, "/accounts/staff/")
    listing = admin.get(reverse("accounts:staff_list")).content.decode()
    assert f"Invitation sent to {elsewhere}." in listing
    assert "already has an account" not in listing
    notice = next(message for message in mail.outbox if message.to == [elsewhere])
    assert "/accounts/invitation/" not in notice.body and "already has an Amparo account" in notice.body
    assert User.objects.filter(email=elsewhere).get().organisation == staff_a[Role.CASE_WORKER].organisation


def test_inviting_a_colleague_who_already_has_an_account_here_says_so(staff_a):
    admin = verified_client(staff_a[Role.ORG_ADMIN])
    response = admin.post(
        reverse("accounts:staff_invite"), {"email": staff_a[Role.CASE_WORKER].email, "role": Role.ANALYST}
    )
    assert response.status_code == 400 and b"already has an account in your organisation" in response.content
    assert not Invitation.objects.exists()
