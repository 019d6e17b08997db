"""Every URL pattern and API route × anonymous, every role, and other organisations' staff.

A new route without an expectation here fails `test_every_route_has_an_expectation`.
Expectations are derived from the role map in amparo.core.permissions, so changing what
a role may do changes what this test demands.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from PIL import Image

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
    "core:health_live": ("GET", PUBLIC, None),
    "core:health_ready": ("GET", PUBLIC, None),  # says ok/fail per check, nothing more (decision 0027)
    "core:metrics": ("GET", PUBLIC, None),  # no session opens it: a bearer token does (decision 0028)
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
    "accounts:staff_unlock": ("POST", Perm.STAFF_MANAGE, "member"),
    "accounts:invitation_revoke": ("POST", Perm.STAFF_MANAGE, "invitation"),
    "accounts:organisation_detail": ("GET", Perm.ORG_VIEW, None),
    "accounts:organisation_edit": ("GET", Perm.ORG_EDIT, None),
    "accounts:organisation_keys": ("GET", Perm.STAFF_MANAGE, None),
    "accounts:organisation_keys_rotate": ("POST", Perm.STAFF_MANAGE, None),
    "accounts:password_change": ("GET", STAFF, None),
    "api:schema": ("GET", PUBLIC, None),  # the OpenAPI document is public: mobile apps read it
}


# Each app's routes are declared in tests/matrix_<app>.py (EXPECTATIONS and make_objects).
from tests import (  # noqa: E402
    matrix_agreements,
    matrix_cases,
    matrix_findhelp,
    matrix_places,
    matrix_referral_onetime,
    matrix_referral_workflow,
    matrix_referrals,
    matrix_reports,
    matrix_routes,
    matrix_shelters,
)

#: Routes naming an object that change nothing (they are only read).
READ_ONLY: set[str] = set()

#: url name -> body that succeeds for organisation A's own staff (see matrix_cases.py).
POST_BODIES: dict[str, Any] = {
    "accounts:staff_edit": lambda ctx: {"role": Role.CASE_WORKER, "is_active": "on"},
    "accounts:staff_unlock": lambda ctx: {},
    "accounts:invitation_revoke": lambda ctx: {},
}

#: url name -> the permission the POST needs, when not the page's own (triage on a signal's page).
POST_PERMISSIONS: dict[str, str] = {}

#: Organisation-wide routes whose POST body names an object (a case reference typed in a form).
BODY_NAMES_OBJECT: dict[str, Any] = {}

#: Pages that list every other organisation by name (to choose the other party of an
#: agreement): organisation A's name, and only its name, may appear there to other staff.
ORGANISATION_NAMES_LISTED: set[str] = set()

#: url name -> what must be true before the POST can succeed (a closed case to reopen...).
PREPARE: dict[str, Any] = {}

#: Routes naming an object that is deliberately shared with every organisation's staff who
#: hold the permission (a published directory service, decision 0018).
SHARED_OBJECT_ROUTES: set[str] = set()


def _lock_the_member(ctx: dict[str, Any]) -> None:
    """Lock organisation A's analyst (the matrix's `member`) out, so an unlock has something to do."""
    from django.conf import settings

    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(reverse("accounts:login"), {"username": ctx["staff_a"][Role.ANALYST].email, "password": "wrong"})


PREPARE["accounts:staff_unlock"] = _lock_the_member

MATRIX_MODULES = [
    matrix_cases,
    matrix_reports,
    matrix_agreements,
    matrix_referrals,
    matrix_referral_workflow,
    matrix_referral_onetime,
    matrix_shelters,
    matrix_findhelp,
    matrix_routes,
    matrix_places,
]
for _module in MATRIX_MODULES:
    EXPECTATIONS.update(_module.EXPECTATIONS)
    READ_ONLY |= _module.READ_ONLY
    POST_BODIES.update(_module.POST_BODIES)
    PREPARE.update(getattr(_module, "PREPARE", {}))
    POST_PERMISSIONS.update(getattr(_module, "POST_PERMISSIONS", {}))
    BODY_NAMES_OBJECT.update(getattr(_module, "BODY_NAMES_OBJECT", {}))
    ORGANISATION_NAMES_LISTED |= getattr(_module, "ORGANISATION_NAMES_LISTED", set())
    SHARED_OBJECT_ROUTES |= getattr(_module, "SHARED_OBJECT_ROUTES", set())


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


ACTORS = ["anonymous"] + [f"a:{r}" for r in Role.values] + [f"b:{r}" for r in Role.values]


def missing_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The same URL kwargs naming objects that do not exist."""
    missing: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "pk":
            missing[key] = 2**31 - 1
        elif key == "registration":
            missing[key] = uuid.UUID(int=1)
        elif key == "reference":
            missing[key] = str(value)[:2] + "NOPE0000"
        else:
            missing[key] = "missing"
    return missing


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
        names_object = obj is not None and rule != PUBLIC and name not in SHARED_OBJECT_ROUTES
        allowed = expected_allowed(rule, role, in_org_a, names_object=names_object)
        if names_object and not in_org_a and role != "anonymous":
            missing_path = reverse(name, kwargs=missing_kwargs(objects[obj]))
            missing = client.post(missing_path) if method == "POST" else client.get(missing_path)
            if response.status_code != missing.status_code:
                failures.append(
                    f"{name}: {actor} got {response.status_code} for A's object, {missing.status_code} for a missing one"
                )
        if not in_org_a and response.status_code == 200:
            markers = [m for m in ORG_A_MARKERS if not (name in ORGANISATION_NAMES_LISTED and m == b"Alpha Refuge")]
            leaked = [m.decode() for m in markers if m in response.content]
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


