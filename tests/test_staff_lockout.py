"""Locked-out staff (issue 8, item 13): the lock's duration on the sign-in page, the same
for unknown addresses; an indicator and an unlock for the organisation's administrator;
new colleagues waiting for the key named on the admin's home page and at invitation; the
invitation's role defaults to the least privileged one."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from amparo.accounts import services
from amparo.accounts.forms import InviteForm
from amparo.core.models import AuditEntry
from amparo.core.permissions import ROLE_PERMISSIONS, Role
from tests.conftest import PASSWORD, verified_client


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def lock(email: str, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), email, "wrong-password")


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_locked_page_says_how_long_and_is_the_same_for_an_unknown_address(staff_a, settings):
    settings.AXES_COOLOFF_TIME = __import__("datetime").timedelta(minutes=60)
    lock(staff_a[Role.CASE_WORKER].email, settings)
    lock("nobody-here@unknown.test", settings)
    known = sign_in(Client(), staff_a[Role.CASE_WORKER].email)
    unknown = sign_in(Client(), "nobody-here@unknown.test")
    assert known.status_code == unknown.status_code == 429
    assert "paused for 60 minutes after the last failed attempt" in _text(known)
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|nonce="[^"]*"')
    assert strip.sub("", known.content.decode()) == strip.sub("", unknown.content.decode())


def test_the_admin_sees_the_lock_and_lifts_it_audited(staff_a, settings):
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    lock(worker.email, settings)
    assert services.locked_until(worker) is not None
    client = verified_client(admin)
    staff_page = _text(client.get(reverse("accounts:staff_list")))
    assert "Sign-in locked until" in staff_page
    assert reverse("accounts:staff_unlock", args=[worker.pk]) in staff_page
    home = _text(client.get(reverse("core:home")))
    assert "1 colleague is locked out after failed sign-ins." in home
    response = client.post(reverse("accounts:staff_unlock", args=[worker.pk]))
    assert response.status_code == 302
    assert services.locked_until(worker) is None
    assert AuditEntry.objects.filter(action="staff.unlock", object_id=str(worker.pk), actor=admin).exists()
    assert sign_in(Client(), worker.email).status_code == 302


def test_another_organisations_admin_cannot_unlock(staff_a, staff_b, settings):
    worker = staff_a[Role.CASE_WORKER]
    lock(worker.email, settings)
    response = verified_client(staff_b[Role.ORG_ADMIN]).post(reverse("accounts:staff_unlock", args=[worker.pk]))
    assert response.status_code == 404
    assert services.locked_until(worker) is not None


def test_the_admin_home_names_colleagues_waiting_for_the_key(staff_a):
    from amparo.core.models import StaffKey

    admin, worker = staff_a[Role.ORG_ADMIN], staff_a[Role.CASE_WORKER]
    home = _text(verified_client(admin).get(reverse("core:home")))
    assert "no keys for sealed reports yet" in home
    # Keys created, then a colleague loses their grant (a reset password does that): waiting.
    from amparo.core.models import KeyGrant
    from tests.sealing_helpers import org_with_keys

    org_with_keys(admin.organisation)
    KeyGrant.objects.filter(user=worker).delete()
    assert StaffKey.objects.filter(user=worker).exists()
    home = _text(verified_client(admin).get(reverse("core:home")))
    assert "cannot open reports until you give them access" in home
    assert reverse("accounts:organisation_keys") in home


def test_the_invitation_confirmation_points_to_the_keys_page(staff_a, django_capture_on_commit_callbacks):
    client = verified_client(staff_a[Role.ORG_ADMIN])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:staff_invite"),
            {"email": "new.worker@alpha.test", "role": Role.CASE_WORKER},
            follow=True,
        )
    assert len(mail.outbox) == 1
    assert "cannot open reports until you give them access" in _text(response)


def test_the_invitation_role_defaults_to_the_least_privileged(staff_a):
    initial = InviteForm().get_initial_for_field(InviteForm().fields["role"], "role")
    assert initial != Role.ORG_ADMIN
    # The fewest permissions of any role (no role is a subset of all others since the routes
    # and awareness parts were built), and none that reads or changes a person's data.
    assert all(len(ROLE_PERMISSIONS[initial]) <= len(perms) for perms in ROLE_PERMISSIONS.values())
    personal = {
        p
        for p in ROLE_PERMISSIONS[Role.CASE_WORKER] | ROLE_PERMISSIONS[Role.ORG_ADMIN]
        if p.startswith(("case.", "report.", "referral.", "shelter.", "staff.", "agreement.", "audit.", "place."))
    }
    assert not ROLE_PERMISSIONS[initial] & personal
    page = verified_client(staff_a[Role.ORG_ADMIN]).get(reverse("accounts:staff_list")).content.decode()
    selected = re.search(r'<option value="([a-z_]+)" selected>', page)
    assert selected and selected.group(1) == initial
