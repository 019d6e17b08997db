"""Test helpers for sealed data: organisations with keys and sessions that hold them."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import Organisation, User
from amparo.core import sealing
from amparo.core.models import KeyGrant, OrganisationKeys
from tests.conftest import PASSWORD


def sign_in_for_real(user: User, password: str = PASSWORD) -> Client:
    """Sign in through the real form (which unlocks sealed keys), then pass two-factor."""
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.email, "password": password})
    assert response.status_code == 302, "sign-in failed"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client


def org_with_keys(org: Organisation) -> str:
    """Create the organisation's key pair through its first active admin; return the recovery key.

    Every active colleague whose role reads reports is granted access (they get a staff key
    wrapped by tests.conftest.PASSWORD if they have none yet).
    """
    from django.test import RequestFactory

    from amparo.core.permissions import Perm, Role, roles_with

    admin = User.objects.filter(organisation=org, role=Role.ORG_ADMIN, is_active=True).first()
    assert admin is not None, "the organisation needs an administrator"
    eligible = list(User.objects.filter(organisation=org, is_active=True, role__in=roles_with(Perm.REPORT_VIEW)))
    for user in eligible:
        sealing.staff_key_open(user=user, password=PASSWORD)
    request = RequestFactory().get("/")
    request.session = {}
    request.user = admin
    recovery = sealing.organisation_keys_create(request, actor=admin)
    request.COOKIES[sealing.UNLOCK_COOKIE] = sealing._b64(request._amparo_unlock_key)
    sealing.grants_issue(request, actor=admin, users=[u for u in eligible if u.pk != admin.pk])
    assert OrganisationKeys.objects.filter(organisation=org).exists()
    assert KeyGrant.objects.filter(organisation_keys__organisation=org).count() == len(eligible)
    return recovery


def unlocked_client(user: User) -> Client:
    """A client signed in as `user`, two-factor verified, with the organisation key unlocked."""
    return sign_in_for_real(user)
