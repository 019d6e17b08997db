"""Staff sign-in: Argon2, two-factor before anything, lock-out, idle timeout, reset, demo accounts."""

from __future__ import annotations

import re

from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import Organisation, User
from amparo.core.permissions import Role
from tests.conftest import PASSWORD, make_user, verified_client


def totp_now(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_passwords_are_stored_with_argon2(settings, org_a):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user(org_a, Role.ANALYST, email="argon@x.test")
    assert user.password.startswith("argon2$argon2id$")


def test_password_alone_opens_nothing_until_the_code_is_entered(staff_a):
    worker = staff_a[Role.CASE_WORKER]
    client = Client()
    assert sign_in(client, worker.email).status_code == 302
    assert client.get(reverse("cases:case_list"))["Location"] == reverse("accounts:two_factor_verify")
    wrong = client.post(reverse("accounts:two_factor_verify"), {"token": "000000"})
    assert wrong.status_code == 200 and b"not right" in wrong.content
    device = TOTPDevice.objects.get(user=worker)
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post(reverse("accounts:two_factor_verify"), {"token": totp_now(device)})
    assert ok.status_code == 302
    assert client.get(reverse("cases:case_list")).status_code == 200


def test_a_new_account_must_bind_an_authenticator_first(org_a):
    user = User.objects.create_user(
        "fresh@x.test", PASSWORD, full_name="Fresh Person", organisation=org_a, role=Role.CASE_WORKER
    )
    client = Client()
    sign_in(client, user.email)
    assert client.get("/")["Location"] == reverse("accounts:two_factor_setup")
    page = client.get(reverse("accounts:two_factor_setup"))
    assert b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("accounts:two_factor_setup"), {"token": totp_now(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("cases:case_list")).status_code == 200


def test_repeated_failures_lock_the_account_even_with_the_right_password(staff_a, settings):
    worker = staff_a[Role.CASE_WORKER]
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, worker.email, "wrong-password")
    locked = sign_in(Client(), worker.email)
    assert locked.status_code == 429
    assert b"Sign-in paused" in locked.content
    assert "_auth_user_id" not in client.session


def test_lock_out_is_per_account_not_per_address(staff_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), staff_a[Role.CASE_WORKER].email, "wrong-password")
    other = sign_in(Client(), staff_a[Role.ANALYST].email)
    assert other.status_code == 302  # a colleague in the same office still signs in


def test_idle_sessions_end(staff_a):
    client = verified_client(staff_a[Role.CASE_WORKER])
    assert client.get(reverse("cases:case_list")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = client.get(reverse("cases:case_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_each_request_extends_the_idle_deadline(staff_a, settings):
    client = verified_client(staff_a[Role.CASE_WORKER])
    Session.objects.update(expire_date=timezone.now() + timezone.timedelta(seconds=30))
    client.get(reverse("core:home"))
    assert Session.objects.get().expire_date > timezone.now() + timezone.timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )


def test_password_reset_by_email(staff_a):
    worker = staff_a[Role.CASE_WORKER]
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": worker.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    new = "a-brand-new-passphrase-2026"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert sign_in(Client(), worker.email, new).status_code == 302


def test_password_reset_for_an_unknown_address_looks_the_same(db):
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@x.test"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_demo_accounts_sign_in_only_while_debug_is_on(settings, org_a):
    User.objects.create_user(
        "demo@x.test", PASSWORD, full_name="Demo", organisation=org_a, role=Role.ANALYST, is_demo=True
    )
    settings.DEBUG = False
    refused = sign_in(Client(), "demo@x.test")
    assert refused.status_code == 200 and b"not correct" in refused.content
    settings.DEBUG = True
    assert sign_in(Client(), "demo@x.test").status_code == 302


def test_the_language_choice_is_kept_on_the_account(staff_a):
    worker = staff_a[Role.CASE_WORKER]
    client = verified_client(worker)
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    worker.refresh_from_db()
    assert worker.language == "es"
    fresh = verified_client(worker)  # a new browser: no language cookie
    page = fresh.get(reverse("core:home"))
    assert b'lang="es"' in page.content


def test_the_browser_language_is_followed_before_sign_in(db):
    page = Client().get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="es")
    assert b'lang="es"' in page.content


def test_security_headers_allow_nothing_from_other_hosts(db):
    response = Client().get(reverse("accounts:login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert not re.search(rb'(src|href)="(https?:)?//', response.content)


def test_seed_demo_is_idempotent(settings, db):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    counts = (Organisation.objects.count(), User.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert (Organisation.objects.count(), User.objects.count()) == counts
    assert counts[0] >= 2 and counts[1] == counts[0] * len(Role.values)


def test_changing_the_case_of_the_address_does_not_dodge_lock_out(staff_a, settings):
    worker = staff_a[Role.CASE_WORKER]
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), worker.email.upper() if i % 2 else worker.email, "wrong-password")
    assert sign_in(Client(), worker.email.title()).status_code == 429
