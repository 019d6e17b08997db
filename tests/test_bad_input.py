"""Garbage posted to every form and endpoint: a clear message, nothing changed, never a 500."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from amparo.core.permissions import Role
from tests.conftest import verified_client
from tests.test_permission_matrix import EXPECTATIONS

GARBAGE = [
    {},
    {"email": "not-an-email", "role": "emperor"},
    {"person_name": "", "phone": "call me maybe", "summary": "x" * 20000},
    {
        "name": "",
        "org_type": "pirates",
        "country": "XXX",
        "latitude": "north",
        "longitude": "999",
        "website": "javascript:alert(1)",
    },
    {"role": "org_admin\x00", "is_active": "maybe", "token": "abc\x00def"},
    {"username": "a" * 5000, "password": "p" * 5000},
    {"full_name": "x" * 400, "password1": "short", "password2": "other"},
    {"q": "' OR 1=1 --", "action": "%" * 100, "page": "-1"},
]


def counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.label
        not in {
            "sessions.Session",
            "axes.AccessAttempt",
            "core.AuditEntry",
            "core.AuditHead",
            "otp_totp.TOTPDevice",
            "axes.AccessFailureLog",
        }
    }


@pytest.fixture
def admin_and_worker(staff_a):
    return [verified_client(staff_a[Role.ORG_ADMIN]), verified_client(staff_a[Role.CASE_WORKER])]


def test_garbage_to_every_route_changes_nothing_and_never_fails(admin_and_worker, staff_a, objects):
    kwargs_for = {**objects, "case": {"reference": "C-XXXXXXXX"}, "invitation": {"pk": 999999}}
    before = counts()
    for client in admin_and_worker:
        for name, (_method, _rule, obj) in EXPECTATIONS.items():
            if name in {"accounts:logout", "set_language"}:
                continue
            path = reverse(name, kwargs=kwargs_for[obj] if obj else None)
            for data in GARBAGE:
                post = client.post(path, data)
                get = client.get(path, data)
                assert post.status_code < 500 and get.status_code < 500, f"{name} failed on {data!r}"
    assert counts() == before


def test_invalid_forms_answer_in_the_users_language(staff_a):
    admin = verified_client(staff_a[Role.ORG_ADMIN])
    english = admin.post(reverse("accounts:staff_invite"), {"email": "not-an-email", "role": "emperor"})
    assert english.status_code == 400 and b"Enter a valid email address." in english.content
    spanish = admin.post(
        reverse("accounts:staff_invite"), {"email": "not-an-email", "role": "emperor"}, HTTP_ACCEPT_LANGUAGE="es"
    )
    assert b"Introduzca una direcci" in spanish.content or b"Ingrese una direcci" in spanish.content


def test_a_nul_byte_in_an_address_is_refused_not_a_server_error(staff_a):
    worker = verified_client(staff_a[Role.CASE_WORKER])
    for path in ("/cases/C-%00/", "/api/v1/cases/0%00/", "/cases/?q=%00", "/report/?x=a%00b"):
        response = worker.get(path, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == 400, path
    assert "carácter que no está permitido" in response.content.decode()


def test_a_cookie_with_a_nul_byte_is_forgotten_not_a_server_error():
    """Schemathesis on PostgreSQL found it: a session cookie with NUL reached the session query."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "0\x00abcdefgh"
    client.cookies["django_language"] = "e\x00s"
    response = client.get("/api/v1/cases/")
    assert response.status_code in {401, 403}  # an anonymous caller, as without the cookie
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
