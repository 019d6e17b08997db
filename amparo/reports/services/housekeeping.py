"""Scheduled work: the retention purge, the content-free urgent notice, the storage reorder."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction

from amparo.core import audit
from amparo.core.permissions import Perm
from amparo.reports.models import Attachment, Message, Receipt, Signal, SubmissionKey
from amparo.reports.services.common import (
    today,
)
from amparo.reports.vocabularies import (
    SignalStatus,
    Urgency,
)

# --- retention -------------------------------------------------------------------------------


def signals_purge_expired(*, on: date | None = None) -> int:
    """Delete signals older than AMPARO_REPORT_RETENTION_DAYS not linked to a case, then the
    receipts left without a signal and stale idempotency keys. Returns signals deleted."""
    on = on or today()
    cutoff = on - timedelta(days=int(getattr(settings, "AMPARO_REPORT_RETENTION_DAYS", 365)))
    with transaction.atomic():
        expired = Signal.objects.filter(arrived_on__lt=cutoff, case__isnull=True)  # scoping: system task
        count = expired.count()
        expired.delete()
        Receipt.objects.filter(signals__isnull=True).delete()
        keep_keys = int(getattr(settings, "AMPARO_IDEMPOTENCY_DAYS", 2))
        SubmissionKey.objects.filter(created_on__lt=on - timedelta(days=keep_keys)).delete()
        if count:
            audit.record(actor=None, action="report.purge", reason=f"{count} signal(s) before {cutoff.isoformat()}")
    return count


def urgent_signals_notify() -> int:
    """E-mail each organisation's triage staff how many new urgent signals wait, nothing more.

    The e-mail names no signal, no place, no content and no time: it says "sign in". Run
    every AMPARO_URGENT_NOTIFY_MINUTES by Celery beat, so an e-mail dates an arrival only to
    that window. Returns the number of organisations notified.
    """
    from amparo.accounts.models import User
    from amparo.core.permissions import roles_with

    pending = Signal.objects.filter(  # scoping: system task, counts per organisation only
        urgency=Urgency.URGENT, urgent_notified=False, held=False, status=SignalStatus.NEW
    )
    notified = 0
    for org_id in sorted(set(pending.values_list("organisation_id", flat=True))):
        with transaction.atomic():
            # Idempotent (decision 0036): the flag is set only where it is still unset, and the
            # rows this run set are the ones it tells. A second run of this task at the same time
            # (a task given back by a killed worker) waits on these rows' locks, then finds them
            # set and tells nothing: one notice per signal.
            ids = list(pending.filter(organisation_id=org_id).values_list("pk", flat=True))
            unflagged = Signal.objects.filter(pk__in=ids, urgent_notified=False)  # scoping: system task
            count = unflagged.update(urgent_notified=True)
            if not count:
                continue
            audit.record(actor=None, action="report.notify_urgent", organisation_id=org_id, reason=f"{count}")
            staff = list(
                # scoping: system task: e-mail addresses of the organisation's triage staff
                User.objects.filter(
                    organisation_id=org_id, is_active=True, role__in=roles_with(Perm.REPORT_TRIAGE)
                ).values_list("email", "language")
            )
            # Sent before the flag commits: a process killed before the commit leaves the flag
            # unset and the run given back tells again; none is lost (decision 0036). Only a kill
            # between the mail server's "accepted" and the commit repeats one notice.
            _send_urgent_notice(staff, count)
        notified += 1
    return notified


def _send_urgent_notice(staff: list[tuple[str, str]], count: int) -> None:
    from django.core.mail import send_mail
    from django.utils import translation
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    for email, language in staff:
        with translation.override(language or settings.LANGUAGE_CODE):
            send_mail(
                _("Amparo: urgent signals are waiting"),
                ngettext(
                    "%(count)s new urgent signal is waiting in your organisation's inbox. "
                    "Sign in to Amparo to read it. This e-mail contains nothing else on purpose.",
                    "%(count)s new urgent signals are waiting in your organisation's inbox. "
                    "Sign in to Amparo to read them. This e-mail contains nothing else on purpose.",
                    count,
                )
                % {"count": count},
                None,
                [email],
            )


# --- storage order ---------------------------------------------------------------------------

#: What the reporter's submissions and messages write, parents first (decision 0008).
REPORTER_MODELS = (Receipt, SubmissionKey, Signal, Message, Attachment)


def reporter_storage_reorder() -> list[str]:
    """Erase the arrival order of the reporter's rows from the live tables (PostgreSQL).

    Each table's rows are first rewritten in one transaction (`UPDATE ... SET id = id`), so
    they all carry that transaction's `xmin` instead of one per submission that placed them
    between timed audit entries; then `CLUSTER ... USING` the primary key writes the table
    (and its TOAST table and indexes) into new files in the order of the random ids and drops
    the old files, so a heap scan or `pg_dump` lists rows in no order of arrival. Holds an
    exclusive lock on each table while it is rewritten (intake waits; nothing is lost).
    On SQLite the random id is the rowid already (amparo.core.bulk.RandomIdField): nothing
    to do. What this cannot reach (WAL, freed disk blocks) is in docs/deployment.md.
    Returns the tables rewritten. No actor, no audit entry: it changes no content.
    """
    if connection.vendor != "postgresql":
        return []
    done = []
    quote = connection.ops.quote_name
    for model in REPORTER_MODELS:
        table = quote(model._meta.db_table)
        pkey = quote(_primary_key_index(model._meta.db_table))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET id = id")  # noqa: S608 (names from the model)
        with connection.cursor() as cursor:
            cursor.execute(f"CLUSTER {table} USING {pkey}")
        done.append(model._meta.db_table)
    return done


def _primary_key_index(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conindid::regclass::text FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        )
        return str(cursor.fetchone()[0]).strip('"')
