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
