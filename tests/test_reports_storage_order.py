"""Storage keeps no arrival order of anonymous reports (issue 8, item 2; decision 0008).

Random ids alone did not hide it: SQLite stored rows by a hidden sequential rowid, and a
PostgreSQL heap (and so pg_dump) lists rows in insertion order, each with the xmin of its
own transaction. These tests read storage the way a copy of the disk would."""

from __future__ import annotations

import pytest
from django.db import connection

from amparo.reports import services
from amparo.reports.models import Message, Receipt, Signal
from tests.test_reports import (  # noqa: F401
    _cheap_crypto_and_puzzles,
    followup,
    receiving_fixture,
    submit,
)

pytestmark = pytest.mark.django_db(transaction=True)


def dump_order(table: str) -> list[tuple[int, str]]:
    """(id, transaction or rowid) of each row in the order a dump of the database lists them."""
    if connection.vendor == "postgresql":  # pg_dump's COPY reads the heap in physical order
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT id, xmin::text FROM "{table}" ORDER BY ctid')  # noqa: S608
            return [(int(row[0]), row[1]) for row in cursor.fetchall()]
    with connection.cursor() as cursor:  # a full scan, as sqlite3's .dump and iterdump() read a table
        cursor.execute(f'SELECT id, rowid FROM "{table}" NOT INDEXED')  # noqa: S608
        return [(int(row[0]), str(row[1])) for row in cursor.fetchall()]


def test_a_dump_after_many_reports_lists_them_in_no_order_of_arrival(receiving):
    receipts = [submit() for _ in range(12)]
    arrival = [Signal.objects.get(receipt__public_id=receipt[:8]).pk for receipt in receipts]
    services.reporter_storage_reorder()  # the scheduled task (nothing to do on SQLite)
    for model in (Signal, Receipt):
        rows = dump_order(model._meta.db_table)
        ids = [row_id for row_id, _ in rows]
        assert len(ids) == 12 and ids == sorted(ids)  # the order of the random ids, nothing else
        if connection.vendor == "postgresql":
            assert len({xmin for _, xmin in rows}) == 1  # one transaction for all: no interleaving
        else:
            assert all(str(row_id) == rowid for row_id, rowid in rows)  # the rowid is the random id
    assert [row_id for row_id, _ in dump_order(Signal._meta.db_table)] != arrival
    assert followup(receipts[0]).status_code == 200  # the reporter's receipt still works


def test_messages_and_later_reports_are_reordered_too(receiving):
    receipt = submit()
    for turn in range(4):
        assert followup(receipt, action="reply", text=f"answer {turn}").status_code == 303  # post/redirect/get
    submit()
    services.reporter_storage_reorder()
    messages = dump_order(Message._meta.db_table)
    assert [row_id for row_id, _ in messages] == sorted(Message.objects.values_list("pk", flat=True))
    thread = followup(receipt).content.decode()
    assert [thread.index(f"answer {turn}") for turn in range(4)] == sorted(
        thread.index(f"answer {turn}") for turn in range(4)
    )  # the conversation keeps its order (seq), whatever the storage order