def object_routes() -> set[str]:
    return {
        name for name, (_m, rule, obj) in EXPECTATIONS.items() if obj is not None and rule not in (PUBLIC, STAFF, AUTH)
    }


def test_every_route_naming_an_object_is_posted_with_a_valid_body_or_only_read():
    routes = object_routes()
    assert not (READ_ONLY & set(POST_BODIES)), READ_ONLY & set(POST_BODIES)
    unlisted = routes - READ_ONLY - set(POST_BODIES)
    assert not unlisted, f"Routes naming an object without a POST body in the matrix: {sorted(unlisted)}"
    stale = (READ_ONLY | set(POST_BODIES)) - routes
    assert not stale, f"POST bodies or read-only entries for routes that name no object: {sorted(stale)}"


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("matrix.png", buffer.getvalue(), content_type="image/png")


def _snapshot() -> dict[str, list[tuple]]:
    """Every row of Amparo's own tables, as stored (decrypted where the field decrypts)."""
    rows = {}
    for model in apps.get_models():
        if model._meta.app_label not in {
            "accounts",
            "cases",
            "core",
            "reports",
            "referrals",
            "shelters",
            "findhelp",
            "places",
        }:
            continue
        rows[model._meta.label] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in model._base_manager.order_by("pk").values_list()
        ]
    return rows


def _changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


@pytest.mark.parametrize("name", sorted(POST_BODIES))
def test_every_role_of_another_organisation_is_refused_a_valid_post_and_nothing_changes(
    name, staff_a, staff_b, org_a, org_b, objects
):
    """A POST that succeeds for organisation A's own staff, sent by each role of organisation
    B: the same 403/404 as for a missing object, and not one row changed (audit log included)."""
    _method, rule, obj = EXPECTATIONS[name]
    ctx = {**objects, "org_a": org_a, "org_b": org_b, "staff_a": staff_a, "png": _png}
    if name in PREPARE:
        PREPARE[name](ctx)
    path = reverse(name, kwargs=objects[obj])
    missing_path = reverse(name, kwargs=missing_kwargs(objects[obj]))
    outsiders = {role: verified_client(staff_b[role]) for role in Role.values}
    needed = POST_PERMISSIONS.get(name, rule)
    owner_role = next(role for role in Role.values if needed in ROLE_PERMISSIONS[role])
    owner = verified_client(staff_a[owner_role])
    before = _snapshot()
    for role, client in outsiders.items():
        refused = client.post(path, POST_BODIES[name](ctx))
        missing = client.post(missing_path, POST_BODIES[name](ctx))
        assert refused.status_code in (403, 404), (name, role, refused.status_code)
        assert refused.status_code == missing.status_code, (name, role, refused.status_code, missing.status_code)
        assert not any(marker in refused.content for marker in ORG_A_MARKERS), (name, role)
        assert not _changed(before, _snapshot()), (name, role, _changed(before, _snapshot()))
    # The same body, from organisation A's own staff, does what it says: the body is valid.
    done = owner.post(path, POST_BODIES[name](ctx))
    errors = re.findall(rb'(?:class="errorlist[^"]*"|role="alert")[^>]*>(.*?)</(?:ul|div)>', done.content, re.S)
    # A page answers with a redirect; an API route with its JSON answer.
    assert done.status_code == (200 if path.startswith("/api/") else 302), (name, owner_role, done.status_code, errors)
    assert _changed(before, _snapshot()), f"{name}: the body changed nothing for {owner_role} of organisation A"


def _own_parent_routes() -> list[str]:
    """Routes naming a child row (a pk) through its parent (a case or signal reference)."""
    return sorted(
        name
        for name, (_m, rule, obj) in EXPECTATIONS.items()
        if obj is not None and rule not in (PUBLIC, STAFF, AUTH) and name.startswith(("cases:", "reports:"))
    )


