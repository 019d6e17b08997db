"""The database router (amparo.core.dbrouter, decision 0037): dashboard and research reads on
the replica, everything else on the primary.

The `replica` alias is Django's TEST MIRROR of the test database (tests/conftest.py): a
second connection to the same database, as a streaming replica is a second server with the
same rows. The tests are transactional, so what the primary wrote is committed and the
replica's connection can read it; queries are captured per connection, so each assertion
says which server a query would have reached."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amparo.core import dbrouter
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals.models import Referral
from amparo.reports import abuse
from amparo.reports.models import RoutingRule
from tests.conftest import PASSWORD, verified_client
from tests.sealing_helpers import org_with_keys
from tests.test_ops import ready_in_a_process
from tests.test_referral_figures import planted  # noqa: F401 (fixture)
from tests.test_shelters import shelter_of

both = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings):
    settings.AMPARO_READ_REPLICA = "replica"
    return settings


class Captured:
    """The SQL sent on each connection while the block ran."""

    def __enter__(self) -> Captured:
        self.primary = CaptureQueriesContext(connections["default"])
        self.replica = CaptureQueriesContext(connections["replica"])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def touching(context: CaptureQueriesContext, table: str) -> list[str]:
        return [q["sql"] for q in context.captured_queries if table in q["sql"]]


@both
def test_the_figures_page_and_csv_read_referrals_on_the_replica_only(planted, staff_a, replica_on):  # noqa: F811
    client = verified_client(staff_a[Role.CASE_WORKER])
    with Captured() as page:
        response = client.get(reverse("referral:figures"), {"period": "90"})
    assert response.status_code == 200 and "75.0 %" in response.content.decode()
    assert page.touching(page.replica, "referrals_referral"), "the figures did not read the replica"
    assert not page.touching(page.primary, "referrals_referral"), "the figures read referrals on the primary"
    # The request's own session, user and second factor stay on the primary.
    assert page.touching(page.primary, "django_session") and not page.touching(page.replica, "django_session")
    assert not page.touching(page.replica, "otp_totp")
    with Captured() as csv:
        response = client.get(reverse("referral:figures_csv"), {"period": "90"})
    assert response.status_code == 200
    assert "sent,summary,total,,6" in response.content.decode().replace("\r", "")  # the replica saw the rows
    assert csv.touching(csv.replica, "referrals_referral") and not csv.touching(csv.primary, "referrals_referral")


@both
def test_without_a_replica_configured_everything_reads_the_primary(planted, staff_a):  # noqa: F811
    client = verified_client(staff_a[Role.CASE_WORKER])
    with Captured() as page:
        response = client.get(reverse("referral:figures"), {"period": "90"})
    assert response.status_code == 200 and "75.0 %" in response.content.decode()
    assert page.replica.captured_queries == []
    assert page.touching(page.primary, "referrals_referral")


@both
def test_a_report_submitted_and_read_back_never_touches_the_replica(staff_a, org_a, replica_on):
    """The intake (proof of work, caps, receipt, audit) and the follow-up right after it are
    read-your-writes paths: a lagging replica would refuse the receipt just issued."""
    replica_on.AMPARO_RECEIPT_OPSLIMIT = 1
    replica_on.AMPARO_RECEIPT_MEMLIMIT = 8192
    replica_on.AMPARO_POW_BITS = 4
    replica_on.AMPARO_POW_MAX_BITS = 8
    org_with_keys(org_a)
    RoutingRule.objects.create(organisation=org_a, country="MEX")
    api = Client()
    with Captured() as posted:
        challenge = api.post(reverse("api:report_challenge"), {}, content_type="application/json").json()["challenge"]
        answer = api.post(
            reverse("api:report_submit"),
            {
                "what_happened": "Men sleep in containers at the Veracruz port yard",
                "country": "MEX",
                "pow_challenge": challenge,
                "pow_nonce": abuse.solve(challenge),
            },
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
        receipt = answer.json()["receipt"]
        follow = api.post(reverse("api:report_followup"), {"receipt": receipt}, content_type="application/json")
        if follow.status_code == 428:
            puzzle = follow.json()["challenge"]
            follow = api.post(
                reverse("api:report_followup"),
                {"receipt": receipt, "pow_challenge": puzzle, "pow_nonce": abuse.solve(puzzle)},
                content_type="application/json",
            )
    assert follow.status_code == 200
    assert posted.primary.captured_queries and posted.replica.captured_queries == []


@both
def test_signing_in_stays_on_the_primary_and_the_occupancy_chart_reads_the_replica(staff_a, replica_on):
    worker = staff_a[Role.CASE_WORKER]
    with Captured() as signing_in:
        answer = Client().post(reverse("accounts:login"), {"username": worker.email, "password": PASSWORD})
    assert answer.status_code == 302  # on to the second factor
    assert signing_in.primary.captured_queries and signing_in.replica.captured_queries == []
    shelter = shelter_of(staff_a)
    manager = verified_client(staff_a[Role.SHELTER_MANAGER])
    with Captured() as history:
        page = manager.get(reverse("shelters:shelter_history", kwargs={"pk": shelter.pk}))
    assert page.status_code == 200
    assert history.touching(history.replica, "shelters_admission"), "the occupancy chart did not read the replica"
    assert not history.touching(history.primary, "shelters_admission")
    # The shelter itself (the permission check) was read on the primary.
    assert history.touching(history.primary, "shelters_shelter")


def test_the_router_keeps_sessions_audit_and_writes_on_the_primary(settings):
    settings.AMPARO_READ_REPLICA = "replica"
    router = dbrouter.PrimaryReplicaRouter()
    assert router.db_for_read(Referral) == "default"  # outside replica_reads()
    with dbrouter.replica_reads():
        assert router.db_for_read(Referral) == "replica"
        assert router.db_for_read(Session) == "default"
        assert router.db_for_read(AuditEntry) == "default"
        assert router.db_for_write(Referral) == "default"
    assert router.allow_migrate("default", "referrals") is True
    assert router.allow_migrate("replica", "referrals") is False
    assert dbrouter.on_replica(Referral.objects.all()).db == "replica"
    assert dbrouter.on_replica(Session.objects.all()).db == "default"
    settings.AMPARO_READ_REPLICA = ""
    with dbrouter.replica_reads():
        assert router.db_for_read(Referral) == "default"
    assert dbrouter.on_replica(Referral.objects.all()).db == "default"


@both
def test_figures_fall_back_to_the_primary_when_the_replica_is_down(planted, staff_a, replica_on):  # noqa: F811
    """A replica that refuses connections: the page still answers, from the primary."""
    replica = connections["replica"]
    replica.close()
    saved = dict(replica.settings_dict)
    if replica.vendor == "postgresql":
        replica.settings_dict["PORT"] = "1"  # nothing listens there
    else:
        replica.settings_dict["NAME"] = "/nonexistent-directory/replica.sqlite3"
    try:
        with CaptureQueriesContext(connections["default"]) as primary:
            response = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("referral:figures"), {"period": "90"})
    finally:
        replica.close()
        replica.settings_dict.clear()
        replica.settings_dict.update(saved)
    assert response.status_code == 200 and "75.0 %" in response.content.decode()
    assert Captured.touching(primary, "referrals_referral")


def test_readiness_reports_the_replica_without_failing_on_it(tmp_path):
    database = tmp_path / "ready.sqlite3"
    status, body, _ = ready_in_a_process(tmp_path, DATABASE_REPLICA_URL=f"sqlite:///{database}")
    assert body["checks"]["replica"] == "ok" and body["checks"]["database"] == "ok"
    status, body, _ = ready_in_a_process(
        tmp_path, DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:1/nowhere?connect_timeout=2"
    )
    assert body["checks"]["replica"] == "fail" and body["checks"]["database"] == "ok"
    assert status == 200 and body["status"] == "ok"  # dashboards fall back; the intake stays in rotation
    # Without DATABASE_REPLICA_URL there is no "replica" check: tests/test_ops.py compares the whole answer.
