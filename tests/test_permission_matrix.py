"""Every URL pattern and API route × anonymous, every role, and other organisations' staff.

A new route without an expectation here fails `test_every_route_has_an_expectation`.
Expectations are derived from the role map in amparo.core.permissions, so changing what
a role may do changes what this test demands.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from amparo.cases.models import Case
from amparo.core.permissions import ROLE_PERMISSIONS, Perm, Role
from tests.conftest import verified_client

PUBLIC = "public"  # open to everyone, signed in or not
STAFF = "staff"  # any signed-in, two-factor-verified staff member
AUTH = "signed-in"  # any signed-in account, even before two-factor (the two-factor pages)

# url name -> (method, rule, object the URL names or None)
EXPECTATIONS: dict[str, tuple[str, str, str | None]] = {
    "core:home": ("GET", STAFF, None),
    "core:health": ("GET", PUBLIC, None),
    "core:audit_list": ("GET", Perm.AUDIT_VIEW, None),
    "set_language": ("POST", PUBLIC, None),
    "accounts:login": ("GET", PUBLIC, None),
    "accounts:logout": ("POST", PUBLIC, None),
    "accounts:two_factor_setup": ("GET", AUTH, None),
    "accounts:two_factor_verify": ("GET", AUTH, None),
    "accounts:password_reset": ("GET", PUBLIC, None),
    "accounts:password_reset_done": ("GET", PUBLIC, None),
    "accounts:password_reset_confirm": ("GET", PUBLIC, "reset"),
    "accounts:password_reset_complete": ("GET", PUBLIC, None),
    "accounts:invitation_accept": ("GET", PUBLIC, "invitation_token"),
    "accounts:staff_list": ("GET", Perm.STAFF_VIEW, None),
    "accounts:staff_invite": ("GET", Perm.STAFF_MANAGE, None),
    "accounts:staff_edit": ("GET", Perm.STAFF_MANAGE, "member"),
    "accounts:invitation_revoke": ("POST", Perm.STAFF_MANAGE, "invitation"),
    "accounts:organisation_detail": ("GET", Perm.ORG_VIEW, None),
    "accounts:organisation_edit": ("GET", Perm.ORG_EDIT, None),
    "accounts:organisation_keys": ("GET", Perm.STAFF_MANAGE, None),
    "accounts:organisation_keys_rotate": ("POST", Perm.STAFF_MANAGE, None),
    "accounts:password_change": ("GET", STAFF, None),
    "api:schema": ("GET", PUBLIC, None),  # the OpenAPI document is public: mobile apps read it
}


# Each app's routes are declared in tests/matrix_<app>.py (EXPECTATIONS and make_objects).
from tests import matrix_cases, matrix_reports  # noqa: E402

MATRIX_MODULES = [matrix_cases, matrix_reports]
for _module in MATRIX_MODULES:
    EXPECTATIONS.update(_module.EXPECTATIONS)


def all_url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    resolver = resolver or get_resolver()
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            names |= all_url_names(pattern, ns)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                raise AssertionError(f"Unnamed URL pattern {pattern.pattern}: name it and add an expectation.")
            names.add(prefix + pattern.name)
    return names


def test_every_route_has_an_expectation():
    missing = all_url_names() - set(EXPECTATIONS)
    assert not missing, f"Routes without a permission expectation: {sorted(missing)}"
    stale = set(EXPECTATIONS) - all_url_names()
    assert not stale, f"Expectations for routes that no longer exist: {sorted(stale)}"


def expected_allowed(rule: str, actor: str, in_org_a: bool, names_object: bool) -> bool:
    """Pages about one object of organisation A open only to A's staff with the permission;
    organisation-wide pages open to any staff with the permission (showing their own data)."""
    if rule == PUBLIC:
        return True
    if actor == "anonymous":
        return False
    if rule in (STAFF, AUTH):
        return True
    return rule in ROLE_PERMISSIONS[actor] and (in_org_a or not names_object)


#: Text from organisation A's records that must never appear in a page served to anyone else.
ORG_A_MARKERS = [b"Matrix Person", b"new@x.test", b"analyst@alpharefuge.test", b"Alpha Refuge"]


def denied(response, actor: str, path: str) -> bool:
    if actor == "anonymous":
        if path.startswith("/api/"):
            return response.status_code in (401, 403)
        if path == "/":  # the site's root sends visitors to the public front page, not to sign-in
            return response.status_code == 302 and response["Location"] == reverse("report:public_home")
        return response.status_code == 302 and "/accounts/login/" in response["Location"]
    return response.status_code in (403, 404)


ACTORS = ["anonymous"] + [f"a:{r}" for r in Role.values] + [f"b:{r}" for r in (Role.ORG_ADMIN, Role.CASE_WORKER)]


@pytest.mark.parametrize("actor", ACTORS)
def test_permission_matrix(actor, staff_a, staff_b, objects):
    if actor == "anonymous":
        client, role, in_org_a = Client(), "anonymous", False
    else:
        org, role = actor.split(":")
        user = (staff_a if org == "a" else staff_b)[role]
        client, in_org_a = verified_client(user), org == "a"
    failures = []
    for name, (method, rule, obj) in EXPECTATIONS.items():
        if name in {"accounts:logout", "set_language"}:
            continue  # they would end or change the session; covered in test_auth
        path = reverse(name, kwargs=objects[obj] if obj else None)
        response = client.post(path) if method == "POST" else client.get(path)
        assert response.status_code != 500, f"{name} answered 500 for {actor}"
        allowed = expected_allowed(rule, role, in_org_a, names_object=obj is not None and rule != PUBLIC)
        if not in_org_a and response.status_code == 200:
            leaked = [m.decode() for m in ORG_A_MARKERS if m in response.content]
            if leaked:
                failures.append(f"{name}: {actor} saw organisation A's data: {leaked}")
        if allowed and denied(response, role, path) and rule != PUBLIC:
            failures.append(f"{name}: {actor} should be allowed, got {response.status_code}")
        if not allowed and not denied(response, role, path):
            failures.append(f"{name}: {actor} should be denied, got {response.status_code}")
    assert not failures, "\n".join(failures)


def _without_csrf(html: bytes) -> bytes:
    """The page without its per-request token and its own path (the language switcher's `next`)."""
    return re.sub(rb'name="(csrfmiddlewaretoken|next)" value="[^"]+"', b"", html)


def test_other_organisations_case_is_the_same_404_as_a_missing_one(staff_a, staff_b, org_a):
    case = Case.objects.create(organisation=org_a, person_name="Hidden Person", created_by=staff_a[Role.CASE_WORKER])
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    other = outsider.get(reverse("cases:case_detail", kwargs={"reference": case.reference}))
    missing = outsider.get(reverse("cases:case_detail", kwargs={"reference": "C-NOPE0000"}))
    assert other.status_code == missing.status_code == 404
    assert _without_csrf(other.content) == _without_csrf(missing.content)
    api_other = outsider.get(reverse("api:case_detail", kwargs={"reference": case.reference}))
    api_missing = outsider.get(reverse("api:case_detail", kwargs={"reference": "C-NOPE0000"}))
    assert api_other.status_code == api_missing.status_code == 404
    assert api_other.json() == api_missing.json()


def test_signed_in_without_two_factor_reaches_nothing_with_people_data(staff_a, org_a):
    case = Case.objects.create(organisation=org_a, person_name="Guarded Person", created_by=staff_a[Role.CASE_WORKER])
    client = Client()
    client.force_login(staff_a[Role.CASE_WORKER], backend="amparo.accounts.backends.StaffBackend")
    page = client.get(reverse("cases:case_detail", kwargs={"reference": case.reference}))
    assert page.status_code == 302 and page["Location"] == reverse("accounts:two_factor_verify")
    api = client.get(reverse("api:case_detail", kwargs={"reference": case.reference}))
    assert api.status_code == 403
    assert b"Guarded Person" not in page.content + api.content
