"""Schemathesis over the whole OpenAPI document: no operation answers 500 to any input.

Each operation is called anonymously and as a verified case worker.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from amparo.core.permissions import Role
from tests.conftest import verified_client


@pytest.fixture
def api_schema(db):
    # The real WSGI handler closes the database connection after each request, which would
    # end the test's transaction; Django's own test client switches this off the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_fails_on_any_input(case, staff_a):
    worker = verified_client(staff_a[Role.CASE_WORKER])
    signed_in = {"sessionid": worker.cookies["sessionid"].value}
    for cookies in ({}, signed_in):
        response = case.call(cookies=cookies)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"


# --- the referral and shelter operations, against real objects (issue 9) -----------------------


@pytest.fixture
def network_objects(staff_a, staff_b, org_a, org_b, django_capture_on_commit_callbacks):
    """The schema with real objects behind it: A's safe house (address, people staying and
    waiting, free beds shared) and a referral A sent B, sealed through the real flow."""
    from tests.referral_helpers import agreement, planted_case, refer, shelter_of
    from tests.sealing_helpers import org_with_keys
    from tests.shelter_helpers import make_safe_house

    org_with_keys(org_b)
    org_with_keys(org_a)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    agreement(org_a, org_b)
    case = planted_case(staff_a[Role.CASE_WORKER])
    with django_capture_on_commit_callbacks(execute=True):
        assert refer(verified_client(staff_a[Role.CASE_WORKER]), case, service).status_code == 302
    from amparo.referrals.models import Referral

    referral = Referral.objects.get()  # scoping: the test's one referral
    return make_safe_house(staff_a, org_a), referral


@pytest.fixture
def network_schema(network_objects, api_schema):
    return api_schema


network_ops = schemathesis.pytest.from_fixture("network_schema").include(path_regex=r"^/api/v1/(shelters|referrals)")


@network_ops.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_referral_and_shelter_operations_never_fail_for_any_role_or_input(case, network_objects, staff_a, staff_b):
    """Each generated request, and the same request naming the real shelter or referral, sent
    anonymously, by A's shelter manager and authority (the shelter and the sender's side) and
    by B's case worker (the receiver, who may accept or decline): never a 500."""
    shelter, referral = network_objects
    actors = [staff_a[Role.SHELTER_MANAGER], staff_a[Role.AUTHORITY], staff_b[Role.CASE_WORKER]]
    cookie_sets = [{}] + [{"sessionid": verified_client(user).cookies["sessionid"].value} for user in actors]
    real_id = shelter.pk if case.path.startswith("/api/v1/shelters") else referral.pk
    for cookies in cookie_sets:
        for path_parameters in (case.path_parameters, {"id": real_id} if case.path_parameters else None):
            if path_parameters is None:
                continue
            case.path_parameters = path_parameters
            response = case.call(cookies=cookies)
            assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
