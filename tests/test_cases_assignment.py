"""Assignment-based access to case files (issue 8, item 16; docs/decisions/0014).

An organisation chooses who reads its case files: every case worker and legal adviser
(team) or only the staff assigned to each case (assigned). The choice lives in
`Case.objects.visible_to()`, so every page, the API and every child row follow it.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from amparo.accounts.models import CaseAccess
from amparo.cases import services
from amparo.cases.models import Case
from amparo.core.permissions import Role
from tests.conftest import as_verified, make_user, registered_case, verified_client
from tests.matrix_cases import EXPECTATIONS as CASE_EXPECTATIONS
from tests.test_permission_matrix import _without_csrf


@pytest.fixture
def assigned_only(org_a):
    org_a.case_access = CaseAccess.ASSIGNED
    org_a.save(update_fields=["case_access"])
    return org_a


@pytest.fixture
def colleague(org_a):
    """A second case worker of organisation A, assigned to nothing."""
    return make_user(org_a, Role.CASE_WORKER, email="colleague@alpharefuge.test")


def test_new_organisations_default_to_assigned_staff_only(db):
    from amparo.accounts.models import Organisation

    assert Organisation(name="New", org_type="ngo", country="MEX").case_access == CaseAccess.ASSIGNED


def test_the_person_who_opens_a_case_is_its_case_worker(staff_a):
    case = registered_case(staff_a[Role.CASE_WORKER])
    assert case.assigned_to == staff_a[Role.CASE_WORKER]


def test_team_access_lets_every_case_worker_and_legal_adviser_read(staff_a, colleague):
    case = registered_case(staff_a[Role.CASE_WORKER])
    for user in (colleague, staff_a[Role.LEGAL_ADVISER]):
        assert Case.objects.visible_to(as_verified(user)).filter(pk=case.pk).exists()


def test_assigned_only_hides_a_case_from_staff_not_assigned(staff_a, colleague, assigned_only):
    worker, adviser = staff_a[Role.CASE_WORKER], staff_a[Role.LEGAL_ADVISER]
    case = registered_case(worker)
    assert list(Case.objects.visible_to(as_verified(worker))) == [case]
    assert not Case.objects.visible_to(as_verified(colleague)).exists()
    assert not Case.objects.visible_to(as_verified(adviser)).exists()
    services.case_assign(actor=as_verified(worker), case=case, assignee=worker, legal_adviser=adviser)
    assert list(Case.objects.visible_to(adviser)) == [case]
    # Reassigned: the first case worker loses the case, the new one gets it.
    services.case_assign(actor=worker, case=case, assignee=colleague)
    assert not Case.objects.visible_to(worker).exists()
    assert not Case.objects.visible_to(adviser).exists()
    assert list(Case.objects.visible_to(colleague)) == [case]


def test_unassigned_staff_get_the_same_404_as_for_another_organisations_case(
    staff_a, staff_b, colleague, assigned_only
):
    """Every page about one case (and its child rows) answers a case worker and a legal
    adviser who are not assigned exactly as it answers for a case of another organisation."""
    case = registered_case(staff_a[Role.CASE_WORKER])
    other_org_case = registered_case(staff_b[Role.CASE_WORKER])
    for user in (colleague, staff_a[Role.LEGAL_ADVISER]):
        client = verified_client(user)
        for name, (method, _rule, kind) in CASE_EXPECTATIONS.items():
            if kind != "case":
                continue
            path = reverse(name, kwargs={"reference": case.reference})
            foreign = reverse(name, kwargs={"reference": other_org_case.reference})
            mine = client.post(path) if method == "POST" else client.get(path)
            theirs = client.post(foreign) if method == "POST" else client.get(foreign)
            assert mine.status_code == theirs.status_code, name
            assert mine.status_code in (403, 404), (name, user.role)
        page = client.get(reverse("cases:case_detail", kwargs={"reference": case.reference}))
        missing = client.get(reverse("cases:case_detail", kwargs={"reference": "C-NOPE0000"}))
        assert page.status_code == missing.status_code == 404
        assert _without_csrf(page.content) == _without_csrf(missing.content)
        assert b"Yolanda" not in client.get(reverse("cases:case_list")).content
        assert b"Yolanda" not in client.get(reverse("api:case_list")).content


def test_case_workers_see_cases_without_an_active_case_worker_to_take_them_on(staff_a, colleague, assigned_only):
    worker = staff_a[Role.CASE_WORKER]
    case = registered_case(worker)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert list(Case.objects.visible_to(as_verified(colleague))) == [case]
    assert not Case.objects.visible_to(as_verified(staff_a[Role.LEGAL_ADVISER])).exists()
    page = verified_client(colleague).get(reverse("cases:my_cases"))
    assert case.reference.encode() in page.content
    services.case_assign(actor=colleague, case=case, assignee=colleague)
    Case.objects.filter(pk=case.pk).update(assigned_to=None)  # e.g. after a transfer is accepted
    assert list(Case.objects.visible_to(colleague)) == [case]


def test_legal_advisers_can_be_assigned_through_the_page(staff_a, assigned_only):
    worker, adviser = staff_a[Role.CASE_WORKER], staff_a[Role.LEGAL_ADVISER]
    case = registered_case(worker)
    client = verified_client(worker)
    path = reverse("cases:case_assign", kwargs={"reference": case.reference})
    form = client.get(path)
    assert adviser.full_name.encode() in form.content
    response = client.post(path, {"assignee": worker.pk, "legal_adviser": adviser.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.legal_adviser == adviser
    adviser_client = verified_client(adviser)
    assert adviser_client.get(reverse("cases:case_detail", kwargs={"reference": case.reference})).status_code == 200
    mine = adviser_client.get(reverse("cases:my_cases"))
    assert case.reference.encode() in mine.content


def test_only_legal_advisers_of_the_organisation_are_assignable_as_legal_adviser(staff_a, staff_b):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = registered_case(worker)
    for wrong in (staff_a[Role.ANALYST], staff_b[Role.LEGAL_ADVISER], staff_a[Role.CASE_WORKER]):
        with pytest.raises(PermissionDenied):
            services.case_assign(actor=worker, case=case, assignee=worker, legal_adviser=wrong)
    case.refresh_from_db()
    assert case.legal_adviser is None


def test_my_cases_lists_only_the_users_cases(staff_a, colleague):
    worker = staff_a[Role.CASE_WORKER]
    mine = registered_case(worker)
    theirs = Case.objects.create(organisation=mine.organisation, person_name="Other Person", assigned_to=colleague)
    page = verified_client(worker).get(reverse("cases:my_cases"))
    assert page.status_code == 200
    assert mine.reference.encode() in page.content
    assert theirs.reference.encode() not in page.content


def test_the_administrator_chooses_the_access_on_the_organisation_page(staff_a, org_a):
    admin = staff_a[Role.ORG_ADMIN]
    client = verified_client(admin)
    page = client.get(reverse("accounts:organisation_edit"))
    assert b'name="case_access"' in page.content
    data = {
        "name": org_a.name,
        "org_type": org_a.org_type,
        "country": org_a.country,
        "case_access": CaseAccess.ASSIGNED,
    }
    response = client.post(reverse("accounts:organisation_edit"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    org_a.refresh_from_db()
    assert org_a.case_access == CaseAccess.ASSIGNED


def test_registering_someone_a_colleague_follows_names_the_case_and_its_worker_only(staff_a, colleague, assigned_only):
    """In assigned-only mode the duplicate check still covers the whole organisation, but a
    case the registering worker cannot open shows as its reference and case worker only."""
    existing = registered_case(staff_a[Role.CASE_WORKER])  # Yolanda, +502 5555 0101
    client = verified_client(colleague)
    consent = services.consent_record(
        actor=as_verified(colleague),
        given_by="person",
        child_assent=False,
        text_language="es",
        purposes={"services": ("consent", True)},
    )
    path = reverse("cases:case_register", kwargs={"registration": consent.registration})
    person = {"given_name": "Yolanda", "family_name": "Velazquez", "phone": "+502 5555 0101"}
    page = client.post(path, person)
    assert page.status_code == 200
    content = page.content.decode()
    assert "A colleague may already follow this person" in content
    assert f"{existing.reference}, case worker: {staff_a[Role.CASE_WORKER].full_name}" in content
    assert "Velázquez Peña" not in content  # nothing about the person of the unseen case
    assert Case.objects.count() == 1
    confirmed = client.post(path, {**person, "confirm_new": "1"})
    assert confirmed.status_code == 302
    assert Case.objects.count() == 2


def test_in_team_mode_there_are_no_unseen_duplicates(staff_a, colleague):
    registered_case(staff_a[Role.CASE_WORKER])
    assert services.unseen_duplicates(actor=as_verified(colleague), phones=["+502 5555 0101"]) == []
    assert len(services.likely_duplicates(actor=colleague, phones=["+502 5555 0101"])) == 1
