"""Insert rows of several models in one database round trip.

`insert_together(rows)` takes model instances whose primary keys the caller already set
(random ids, see `random_id`) and stores them all or none. On PostgreSQL it sends one
statement, data-modifying CTEs chained as `WITH a AS (INSERT ...), b AS (INSERT ...)
INSERT ...`: a single statement is atomic on its own, so outside a transaction it needs no
BEGIN/COMMIT round trips (foreign keys are checked at its end; Django creates them
DEFERRABLE INITIALLY DEFERRED). Inside an atomic block it runs under a savepoint, so a
unique violation leaves the outer transaction usable. Other databases get one
`bulk_create` per model inside `transaction.atomic()`.

Fields are prepared as Django prepares them for an insert (`pre_save`, then
`get_db_prep_save`), so encrypted and binary fields behave as with `Model.save()`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from itertools import groupby
from typing import Any

from django.db import connection, models, transaction

#: Ids stay below 2**53 so they survive JSON numbers in a browser.
ID_LIMIT = 2**53


def random_id() -> int:
    """A random primary key: rows inserted one after another get ids in no particular order,
    so an id says nothing about when a row was written, relative to any other row."""
    return secrets.randbelow(ID_LIMIT - 1) + 1


def insert_together(rows: Sequence[models.Model]) -> None:
    """Insert `rows` (grouped by model in the order given; parents before children), all or none.
    Raises IntegrityError on a unique or foreign-key violation, with nothing stored."""
    if not rows:
        return
    if any(row.pk is None for row in rows):
        raise ValueError("insert_together needs primary keys set by the caller")
    groups: list[tuple[type[models.Model], list[models.Model]]] = [
        (model, list(group)) for model, group in groupby(rows, key=type)
    ]
    if connection.vendor != "postgresql":
        with transaction.atomic():
            for model, group in groups:
                model._default_manager.bulk_create(group)
        return
    statements: list[str] = []
    params: list[Any] = []
    for model, group in groups:
        sql, values = _insert_sql(model, group)
        statements.append(sql)
        params.extend(values)
    head = [f"i{number} AS ({sql})" for number, sql in enumerate(statements[:-1])]
    statement = (f"WITH {', '.join(head)} " if head else "") + statements[-1]
    if connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    else:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


def _insert_sql(model: type[models.Model], rows: list[models.Model]) -> tuple[str, list[Any]]:
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values: list[Any] = []
    for row in rows:
        for field in fields:
            values.append(field.get_db_prep_save(field.pre_save(row, add=True), connection))
    table = quote(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(rows))}", values  # noqa: S608 (names from the model, values as parameters)


class RandomIdField(models.BigIntegerField):
    """A primary key holding `random_id()`, which is also the row's physical key on SQLite.

    SQLite keeps every table in a b-tree ordered by a hidden `rowid` that counts up with each
    insert, so a table scan or a dump listed rows in arrival order even with random ids.
    A column declared exactly `integer primary key` *is* the rowid: rows are then stored and
    dumped in the order of their random ids. On other databases it is a plain bigint.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", random_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)

    def rel_db_type(self, connection: Any) -> str | None:
        return models.BigIntegerField().db_type(connection)
