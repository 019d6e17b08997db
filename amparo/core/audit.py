"""Writing to and checking the audit log (models in amparo.core.models).

`record()` is called inside the transaction of the change it records, by services and by
views that read people's data. `verify_chain()` backs `manage.py verify_audit`.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from amparo.core.models import GENESIS, AuditEntry, AuditHead


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    organisation_id: int | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain. Call inside the transaction of the change it records.

    `actor` may be None for system actions. The organisation defaults to the object's
    organisation, then the actor's.
    """
    if organisation_id is None and obj is not None:
        organisation_id = getattr(obj, "organisation_id", None)
    if organisation_id is None and actor is not None:
        organisation_id = getattr(actor, "organisation_id", None)
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            at=timezone.now().replace(microsecond=0),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=(getattr(actor, "email", "") or "system") if actor is not None else "system",
            organisation_id=organisation_id,
            action=action,
            object_type=obj._meta.label if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            reason=reason,
            prev_mac=head.mac,
        )
        entry.mac = entry.compute_mac()
        entry.save()
        head.seq, head.mac = entry.seq, entry.mac
        head.save(update_fields=["seq", "mac"])
    return entry


def verify_chain() -> list[str]:
    """Walk the whole chain; return the problems found (empty when intact)."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (found {entry.seq} next)")
            expected_seq = entry.seq
        if entry.prev_mac != prev:
            problems.append(f"entry {entry.seq} does not follow the entry before it")
        if entry.compute_mac() != entry.mac:
            problems.append(f"entry {entry.seq} was changed after it was written")
        prev = entry.mac
        expected_seq += 1
    head = AuditHead.objects.filter(pk=1).first()
    last = expected_seq - 1
    if head is not None and (head.seq != last or head.mac != prev):
        problems.append(f"the chain ends at entry {last} but {head.seq} entries were written")
    return problems
