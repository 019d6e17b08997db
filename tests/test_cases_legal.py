"""Legal assistance and proceedings on a case file (issue 4, item 6). Through HTTP where a
person would act."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from amparo.cases import services
from amparo.cases.models import LegalAssistance, LegalProceeding
from amparo.core.fields import index_for
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, registered_case, verified_client
from tests.rawdb import plaintext_hits


@pytest.fixture
def case(staff_a):
    return registered_case(staff_a[Role.CASE_WORKER])


PROCEEDING = {
    "kind": "criminal",
    "stage": "trial",
    "court": "Juzgado Tercero Penal de Tapachula",
    "case_number": "CP-2026/0457",
    "person_role": "victim_witness",
    "started_on": "2026-02-01",
    "outcome": "conviction",
    "compensation_awarded": "150000.00",
    "compensation_paid": "20000",
    "currency": "mxn",
}


def _url(name, case, **kwargs):
    return reverse(f"cases:{name}", kwargs={"reference": case.reference, **kwargs})


@pytest.mark.parametrize("role", [Role.LEGAL_ADVISER, Role.CASE_WORKER])
def test_legal_advisers_and_case_workers_record_assistance_shown_on_the_case_file(staff_a, case, role):
    client = verified_client(staff_a[role])
    response = client.post(
        _url("legal_assistance_create", case),
        {
            "given_on": "2026-03-02",
            "assistance_type": "representation",
            "given_by": "Lic. Ana Torres",
            "notes": "Prepared her statement",
        },
    )
    assert response.status_code == 302
    help_ = LegalAssistance.objects.get(case=case)
    assert (help_.given_on, help_.recorded_by) == (datetime.date(2026, 3, 2), staff_a[role])
    page = client.get(_url("case_detail", case))
    assert b"Lic. Ana Torres" in page.content and b"Prepared her statement" in page.content
    entry = AuditEntry.objects.get(action="case.legal_assistance_add")
    assert entry.reason == "type:representation" and "statement" not in entry.reason


def test_a_proceeding_is_linked_with_stage_outcome_compensation_and_the_persons_role(staff_a, case):
    client = verified_client(staff_a[Role.LEGAL_ADVISER])
    response = client.post(_url("proceeding_create", case), PROCEEDING)
    assert response.status_code == 302, response.content[:2000]
    proceeding = LegalProceeding.objects.get(case=case)
    assert proceeding.currency == "MXN"
    assert proceeding.compensation_awarded == Decimal("150000.00")
    assert proceeding.compensation_paid == Decimal("20000")
    assert proceeding.person_role == "victim_witness" and proceeding.outcome == "conviction"
    # The case number is found through its blind index only.
    assert proceeding.case_number_index == index_for(LegalProceeding, "case_number", "CP-2026/0457")
    assert LegalProceeding.objects.filter(case_number_index=proceeding.case_number_index).count() == 1
    page = client.get(_url("case_detail", case))
    assert b"Juzgado Tercero Penal" in page.content and b"CP-2026/0457" in page.content
    assert b"Victim-witness" in page.content and b"150000" in page.content
    entry = AuditEntry.objects.get(action="case.proceeding_add")
    assert entry.reason == "kind:criminal"


def test_a_proceeding_is_updated_as_it_moves_on(staff_a, case):
    adviser = as_verified(staff_a[Role.LEGAL_ADVISER])
    proceeding = services.proceeding_add(
        actor=adviser,
        case=case,
        kind="labour",
        stage="complaint",
        court="Junta de Conciliación",
        person_role="plaintiff",
    )
    client = verified_client(staff_a[Role.LEGAL_ADVISER])
    form = client.get(_url("proceeding_update", case, pk=proceeding.pk))
    assert form.status_code == 200 and b"Junta de Conciliaci" in form.content
    data = {**PROCEEDING, "kind": "labour", "court": "Junta de Conciliación", "person_role": "plaintiff"}
    data.update({"stage": "judgment", "outcome": "found_for", "compensation_paid": ""})
    assert client.post(_url("proceeding_update", case, pk=proceeding.pk), data).status_code == 302
    proceeding.refresh_from_db()
    assert (proceeding.stage, proceeding.outcome, proceeding.compensation_paid) == ("judgment", "found_for", None)
    assert AuditEntry.objects.filter(action="case.proceeding_update").count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"started_on": "2999-01-01"}, b"The date cannot be in the future."),
        ({"compensation_awarded": "-5"}, b"An amount cannot be negative."),
        ({"compensation_paid": "-0.01"}, b"An amount cannot be negative."),
        ({"currency": "XYZ"}, b"XYZ is not an ISO 4217 currency code"),
        ({"currency": ""}, b"Give the currency of the amounts."),
        ({"kind": "military"}, b"Select a valid choice"),
        ({"person_role": "judge"}, b"Select a valid choice"),
        ({"court": ""}, b"This field is required"),
    ],
)
def test_bad_proceeding_input_is_explained_and_nothing_is_saved(staff_a, case, changes, message):
    client = verified_client(staff_a[Role.LEGAL_ADVISER])
    response = client.post(_url("proceeding_create", case), {**PROCEEDING, **changes})
    assert response.status_code == 400 and message in response.content
    assert not LegalProceeding.objects.exists()
    assert not AuditEntry.objects.filter(action="case.proceeding_add").exists()


def test_legal_assistance_in_the_future_is_refused(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        _url("legal_assistance_create", case),
        {"given_on": tomorrow, "assistance_type": "advice", "given_by": "Clínica jurídica"},
    )
    assert response.status_code == 400 and b"The date cannot be in the future." in response.content
    assert not LegalAssistance.objects.exists()


def test_the_service_refuses_roles_without_case_legal_and_other_organisations(staff_a, staff_b, case):
    for actor in (staff_a[Role.ORG_ADMIN], staff_a[Role.SHELTER_MANAGER], staff_b[Role.LEGAL_ADVISER]):
        with pytest.raises(PermissionDenied):
            services.proceeding_add(actor=as_verified(actor), case=case, **{**PROCEEDING, "started_on": None})
        with pytest.raises(PermissionDenied):
            services.legal_assistance_add(
                actor=as_verified(actor),
                case=case,
                given_on=datetime.date(2026, 1, 1),
                assistance_type="advice",
                given_by="X",
            )
    assert not LegalProceeding.objects.exists() and not LegalAssistance.objects.exists()


def test_the_model_refuses_amounts_without_currency_even_outside_the_form(staff_a, case):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.proceeding_add(
            actor=as_verified(staff_a[Role.LEGAL_ADVISER]),
            case=case,
            kind="civil",
            stage="trial",
            court="Juzgado Civil",
            person_role="plaintiff",
            compensation_awarded=Decimal("10"),
        )
    assert not LegalProceeding.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_holds_no_case_number_or_legal_notes_in_clear(staff_a, case):
    adviser = as_verified(staff_a[Role.LEGAL_ADVISER])
    services.proceeding_add(
        actor=adviser,
        case=case,
        kind="criminal",
        stage="investigation",
        court="Fiscalía Especializada",
        case_number="FED/TAP/0099-QZ",
        person_role="complainant",
    )
    services.legal_assistance_add(
        actor=adviser,
        case=case,
        given_on=datetime.date(2026, 1, 10),
        assistance_type="advice",
        given_by="Clínica jurídica",
        notes="Afraid the recruiter Chucho will testify",
    )
    assert plaintext_hits("FED/TAP/0099-QZ", "0099-QZ", "recruiter Chucho") == []
