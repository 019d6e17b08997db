from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from amparo.core import backup


class Command(BaseCommand):
    help = (
        "Write one encrypted archive: the database dump, the uploaded files and a manifest with checksums "
        "(never the key file). Encrypted with age to a passphrase (from --passphrase-file or the "
        "AMPARO_BACKUP_PASSPHRASE environment variable, never the command line) or to an age recipient."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--output", required=True, help="The archive to write (replaced only once complete).")
        parser.add_argument("--passphrase-file", help="A file whose first line is the passphrase.")
        parser.add_argument("--recipient", help="An age public key (age1…); the identity stays offline.")

    def handle(self, *args: object, **options: object) -> None:
        recipient = options.get("recipient")
        passphrase = None if recipient else backup.read_passphrase(options.get("passphrase_file"))  # type: ignore[arg-type]
        if recipient and options.get("passphrase_file"):
            raise CommandError("Give either --passphrase-file or --recipient, not both.")
        try:
            manifest = backup.create(
                Path(str(options["output"])),
                backup.Secret(passphrase=passphrase, recipient=recipient),  # type: ignore[arg-type]
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"Backup written to {options['output']}: {manifest['database']['vendor']} database, "
            f"{rows} rows in {len(manifest['counts'])} tables, {len(manifest['files']) - 1} uploaded files."
        )
