"""amparo.core.bulk: several models in one statement, all or none; random ids."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from amparo.core.bulk import ID_LIMIT, insert_together
from amparo.reports.models import Receipt, Signal, SubmissionKey
from amparo.reports.services.common import today

pytestmark = pytest.mark.django_db


def _receipt(public_id: str) -> Receipt:
    return Receipt(
        public_id=public_id, salt=b"s" * 16, verifier=b"v" * 32, reporter_public_key=b"k" * 32, issued_on=today()
    )


def _signal(org, receipt: Receipt) -> Signal:
    return Signal(organisation=org, receipt=receipt, channel="web", arrived_on=today(), sealed=b"sealed")


def test_rows_of_three_models_are_stored_together_in_one_statement_on_postgresql(org_a, org_b):
    receipt = _receipt("ABCD2345")
    rows = [receipt, SubmissionKey(key_hash="h1", receipt=receipt, created_on=today())]
    rows += [_signal(org_a, receipt), _signal(org_b, receipt)]
    with CaptureQueriesContext(connection) as queries:
        insert_together(rows)
    if connection.vendor == "postgresql":
        # (the test runs inside a transaction, so a savepoint surrounds it here)
        statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
        assert len(statements) == 1 and statements[0].startswith("WITH"), statements
    stored = Signal.objects.filter(receipt__public_id="ABCD2345")
    assert sorted(s.organisation_id for s in stored) == sorted([org_a.pk, org_b.pk])
    assert bytes(stored.first().sealed) == b"sealed"  # type: ignore[union-attr]
    assert SubmissionKey.objects.get(key_hash="h1").receipt_id == receipt.pk


def test_a_unique_violation_in_the_last_insert_stores_nothing_and_leaves_the_transaction_usable(org_a):
    first = _receipt("EFGH2345")
    insert_together([first, _signal(org_a, first)])
    taken = Signal.objects.get(receipt=first).reference
    second = _receipt("JKLM2345")
    clash = _signal(org_a, second)
    clash.reference = taken
    with pytest.raises(IntegrityError):
        insert_together([second, SubmissionKey(key_hash="h2", receipt=second, created_on=today()), clash])
    # Nothing of the failed call is left, and the test's transaction still works.
    assert not Receipt.objects.filter(public_id="JKLM2345").exists()
    assert not SubmissionKey.objects.filter(key_hash="h2").exists()
    assert Signal.objects.count() == 1


def test_ids_of_what_reporters_send_do_not_follow_the_order_of_arrival(org_a):
    receipts = [_receipt(f"AAAA{n:04d}"[:8]) for n in range(20)]
    for receipt in receipts:
        insert_together([receipt, _signal(org_a, receipt)])
    ids = [Signal.objects.get(receipt=receipt).pk for receipt in receipts]
    assert all(0 < pk < ID_LIMIT for pk in ids)
    # 20 random ids come out in arrival order with probability 1/20! (about 4e-19).
    assert ids != sorted(ids) and ids != sorted(ids, reverse=True)
