from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from amparo.core import backup


def secret_from(options: dict) -> backup.Secret:
    """The archive's key from --identity, or the passphrase from a file or the environment."""
    if options.get("identity"):
        return backup.Secret(identities=backup.read_identities(options["identity"]))
    return backup.Secret(passphrase=backup.read_passphrase(options.get("passphrase_file")))


def add_secret_arguments(parser) -> None:  # type: ignore[no-untyped-def]
    parser.add_argument("archive", help="The archive written by manage.py backup.")
    parser.add_argument(
        "--passphrase-file", help="A file whose first line is the passphrase (or AMPARO_BACKUP_PASSPHRASE)."
    )
    parser.add_argument("--identity", help="An age identity file, for an archive made with --recipient.")


class Command(BaseCommand):
    help = (
        "Decrypt a backup archive, check every member against the manifest's checksums and the database dump "
        "itself, and print what it holds. Exits non-zero when anything is wrong. Changes nothing."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        add_secret_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        try:
            manifest = backup.verify(Path(str(options["archive"])), secret_from(options))
        except backup.BackupError as exc:
            raise CommandError(f"The backup is NOT usable: {exc}") from exc
        self.stdout.write(
            f"Made {manifest['created_at']} by Amparo {manifest['amparo_version']} on {manifest['database']['vendor']}."
        )
        for label, count in sorted(manifest["counts"].items()):
            if count:
                self.stdout.write(f"  {label}: {count}")
        self.stdout.write(f"The backup is intact: {len(manifest['files'])} files match their checksums.")
