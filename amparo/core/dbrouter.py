"""Reads that may come from a PostgreSQL streaming replica, and nothing else (decision 0037).

With `DATABASE_REPLICA_URL` set, settings add a `replica` database alias and name it in
`AMPARO_READ_REPLICA`. Every write and every ordinary read still goes to `default` (the
primary): sign-in, sessions, the audit chain, receipts, caps, case pages and anything shown
after a POST must read what was just written, and a replica lags by up to seconds.

Only code that says so reads from the replica: a dashboard or research figure computed
inside `replica_reads()` (the referral figures page and CSV, the shelter occupancy history),
or a queryset passed through `on_replica()`. If the replica cannot answer, `from_replica()`
computes the same figures on the primary: a dashboard that lags or falls back is acceptable,
one that fails because a read-only copy is down is not.

Without the variable, `AMPARO_READ_REPLICA` is empty and everything is `default`, as before.
Migrations never run on the replica (it is a read-only copy of the primary's files).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model, QuerySet

logger = logging.getLogger("amparo.dbrouter")

T = TypeVar("T")
M = TypeVar("M", bound=Model)

#: Set (per thread and per asyncio task) while a block asks for replica reads.
_replica_reads: ContextVar[bool] = ContextVar("amparo_replica_reads", default=False)

#: Read from the primary even inside `replica_reads()`: what a request needs to be itself
#: (its session, its lock-out state, its second factor) and what must never be seen stale.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "otp_totp", "django_otp", "otp_static"})
PRIMARY_ONLY_MODELS = frozenset({"core.auditentry", "core.audithead", "core.staffkey", "core.keygrant"})


def replica_alias() -> str:
    """The alias replica reads go to, or "" when no replica is configured."""
    alias = getattr(settings, "AMPARO_READ_REPLICA", "")
    return alias if alias and alias in settings.DATABASES else ""


def _primary_only(model: type[Model]) -> bool:
    meta = model._meta
    return meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS


@contextmanager
def replica_reads() -> Iterator[None]:
    """Route the reads of this block to the replica (when one is configured)."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def on_replica(queryset: QuerySet[M]) -> QuerySet[M]:
    """`queryset` read from the replica when one is configured, else unchanged."""
    alias = replica_alias()
    return queryset.using(alias) if alias and not _primary_only(queryset.model) else queryset


def from_replica(compute: Callable[[], T]) -> T:
    """`compute()` with its reads on the replica; on the primary if the replica fails."""
    alias = replica_alias()
    if not alias:
        return compute()
    try:
        with replica_reads():
            return compute()
    except DatabaseError as error:
        # By class name only: a driver's message names the host, the user and the database.
        logger.warning("Replica read failed (%s); computed on the primary instead", type(error).__name__)
        connections[alias].close_if_unusable_or_obsolete()
        return compute()


class PrimaryReplicaRouter:
    """Django database router: `default` for everything but reads inside `replica_reads()`."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if _replica_reads.get():
            alias = replica_alias()
            if alias and not _primary_only(model):
                return alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
