"""Sealed data: only staff with a grant, in a session unlocked at sign-in, can open it."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from amparo.core import sealing
from amparo.core.models import AuditEntry, KeyGrant
from amparo.core.permissions import Role
from tests.conftest import PASSWORD, verified_client
from tests.rawdb import raw_database_bytes
from tests.sealing_helpers import org_with_keys, sign_in_for_real

SECRET = b"The minors are kept in the back room of the Calle Luna workshop"


def request_for(client: Client, user) -> HttpRequest:
    """The request the server would build for this browser: its session and its cookies."""
    request = HttpRequest()
    request.session = SessionStore(client.cookies["sessionid"].value)
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    request.user = user
    return request


def test_a_colleague_with_a_grant_opens_what_was_sealed(staff_a, org_a):
    org_with_keys(org_a)
    blob = sealing.seal(org_a.pk, SECRET)
    assert SECRET not in blob
    worker = staff_a[Role.CASE_WORKER]
    client = sign_in_for_real(worker)
    assert sealing.unseal(request_for(client, worker), org_a.pk, blob) == SECRET


def test_the_session_store_alone_cannot_open_it(staff_a, org_a):
    """Whoever reads the sessions table (or cache) but not the browser's cookie gets nothing."""
    org_with_keys(org_a)
    blob = sealing.seal(org_a.pk, SECRET)
    worker = staff_a[Role.CASE_WORKER]
    client = sign_in_for_real(worker)
    request = request_for(client, worker)
    request.COOKIES.pop(sealing.UNLOCK_COOKIE)
    with pytest.raises(sealing.Locked):
        sealing.unseal(request, org_a.pk, blob)
    request.COOKIES[sealing.UNLOCK_COOKIE] = base64.b64encode(b"x" * 32).decode()
    with pytest.raises(sealing.Locked):
        sealing.unseal(request, org_a.pk, blob)


def test_roles_without_access_and_other_organisations_cannot_open_it(staff_a, staff_b, org_a, org_b):
    org_with_keys(org_a)
    org_with_keys(org_b)
    blob = sealing.seal(org_a.pk, SECRET)
    analyst = staff_a[Role.ANALYST]  # no report access: no grant
    with pytest.raises(sealing.Locked):
        sealing.unseal(request_for(sign_in_for_real(analyst), analyst), org_a.pk, blob)
    other = staff_b[Role.CASE_WORKER]
    with pytest.raises(sealing.Locked):
        sealing.unseal(request_for(sign_in_for_real(other), other), org_a.pk, blob)
    with pytest.raises(sealing.Locked):  # and their own key does not open A's data either
        request = request_for(sign_in_for_real(other), other)
        request.user = other
        sealing.unseal(request, org_b.pk, blob)


@pytest.mark.django_db(transaction=True)
def test_no_usable_key_is_in_the_database(staff_a, org_a):
    recovery = org_with_keys(org_a)
    worker = staff_a[Role.CASE_WORKER]
    client = sign_in_for_real(worker)
    sealing.seal(org_a.pk, SECRET)
    # Recover the private key the way only the offline recovery key allows, then look for it.
    from nacl.secret import SecretBox

    from amparo.core.models import OrganisationKeys

    keys = OrganisationKeys.objects.get(organisation=org_a)
    private = SecretBox(sealing._parse_recovery(recovery)).decrypt(base64.b64decode(keys.recovery_box))
    cookie = base64.b64decode(client.cookies[sealing.UNLOCK_COOKIE].value)
    raw = raw_database_bytes()
    for needle in (private, base64.b64encode(private), private.hex().encode(), cookie, base64.b64encode(cookie)):
        assert needle not in raw
    assert SECRET not in raw


def test_changing_the_password_keeps_access(staff_a, org_a):
    org_with_keys(org_a)
    worker = staff_a[Role.CASE_WORKER]
    client = sign_in_for_real(worker)
    new = "another-long-passphrase-2026"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    blob = sealing.seal(org_a.pk, SECRET)
    again = sign_in_for_real(worker, new)
    assert sealing.unseal(request_for(again, worker), org_a.pk, blob) == SECRET


def test_a_password_reset_loses_access_until_an_administrator_gives_it_back(staff_a, org_a):
    org_with_keys(org_a)
    worker, admin = staff_a[Role.CASE_WORKER], staff_a[Role.ORG_ADMIN]
    blob = sealing.seal(org_a.pk, SECRET)
    Client().post(reverse("accounts:password_reset"), {"email": worker.email})
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[-1].body).group(1)
    browser = Client()
    form = browser.get(link, follow=True)
    new = "reset-passphrase-2026-long"
    browser.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})

    after_reset = sign_in_for_real(worker, new)
    with pytest.raises(sealing.Locked):
        sealing.unseal(request_for(after_reset, worker), org_a.pk, blob)
    assert AuditEntry.objects.filter(action="keys.staff_key_replaced").exists()

    admin_client = sign_in_for_real(admin)
    page = admin_client.get(reverse("accounts:organisation_keys"))
    assert worker.full_name.encode() in page.content  # listed as waiting for access
    admin_client.post(reverse("accounts:organisation_keys"), {"action": "grant"})
    restored = sign_in_for_real(worker, new)
    assert sealing.unseal(request_for(restored, worker), org_a.pk, blob) == SECRET


def test_the_recovery_key_restores_access_when_nobody_has_it(staff_a, org_a):
    recovery = org_with_keys(org_a)
    admin = staff_a[Role.ORG_ADMIN]
    blob = sealing.seal(org_a.pk, SECRET)
    KeyGrant.objects.all().delete()  # every grant lost (e.g. every password reset)
    client = sign_in_for_real(admin)
    wrong = client.post(reverse("accounts:organisation_keys"), {"action": "recover", "recovery_key": "AAAA-BBBB"})
    assert b"does not open" in wrong.content
    client.post(reverse("accounts:organisation_keys"), {"action": "recover", "recovery_key": recovery.lower()})
    assert sealing.unseal(request_for(client, admin), org_a.pk, blob) == SECRET


def test_creating_the_keys_shows_the_recovery_key_once(staff_a, org_a):
    admin = staff_a[Role.ORG_ADMIN]
    client = sign_in_for_real(admin)
    page = client.post(reverse("accounts:organisation_keys"), {"action": "create"})
    shown = re.search(rb'<code class="secret">([A-Z0-9-]+)</code>', page.content).group(1).decode()
    assert len(shown.replace("-", "")) >= 52  # 256 bits in base32
    assert shown.encode() not in client.get(reverse("accounts:organisation_keys")).content
    assert sealing.unseal(request_for(client, admin), org_a.pk, sealing.seal(org_a.pk, SECRET)) == SECRET


def test_deactivation_removes_the_grant(staff_a, org_a):
    org_with_keys(org_a)
    worker = staff_a[Role.CASE_WORKER]
    verified_client(staff_a[Role.ORG_ADMIN]).post(
        reverse("accounts:staff_edit", args=[worker.pk]), {"role": Role.CASE_WORKER}
    )
    assert not KeyGrant.objects.filter(user=worker).exists()


def test_signing_out_drops_the_unlock_cookie(staff_a, org_a):
    org_with_keys(org_a)
    client = sign_in_for_real(staff_a[Role.CASE_WORKER])
    assert client.cookies[sealing.UNLOCK_COOKIE].value
    client.post(reverse("accounts:logout"))
    assert client.cookies[sealing.UNLOCK_COOKIE].value == ""
