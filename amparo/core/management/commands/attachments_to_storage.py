from django.core.management.base import BaseCommand, CommandError

from amparo.core import blobs


class Command(BaseCommand):
    help = (
        "Move attachments kept in their database rows into the storage set by AMPARO_ATTACHMENT_STORAGE "
        "(filesystem or s3), as ciphertext under random names (decision 0039). Safe to stop and run again."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            moved = blobs.move_out_of_database()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for label, count in moved.items():
            self.stdout.write(f"  {label}: {count} moved")
        self.stdout.write(
            "Done. The database still holds the old bytes in free space until it is vacuumed "
            "(PostgreSQL: VACUUM; SQLite: VACUUM), and in earlier backups until they expire."
        )
