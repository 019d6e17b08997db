from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.routes.legs import rebuild_all


class Command(BaseCommand):
    help = "Rebuild the route legs and points from cases' trafficking events (decision 0043)."

    def handle(self, *args: Any, **options: Any) -> None:
        written = rebuild_all()
        self.stdout.write(f"{written} legs written")
