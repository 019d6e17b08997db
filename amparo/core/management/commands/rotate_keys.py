from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from amparo.core import audit, blobs, vault
from amparo.core.fields import EncryptedTextField


def encrypted_models() -> list[tuple[Any, list[str]]]:
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


class Command(BaseCommand):
    help = (
        "Add a new active data key to the key file and re-encrypt every encrypted field under it. "
        "With --retire, drop keys no stored value uses any more."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--retire", action="store_true", help="Remove keys that no value uses after re-encryption.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: object, **options: object) -> None:
        import os

        if os.environ.get("AMPARO_KEYS"):
            raise CommandError(
                "Keys come from AMPARO_KEYS; rotate them where they are kept and re-run with a key file."
            )
        if blobs.has_case_objects() and not blobs.external():
            raise CommandError(
                "Case attachments are kept in a storage that is not configured (AMPARO_ATTACHMENT_STORAGE): "
                "configure it, so their objects are re-encrypted too. Nothing was changed."
            )
        path = Path(settings.AMPARO_KEY_FILE)
        old = vault.keyring()
        new = old.with_new_active_key()
        vault.write_key_file(path, new)
        vault.reset_keyring(new)
        total = 0
        batch = int(options["batch_size"])  # type: ignore[call-overload]
        for model, names in encrypted_models():
            pks = list(model._default_manager.values_list("pk", flat=True).order_by("pk"))
            for start in range(0, len(pks), batch):
                with transaction.atomic():
                    for obj in model._default_manager.filter(pk__in=pks[start : start + batch]).select_for_update():
                        # Loading decrypts under whichever key wrote the value; saving encrypts under the new one.
                        obj.save(update_fields=names)
                        total += 1
        # Case attachments in a storage backend are vault tokens too (decision 0039).
        objects = blobs.reencrypt_case_objects() if blobs.external() else 0
        audit.record(
            actor=None,
            action="vault.rotate",
            reason=f"new key {new.active}; {total} rows re-encrypted; {objects} attachment objects",
        )
        self.stdout.write(
            f"Active key is now {new.active}; {total} rows re-encrypted; {objects} attachment objects re-encrypted."
        )
        if options["retire"]:
            retired = [kid for kid in new.keys if kid != new.active]
            kept = vault.Keyring(
                active=new.active,
                keys={new.active: new.keys[new.active]},
                index_key=new.index_key,
                audit_key=new.audit_key,
            )
            vault.write_key_file(path, kept)
            vault.reset_keyring(kept)
            self.stdout.write(f"Retired keys: {', '.join(retired) or 'none'}.")
