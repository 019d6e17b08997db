"""Where attachment ciphertext is kept: in its database row (default) or in a storage backend.

Decision 0039. `settings.AMPARO_ATTACHMENT_STORAGE` is one of:

- ``database`` (default, as before): the sealed or vault-encrypted bytes stay in the
  attachment's row;
- ``filesystem``: they go to files under ``MEDIA_ROOT/attachments`` (in the backups' media);
- ``s3``: they go to an S3-compatible bucket through django-storages (``STORAGES["attachments"]``).

Whatever the place, only ciphertext leaves the application: a report attachment's object is
the blob sealed to the organisation's public key (the server cannot open it without a
colleague's session), a case attachment's object is a vault token bound to the row
(``cases.CaseAttachment.object|<id>|case=<case id>``), so an object copied to another row does
not open. The row keeps the object's random key and its SHA-256: an object swapped, cut or
changed in the bucket is refused before anything is opened (`ObjectDamaged`).

Object keys are 32 random hexadecimal characters: no case reference, file name, type or date.
The storage never hands out a URL (`url()` raises): attachments are served only by Amparo's
own permission-checked, audited views. Deleting a row (report purge, case erasure, any
cascade) deletes its object once the transaction commits.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.signals import post_delete

MODES = ("database", "filesystem", "s3")
ALIAS = "attachments"


class ObjectDamaged(Exception):
    """An attachment's object is missing from the storage or is not the one its row names."""


class PrivateFileSystemStorage(FileSystemStorage):
    """Files readable only by Amparo's user, never reachable by a URL."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("Attachments have no URL: they are served only through Amparo's views.")


def mode() -> str:
    return str(getattr(settings, "AMPARO_ATTACHMENT_STORAGE", "database"))


def external() -> bool:
    """New attachments go to the storage backend rather than into their row."""
    return mode() != "database"


def storage() -> Storage:
    return storages[ALIAS]


def new_key() -> str:
    return secrets.token_hex(16)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(data: bytes) -> tuple[str, str]:
    """Store ciphertext under a fresh random key; (key, SHA-256) for the row."""
    name = storage().save(new_key(), ContentFile(data))
    return name, sha256(data)


def get(key: str, digest: str) -> bytes:
    """The object's bytes, refused unless they are the ones its row recorded."""
    try:
        with storage().open(key, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, OSError) as exc:
        raise ObjectDamaged("An attachment's stored object is missing.") from exc
    except Exception as exc:  # boto3's ClientError (NoSuchKey) and friends
        raise ObjectDamaged("An attachment's stored object could not be read.") from exc
    if not secrets.compare_digest(sha256(data), digest):
        raise ObjectDamaged("An attachment's stored object is not the one its row names.")
    return bytes(data)


def discard(keys: list[str]) -> None:
    """Delete objects (best effort: an object already gone is not an error)."""
    if not keys:
        return
    target = storage()
    for key in keys:
        target.delete(key)


