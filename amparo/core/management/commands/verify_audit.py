from django.core.management.base import BaseCommand, CommandError

from amparo.core.audit import verify_chain
from amparo.core.models import AuditEntry


class Command(BaseCommand):
    help = "Walk the hash-chained audit log and report any entry changed, removed or reordered."

    def handle(self, *args: object, **options: object) -> None:
        problems = verify_chain()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"The audit log is NOT intact: {len(problems)} problem(s).")
        self.stdout.write(f"The audit log is intact: {AuditEntry.objects.count()} entries verified.")
