"""Shared fixtures: two organisations, one verified user per role in each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import CaseAccess, Invitation, Organisation, OrganisationType, User
from amparo.core.permissions import Role

PASSWORD = "a-long-test-password-2026"


def _replica_test_mirror() -> None:
    """A `replica` alias on the test database (Django's TEST MIRROR), so tests can check which
    connection a query took (tests/test_scale_replica.py, decision 0037). Routing to it stays
    off (AMPARO_READ_REPLICA empty, below) unless a test turns it on."""
    import copy

    from django.conf import settings

    if "replica" not in settings.DATABASES:
        mirror = copy.deepcopy(settings.DATABASES["default"])
        mirror["TEST"] = {"MIRROR": "default"}
        settings.DATABASES["replica"] = mirror


_replica_test_mirror()


@pytest.fixture(autouse=True)
def _english_fast_hashes_clean_caches(settings):
    settings.LANGUAGE_CODE = "en"
    # Argon2 is the production hasher (test_auth checks it); fixtures create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The sealed-key KDF at its minimum cost in tests (production: Argon2id "interactive").
    settings.AMPARO_KDF_OPSLIMIT = 1
    settings.AMPARO_KDF_MEMLIMIT = 8192
    # Replica reads off unless a test turns them on (tests/test_scale_replica.py), even when
    # DATABASE_REPLICA_URL is set: the mirror alias only sees committed rows.
    settings.AMPARO_READ_REPLICA = ""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def org_a(db) -> Organisation:
    # Team-wide case access, as organisations that existed before the choice keep; tests of
    # assignment-based access switch it (tests/test_cases_assignment.py).
    return Organisation.objects.create(
        name="Alpha Refuge", org_type=OrganisationType.NGO, country="MEX", case_access=CaseAccess.TEAM
    )


@pytest.fixture
def org_b(db) -> Organisation:
    return Organisation.objects.create(
        name="Beta Police Unit", org_type=OrganisationType.LAW_ENFORCEMENT, country="COL", case_access=CaseAccess.TEAM
    )


def make_user(org: Organisation, role: str, email: str | None = None) -> User:
    user = User.objects.create_user(
        email or f"{role}@{org.name.replace(' ', '').lower()}.test",
        PASSWORD,
        full_name=f"{role.replace('_', ' ').title()} of {org.name}",
        organisation=org,
        role=role,
    )
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


@pytest.fixture
def staff_a(org_a) -> dict[str, User]:
    return {role: make_user(org_a, role) for role in Role.values}


@pytest.fixture
def staff_b(org_b) -> dict[str, User]:
    return {role: make_user(org_b, role) for role in Role.values}


def as_verified(user: User) -> User:
    """`user` as a service sees a signed-in staff member whose session passed two-factor."""
    user.is_verified = lambda: True  # type: ignore[method-assign]
    return user


def verified_client(user: User, client: Client | None = None) -> Client:
    """A test client signed in as `user` with two-factor passed for the session."""
    client = client or Client()
    client.force_login(user, backend="amparo.accounts.backends.StaffBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client


@pytest.fixture
def as_user() -> Callable[[User], Client]:
    return verified_client


@pytest.fixture
def objects(staff_a, org_a, staff_b, org_b):
    """URL kwargs for every object kind the routes name; all objects belong to organisation A."""
    made = {}
    from tests.test_permission_matrix import MATRIX_MODULES

    for module in MATRIX_MODULES:
        made.update(module.make_objects(staff_a=staff_a, org_a=org_a, staff_b=staff_b, org_b=org_b))
    invitation = Invitation.objects.create(
        organisation=org_a,
        email="new@x.test",
        role=Role.ANALYST,
        token_hash="f" * 64,
        expires_at="2999-01-01T00:00:00Z",
    )
    return {
        **made,
        "member": {"pk": staff_a[Role.ANALYST].pk},
        "invitation": {"pk": invitation.pk},
        "invitation_token": {"token": "not-a-real-token"},
        "reset": {"uidb64": "MQ", "token": "set-password"},
    }


def registered_case(worker: User, **extra_purposes: tuple[str, bool]):
    """Yolanda Velázquez Peña's case, registered by `worker` (verified here) after consent to
    services and research (and whatever `extra_purposes` add), with a phone, a passport and
    a date of birth: the case most case tests start from."""
    import datetime

    from amparo.cases import services

    actor = as_verified(worker)
    consent = services.consent_record(
        actor=actor,
        given_by="person",
        child_assent=False,
        text_language="es",
        purposes={"services": ("consent", True), "research": ("consent", True), **extra_purposes},
    )
    return services.case_create(
        actor=actor,
        consent=consent,
        given_name="Yolanda",
        family_name="Velázquez Peña",
        phone="+502 5555 0101",
        document_type="passport",
        document_number="G12345678",
        birth_date=datetime.date(1998, 4, 2),
    )
