"""Sealed data: only staff with a grant, in a session unlocked at sign-in, can open it."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from amparo.core import sealing
from amparo.core.models import AuditEntry, KeyGrant, OrganisationKeys
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


# --- rotation ---------------------------------------------------------------------------------

LATER = b"Two more were brought to the Calle Luna workshop last night"


def key_from_grant(user) -> PrivateKey:
    """The organisation key as this colleague could copy it while they held a grant."""
    staff_private, _replaced = sealing.staff_key_open(user=user, password=PASSWORD)
    grant = KeyGrant.objects.get(user=user)
    return PrivateKey(SealedBox(staff_private).decrypt(base64.b64decode(grant.sealed_private_key)))


def rotate(client: Client) -> str:
    """Rotate through the keys page; return the new recovery key shown."""
    page = client.post(reverse("accounts:organisation_keys_rotate"), {"confirm": "on"})
    assert page.status_code == 200, page.content[:2000]
    return re.search(rb'<code class="secret">([A-Z0-9-]+)</code>', page.content).group(1).decode()


def test_after_rotation_who_stays_reads_everything_and_who_left_nothing_new(staff_a, org_a):
    org_with_keys(org_a)
    admin, worker, leaver = staff_a[Role.ORG_ADMIN], staff_a[Role.CASE_WORKER], staff_a[Role.HOTLINE_ADVOCATE]
    stolen = key_from_grant(leaver)
    earlier = sealing.seal(org_a.pk, SECRET)
    before_rotation = sign_in_for_real(worker)
    admin_client = sign_in_for_real(admin)

    response = admin_client.post(
        reverse("accounts:staff_edit", args=[leaver.pk]), {"role": Role.HOTLINE_ADVOCATE}, follow=True
    )
    assert not KeyGrant.objects.filter(user=leaver).exists()
    assert response.redirect_chain[-1][0] == reverse("accounts:organisation_keys") + "#rotate"
    assert b"rotate the organisation key below" in response.content
    rotate(admin_client)
    later = sealing.seal(org_a.pk, LATER)

    assert SealedBox(stolen).decrypt(earlier)  # what they could see stays seen
    with pytest.raises(CryptoError):
        SealedBox(stolen).decrypt(later)
    assert sealing.unseal(request_for(admin_client, admin), org_a.pk, later) == LATER
    with pytest.raises(sealing.Locked):  # a session from before the rotation holds the retired key
        sealing.unseal(request_for(before_rotation, worker), org_a.pk, earlier)
    again = request_for(sign_in_for_real(worker), worker)
    assert sealing.unseal(again, org_a.pk, earlier) == SECRET
    assert sealing.unseal(again, org_a.pk, later) == LATER


def test_the_new_recovery_key_opens_every_generation_and_the_old_one_nothing(staff_a, org_a):
    first_recovery = org_with_keys(org_a)
    admin = staff_a[Role.ORG_ADMIN]
    first = sealing.seal(org_a.pk, SECRET)
    client = sign_in_for_real(admin)
    second_recovery = rotate(client)
    second = sealing.seal(org_a.pk, LATER)
    third_recovery = rotate(client)
    assert len({first_recovery, second_recovery, third_recovery}) == 3
    keys = OrganisationKeys.objects.get(organisation=org_a)
    assert keys.generation == 3 and keys.rotated_at is not None
    KeyGrant.objects.all().delete()  # every grant lost
    client = sign_in_for_real(admin)
    for old in (first_recovery, second_recovery):
        refused = client.post(reverse("accounts:organisation_keys"), {"action": "recover", "recovery_key": old})
        assert b"does not open" in refused.content
    with pytest.raises(sealing.Locked):
        sealing.unseal(request_for(client, admin), org_a.pk, first)
    client.post(reverse("accounts:organisation_keys"), {"action": "recover", "recovery_key": third_recovery})
    request = request_for(client, admin)
    assert sealing.unseal(request, org_a.pk, first) == SECRET
    assert sealing.unseal(request, org_a.pk, second) == LATER


def test_reports_sent_after_rotation_are_sealed_to_the_new_key_and_a_stale_session_sees_the_locked_page(
    staff_a, org_a, settings
):
    from amparo.reports.models import RoutingRule, Signal
    from tests.test_reports import submit

    settings.AMPARO_RECEIPT_OPSLIMIT, settings.AMPARO_RECEIPT_MEMLIMIT = 1, 8192
    settings.AMPARO_POW_BITS, settings.AMPARO_POW_MAX_BITS = 4, 8
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    admin, worker = staff_a[Role.ORG_ADMIN], staff_a[Role.CASE_WORKER]
    stolen = key_from_grant(worker)
    submit()  # this process now holds the routing table with the first public key
    earlier = Signal.objects.get(organisation=org_a)
    stale = sign_in_for_real(worker)
    rotate(sign_in_for_real(admin))
    submit()
    later = Signal.objects.exclude(pk=earlier.pk).get(organisation=org_a)
    assert _opens(stolen, earlier)
    assert not _opens(stolen, later)  # sealed to the new public key at once

    page = stale.get(reverse("reports:signal_detail", args=[later.reference]))
    assert page.status_code == 200
    assert b"this session cannot open it" in page.content
    fresh = sign_in_for_real(worker)
    for signal in (earlier, later):
        assert fresh.get(reverse("reports:signal_detail", args=[signal.reference])).status_code == 200
        assert b"Oaxaca" in fresh.get(reverse("reports:signal_detail", args=[signal.reference])).content


def _opens(private: PrivateKey, signal) -> bool:
    try:
        SealedBox(private).decrypt(bytes(signal.sealed))
    except CryptoError:
        return False
    return True


def test_only_an_administrator_rotates_and_only_their_own_organisations_key(staff_a, staff_b, org_a):
    org_with_keys(org_a)
    before = OrganisationKeys.objects.get(organisation=org_a).public_key
    worker = sign_in_for_real(staff_a[Role.CASE_WORKER])
    assert worker.post(reverse("accounts:organisation_keys_rotate"), {"confirm": "on"}).status_code == 403
    anonymous = Client().post(reverse("accounts:organisation_keys_rotate"), {"confirm": "on"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    other_admin = sign_in_for_real(staff_b[Role.ORG_ADMIN])
    answer = other_admin.post(reverse("accounts:organisation_keys_rotate"), {"confirm": "on"}, follow=True)
    assert b"no keys yet" in answer.content
    assert OrganisationKeys.objects.get(organisation=org_a).public_key == before
    assert not AuditEntry.objects.filter(action="keys.rotate").exists()
    with pytest.raises(PermissionDenied):
        sealing.organisation_keys_rotate(
            request_for(worker, staff_a[Role.CASE_WORKER]), actor=staff_a[Role.CASE_WORKER]
        )
    assert (
        sign_in_for_real(staff_a[Role.ORG_ADMIN]).get(reverse("accounts:organisation_keys_rotate")).status_code == 405
    )  # POST only


def test_rotating_needs_the_confirmation_and_the_current_key_in_the_session(staff_a, org_a):
    recovery = org_with_keys(org_a)
    admin = staff_a[Role.ORG_ADMIN]
    keys = OrganisationKeys.objects.get(organisation=org_a)
    grants = dict(KeyGrant.objects.values_list("pk", "sealed_private_key"))
    client = sign_in_for_real(admin)
    page = client.post(reverse("accounts:organisation_keys_rotate"), {})
    assert page.status_code == 400
    assert b"Tick the box to confirm" in page.content
    assert b'class="secret"' not in page.content
    unchanged = OrganisationKeys.objects.get(organisation=org_a)
    assert (unchanged.public_key, unchanged.recovery_box, unchanged.generation) == (
        keys.public_key,
        keys.recovery_box,
        1,
    )
    assert dict(KeyGrant.objects.values_list("pk", "sealed_private_key")) == grants
    # A second administrator session from before someone else's rotation is sent to sign in again.
    stale = sign_in_for_real(admin)
    rotate(client)
    refused = stale.post(reverse("accounts:organisation_keys_rotate"), {"confirm": "on"}, follow=True)
    assert b"Sign out and sign in again, then rotate it" in refused.content
    assert OrganisationKeys.objects.get(organisation=org_a).generation == 2
    assert (
        b"does not open"
        in client.post(reverse("accounts:organisation_keys"), {"action": "recover", "recovery_key": recovery}).content
    )


def test_rotation_is_audited_without_key_material(staff_a, org_a):
    org_with_keys(org_a)
    admin = staff_a[Role.ORG_ADMIN]
    client = sign_in_for_real(admin)
    old_private = sealing._session_private_key(request_for(client, admin), org_a.pk)
    recovery = rotate(client)
    new_private = sealing._session_private_key(request_for(client, admin), org_a.pk)
    entry = AuditEntry.objects.get(action="keys.rotate")
    assert entry.actor == admin and "generation 2" in entry.reason
    text = " ".join(str(value) for value in AuditEntry.objects.values_list().all()).encode()
    for key in (old_private, new_private):
        for needle in (bytes(key), base64.b64encode(bytes(key)), bytes(key).hex().encode()):
            assert needle not in text
    assert recovery.encode() not in text and recovery.replace("-", "").encode() not in text


@pytest.mark.django_db(transaction=True)
def test_after_rotation_the_database_still_holds_no_usable_key_nor_plaintext(staff_a, org_a):
    org_with_keys(org_a)
    admin = staff_a[Role.ORG_ADMIN]
    sealing.seal(org_a.pk, SECRET)
    client = sign_in_for_real(admin)
    old_private = sealing._session_private_key(request_for(client, admin), org_a.pk)
    recovery = rotate(client)
    sealing.seal(org_a.pk, LATER)
    new_private = sealing._session_private_key(request_for(client, admin), org_a.pk)
    raw = raw_database_bytes()
    for key in (old_private, new_private):
        for needle in (bytes(key), base64.b64encode(bytes(key)), bytes(key).hex().encode()):
            assert needle not in raw
    recovery_raw = sealing._parse_recovery(recovery)
    assert recovery_raw not in raw and base64.b64encode(recovery_raw) not in raw
    assert recovery.encode() not in raw
    assert SECRET not in raw and LATER not in raw