def test_a_child_of_another_organisation_is_not_reached_through_ones_own_case_or_signal(
    staff_a, staff_b, org_a, org_b, objects
):
    """/cases/<B's own case>/services/<A's service>/: the same 404 as a missing child, nothing changed."""
    from amparo.reports.models import Signal
    from amparo.reports.services import today

    own_case = Case.objects.create(organisation=org_b, person_name="Own Person", created_by=staff_b[Role.CASE_WORKER])
    own_signal = Signal.objects.create(organisation=org_b, channel="web", arrived_on=today(), sealed=b"x")
    own = {"C-": own_case.reference, "S-": own_signal.reference}
    ctx = {**objects, "org_a": org_a, "org_b": org_b, "staff_a": staff_a, "png": _png}
    clients = {role: verified_client(staff_b[role]) for role in Role.values}
    before = _snapshot()
    checked = 0
    for name in _own_parent_routes():
        method, rule, obj = EXPECTATIONS[name]
        kwargs = objects[obj]
        if set(kwargs) != {"reference", "pk"}:
            continue
        crossed = {"reference": own[kwargs["reference"][:2]], "pk": kwargs["pk"]}
        path = reverse(name, kwargs=crossed)
        missing_path = reverse(name, kwargs={**crossed, "pk": 2**31 - 1})
        for role in (role for role in Role.values if rule in ROLE_PERMISSIONS[role]):
            client = clients[role]
            for send in ("GET", "POST") if name in POST_BODIES else ("GET",):
                if send == "POST":
                    got, expected = (client.post(p, POST_BODIES[name](ctx)) for p in (path, missing_path))
                else:
                    got, expected = client.get(path), client.get(missing_path)
                assert got.status_code == expected.status_code == 404, (name, role, send, got.status_code)
                checked += 1
    assert checked >= 10, checked
    assert not _changed(before, _snapshot()), _changed(before, _snapshot())


@pytest.mark.parametrize("name", sorted(BODY_NAMES_OBJECT))
def test_an_object_of_another_organisation_named_in_a_form_is_the_same_as_a_missing_one(
    name, staff_a, staff_b, objects
):
    """Emergency access typed with another organisation's case reference: each role of B gets
    the page a missing reference gets, and nothing changes; A's own staff get in."""
    rule = EXPECTATIONS[name][1]
    reference = objects["case"]["reference"]
    path = reverse(name)
    clients = {role: verified_client(staff_b[role]) for role in Role.values}
    owner_role = next(role for role in Role.values if rule in ROLE_PERMISSIONS[role])
    owner = verified_client(staff_a[owner_role])
    before = _snapshot()
    for role, client in clients.items():
        other = client.post(path, BODY_NAMES_OBJECT[name](reference))
        missing = client.post(path, BODY_NAMES_OBJECT[name](reference[:2] + "NOPE0000"))
        assert other.status_code == missing.status_code != 302, (name, role, other.status_code)
        assert _without_csrf(other.content) == _without_csrf(missing.content).replace(
            reference[:2].encode() + b"NOPE0000", reference.encode()
        ), (name, role)
        assert not _changed(before, _snapshot()), (name, role)
    done = owner.post(path, BODY_NAMES_OBJECT[name](reference))
    assert done.status_code == 302, (name, owner_role, done.status_code)
    assert _changed(before, _snapshot())


#: Object kinds reached through one case: their pages follow the case's visibility.
CASE_OBJECT_KINDS = {"case", "duplicate_alert", "service", "case_attachment", "screening", "proceeding"}


@pytest.mark.parametrize("role", [Role.CASE_WORKER, Role.LEGAL_ADVISER])
def test_in_assigned_only_mode_staff_not_assigned_get_404_everywhere_and_the_assigned_get_in(
    role, staff_a, staff_b, org_a, objects
):
    """Organisation A reads cases by assignment (decision 0014); A's cases are assigned to its
    case worker. Another case worker, and a legal adviser not assigned, get 404 on every page
    about one of those cases, as staff of another organisation do; the assigned worker keeps
    every page their role allows."""
    from amparo.accounts.models import CaseAccess
    from tests.conftest import make_user

    org_a.case_access = CaseAccess.ASSIGNED
    org_a.save(update_fields=["case_access"])
    worker = staff_a[Role.CASE_WORKER]
    Case.objects.filter(organisation=org_a).update(assigned_to=worker)
    outsider = make_user(org_a, role, email=f"unassigned-{role}@alpharefuge.test") if role == Role.CASE_WORKER else None
    outsider = outsider or staff_a[Role.LEGAL_ADVISER]
    failures = []
    for client, allowed_role in ((verified_client(outsider), None), (verified_client(worker), Role.CASE_WORKER)):
        for name, (method, rule, obj) in EXPECTATIONS.items():
            if obj not in CASE_OBJECT_KINDS:
                continue
            response = (
                client.post(reverse(name, kwargs=objects[obj]))
                if method == "POST"
                else client.get(reverse(name, kwargs=objects[obj]))
            )
            if allowed_role is None and response.status_code != 404 and rule in ROLE_PERMISSIONS[role]:
                failures.append(f"{name}: an unassigned {role} got {response.status_code}, not 404")
            if allowed_role and rule in ROLE_PERMISSIONS[allowed_role] and response.status_code in (403, 404):
                failures.append(f"{name}: the assigned case worker got {response.status_code}")
    assert not failures, "\n".join(failures)
