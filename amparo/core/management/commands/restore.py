from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from amparo.core import backup
from amparo.core.management.commands.verify_backup import add_secret_arguments, secret_from


class Command(BaseCommand):
    help = (
        "Restore a backup archive into an EMPTY instance (a new database and an empty MEDIA_ROOT; refuses "
        "otherwise), with the key file of the backup's date, then check the audit log, that every encrypted "
        "value opens, and that every table holds the rows the manifest counts."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        add_secret_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        try:
            done = backup.restore(Path(str(options["archive"])), secret_from(options))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        expected = done.manifest["counts"]
        differ = sorted(label for label in expected if done.counts.get(label) != expected[label])
        for label, count in sorted(done.counts.items()):
            if count:
                self.stdout.write(f"  {label}: {count}")
        if done.migrate_needed:
            self.stdout.write(
                "Restored a backup made before this version's migrations: run `manage.py migrate`, "
                "then `manage.py verify_audit`."
            )
        for problem in done.audit_problems:
            self.stderr.write(problem)
        for row in done.undecryptable[:20]:
            self.stderr.write(f"does not decrypt: {row}")
        if differ:
            raise CommandError(
                f"Restored, but these tables do not hold the rows the manifest counts: {', '.join(differ)}."
            )
        if done.audit_problems:
            raise CommandError(f"Restored, but the audit log is NOT intact: {len(done.audit_problems)} problem(s).")
        if done.undecryptable:
            raise CommandError(
                f"Restored, but {len(done.undecryptable)} encrypted rows do not open with this key file."
            )
        self.stdout.write(
            "Seconds: opening and checking the archive {open:.1f}, loading {load:.1f}, checking {check:.1f}.".format(
                **done.seconds
            )
        )
        self.stdout.write(
            f"Restored {sum(done.counts.values())} rows and {len(done.manifest['files']) - 1} uploaded files; "
            "the audit log is intact and every encrypted value opens."
        )