def _delete_after_commit(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    key = getattr(instance, "object_key", "")
    if key:
        transaction.on_commit(lambda: discard([key]), robust=True)


def attachment_models() -> list[type[models.Model]]:
    from amparo.cases.models import CaseAttachment
    from amparo.reports.models import Attachment

    return [Attachment, CaseAttachment]


def connect() -> None:
    """Delete an attachment's object with its row. Connected only while attachments may live
    outside the database: a receiver makes Django load each deleted row, and in database mode
    that would read every blob of a purge into memory for nothing."""
    for model in attachment_models():
        if external():
            post_delete.connect(_delete_after_commit, sender=model, dispatch_uid=f"blob-delete:{model._meta.label}")
        else:
            post_delete.disconnect(sender=model, dispatch_uid=f"blob-delete:{model._meta.label}")


def _on_setting_changed(setting: str, **kwargs: Any) -> None:
    if setting in {"AMPARO_ATTACHMENT_STORAGE", "STORAGES"}:
        connect()


setting_changed.connect(_on_setting_changed, dispatch_uid="blob-setting-changed")


def referenced_keys(cursor: Any) -> list[str]:
    """Every object key the database names, through `cursor` (the backup's snapshot)."""
    keys: list[str] = []
    for model in attachment_models():
        table = model._meta.db_table  # plain lower-case names, the same on SQLite and PostgreSQL
        cursor.execute(f"SELECT object_key FROM {table} WHERE object_key <> ''")  # noqa: S608
        keys.extend(row[0] for row in cursor.fetchall())
    return sorted(keys)


def damaged_objects() -> list[str]:
    """Rows whose object is missing or is not the one recorded (after a restore)."""
    if not any(m._base_manager.exclude(object_key="").exists() for m in attachment_models()):
        return []
    from amparo.cases.models import CaseAttachment
    from amparo.core import vault

    failed = []
    for model in attachment_models():
        scope = "case_id" if model is CaseAttachment else "pk"
        rows = model._base_manager.exclude(object_key="").values_list("pk", "object_key", "object_sha256", scope)
        for pk, key, digest, case_id in rows.iterator(chunk_size=500):
            try:
                data = get(key, digest)
                if model is CaseAttachment:
                    # A case object is a vault token: it must open with the key file in use.
                    row = CaseAttachment(pk=pk, case_id=case_id)
                    vault.decrypt(data.decode("ascii", errors="replace"), context=row.object_context())
            except (ObjectDamaged, vault.VaultError):
                failed.append(f"{model._meta.label} {pk}")
    return failed


def sealed_fields(sealed: bytes) -> dict[str, Any]:
    """A report attachment's content columns for a blob sealed to its organisation."""
    if not external():
        return {"sealed_content": sealed}
    key, digest = put(sealed)
    return {"sealed_content": b"", "object_key": key, "object_sha256": digest}


def sealed_content(attachment: Any) -> bytes:
    """A report attachment's sealed blob, from its row or its object."""
    if attachment.object_key:
        return get(attachment.object_key, attachment.object_sha256)
    return bytes(attachment.sealed_content)


def move_out_of_database(*, batch: int = 100) -> dict[str, int]:
    """Move attachments stored in their rows into the configured storage, one row per
    transaction (`manage.py attachments_to_storage`). Returns rows moved per model.

    Each object is written first and the row emptied after, in a transaction that locks the
    row; if the row changed meanwhile (deleted, moved) the object is deleted again. Safe to
    stop and run again: rows already moved are skipped."""
    from amparo.cases.models import CaseAttachment
    from amparo.reports.models import Attachment

    if not external():
        raise ValueError("Set AMPARO_ATTACHMENT_STORAGE to filesystem or s3 first.")
    moved = {"reports.Attachment": 0, "cases.CaseAttachment": 0}
    # scoping: system command over every organisation's attachments (ids only)
    for pk in Attachment.objects.filter(object_key="").values_list("pk", flat=True).iterator(chunk_size=batch):
        with transaction.atomic():
            # scoping: the row found above, locked while it is moved
            row = Attachment.objects.select_for_update().filter(pk=pk, object_key="").first()
            if row is None or not bytes(row.sealed_content):
                continue
            fields = sealed_fields(bytes(row.sealed_content))
            try:
                Attachment.objects.filter(pk=pk).update(**fields)  # scoping: the locked row
            except BaseException:
                discard([fields["object_key"]])
                raise
        moved["reports.Attachment"] += 1
    from amparo.core import vault

    # scoping: system command over every organisation's attachments (ids only)
    for pk in CaseAttachment.objects.filter(object_key="").values_list("pk", flat=True).iterator(chunk_size=batch):
        with transaction.atomic():
            # scoping: the row found above, locked while it is moved
            case_row = CaseAttachment.objects.select_for_update().filter(pk=pk, object_key="").first()
            if case_row is None or not case_row.content:
                continue
            token = vault.encrypt(str(case_row.content), context=case_row.object_context())
            key, digest = put(token.encode("ascii"))
            case_row.content, case_row.object_key, case_row.object_sha256 = "", key, digest
            try:
                case_row.save(update_fields=["content", "object_key", "object_sha256"])
            except BaseException:
                discard([key])
                raise
        moved["cases.CaseAttachment"] += 1
    return moved


def has_case_objects() -> bool:
    from amparo.cases.models import CaseAttachment

    # scoping: system check over every organisation's attachments (existence only)
    return CaseAttachment.objects.exclude(object_key="").exists()


def reencrypt_case_objects() -> int:
    """Re-encrypt case attachment objects under the vault's active key (`rotate_keys`):
    each into a new object, the row repointed in a transaction, the old object deleted after
    the commit. Objects already under the active key are left. Returns objects rewritten."""
    from amparo.cases.models import CaseAttachment
    from amparo.core import vault

    active = vault.keyring().active
    count = 0
    # scoping: system command over every organisation's attachments (ids only)
    for pk in CaseAttachment.objects.exclude(object_key="").values_list("pk", flat=True).iterator(chunk_size=100):
        with transaction.atomic():
            # scoping: the row found above, locked while its object is replaced
            row = CaseAttachment.objects.select_for_update().filter(pk=pk).exclude(object_key="").first()
            if row is None:
                continue
            token = get(row.object_key, row.object_sha256).decode("ascii", errors="replace")
            if vault.key_id(token) == active:
                continue
            fresh = vault.encrypt(vault.decrypt(token, context=row.object_context()), context=row.object_context())
            old = row.object_key
            key, digest = put(fresh.encode("ascii"))
            try:
                # scoping: the locked row
                CaseAttachment.objects.filter(pk=pk).update(object_key=key, object_sha256=digest)
            except BaseException:
                discard([key])
                raise
            transaction.on_commit(lambda old=old: discard([old]), robust=True)  # type: ignore[misc]
        count += 1
    return count
