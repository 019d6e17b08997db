""" "Everything still opens": the checks the backup drill runs after a restore and the upgrade
test runs after a migration, written once.

- the audit chain verifies (`amparo.core.audit.verify_chain`, what `verify_audit` runs);
- every encrypted field of every row opens with the key file in use
  (`amparo.core.backup.undecryptable_rows`, what `restore` runs);
- every blob sealed to an organisation opens with that organisation's key, unlocked the way the
  application unlocks it: a real sign-in (password, then two-factor) of a colleague holding a
  grant, then `sealing.unseal` with that browser's session and cookies.

Run as a program (`python -m tests.integrity <password>`, with the database and key file of
the instance in the environment), it prints the findings as JSON: the upgrade test runs it as
the current code against a database that the previous release made.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

#: Every binary field whose name starts with "sealed", and the lookup giving the organisation it
#: is sealed to (None: sealed to the reporter's own key, opened only with the receipt). A new
#: sealed field must be added here: `sealed_blobs` refuses to run while one is missing, so
#: neither check can pass by not looking at it.
SEALED_TO: dict[tuple[str, str], str | None] = {
    ("reports.Signal", "sealed"): "organisation_id",
    ("reports.Message", "sealed_for_org"): "signal__organisation_id",
    ("reports.Message", "sealed_for_reporter"): None,
    ("reports.Attachment", "sealed_name"): "signal__organisation_id",
    ("reports.Attachment", "sealed_content"): "signal__organisation_id",
    ("reports.Receipt", "sealed_report"): None,
    ("referrals.Referral", "sealed_content"): "receiver_id",
    ("referrals.Referral", "sealed_reply"): "sender_id",
    ("referrals.ReferralUpdate", "sealed_for_receiver"): "referral__receiver_id",
    ("referrals.ReferralUpdate", "sealed_for_sender"): "referral__sender_id",
}


@dataclass
class Findings:
    tables: dict[str, int] = field(default_factory=dict)
    audit_problems: list[str] = field(default_factory=list)
    audit_entries: int = 0
    undecryptable: list[str] = field(default_factory=list)
    cases: int = 0
    sealed_opened: dict[str, int] = field(default_factory=dict)
    sealed_not_opened: list[str] = field(default_factory=list)
    amparo_file: str = ""

    @property
    def problems(self) -> list[str]:
        return [
            *(f"audit: {problem}" for problem in self.audit_problems),
            *(f"does not decrypt: {row}" for row in self.undecryptable),
            *(f"does not unseal: {row}" for row in self.sealed_not_opened),
        ]


def table_counts() -> dict[str, int]:
    """Rows in every table of the database, by table name (it reads what is there, so the same
    counts compare across releases whose models differ)."""
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names)
            counts[table] = int(cursor.fetchone()[0])
    return counts


def sealed_blobs() -> Iterator[tuple[str, int, bytes]]:
    """(label, organisation id, blob) for every non-empty blob sealed to an organisation."""
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if not (isinstance(model_field, models.BinaryField) and model_field.name.startswith("sealed")):
                continue
            key = (model._meta.label, model_field.name)
            if key not in SEALED_TO:
                raise AssertionError(f"{key} is sealed but tests/integrity.py SEALED_TO does not say to whom")
            lookup = SEALED_TO[key]
            if lookup is None:
                continue
            rows = model._base_manager.exclude(**{f"{model_field.name}__isnull": True}).values_list(
                "pk", lookup, model_field.name
            )
            for pk, organisation_id, blob in rows.order_by("pk").iterator():
                if blob:
                    yield f"{key[0]}.{key[1]} {pk}", organisation_id, bytes(blob)


def unlocked_request(organisation_id: int, password: str) -> Any:
    """The request of a colleague of this organisation who holds a grant, signed in for real."""
    from amparo.core.models import KeyGrant
    from tests.sealing_helpers import sign_in_for_real
    from tests.test_sealing import request_for

    grant = (
        KeyGrant.objects.filter(organisation_keys__organisation_id=organisation_id, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if grant is None:
        return None
    return request_for(sign_in_for_real(grant.user, password), grant.user)


def open_sealed(password: str) -> tuple[dict[str, int], list[str]]:
    from amparo.core import sealing

    requests: dict[int, Any] = {}
    opened: dict[str, int] = {}
    failed: list[str] = []
    for label, organisation_id, blob in sealed_blobs():
        try:
            if organisation_id not in requests:
                requests[organisation_id] = None  # a failed sign-in is tried once
                requests[organisation_id] = unlocked_request(organisation_id, password)
            request = requests[organisation_id]
            if request is None:
                raise ValueError("no colleague holds a grant")
            sealing.unseal(request, organisation_id, blob)
        except Exception as error:  # noqa: BLE001 (every failure is a finding, named below)
            failed.append(f"{label} ({type(error).__name__})")
            continue
        kind = label.rsplit(" ", 1)[0]
        opened[kind] = opened.get(kind, 0) + 1
    return opened, failed


def findings(password: str) -> Findings:
    """Counts first (signing in below adds sessions and audit entries), then every check."""
    import amparo
    from amparo.cases.models import Case
    from amparo.core.audit import verify_chain
    from amparo.core.backup import undecryptable_rows
    from amparo.core.models import AuditEntry

    found = Findings(tables=table_counts(), amparo_file=amparo.__file__ or "")
    found.audit_problems = verify_chain()
    found.audit_entries = AuditEntry.objects.count()
    found.undecryptable = undecryptable_rows()
    found.cases = Case._base_manager.count()
    found.sealed_opened, found.sealed_not_opened = open_sealed(password)
    return found


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name, as in the suite
    print(json.dumps(asdict(findings(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
