"""`manage.py extract_places`: JSON lines of texts on standard input, places found on standard output.

Input lines: {"id": ..., "text": "...", "language": "es" | "en"} (optionally "org_country").
Output lines: Extraction.as_json(id). A line that is not such an object gets an error line on
standard error naming its line number; the command goes on and exits with status 1 at the end.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from amparo.places.extract import extract_places


class Command(BaseCommand):
    help = "Extract places from JSON lines of texts on standard input (issue 11)."
    stealth_options = ("stdin",)

    def handle(self, *args, **options) -> None:
        stdin = options.get("stdin") or sys.stdin
        failed = 0
        for number, line in enumerate(stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError("expected an object with a string 'text'")
                language = item.get("language") or "es"
                if language not in ("es", "en"):
                    raise ValueError("'language' must be 'es' or 'en'")
                org_country = item.get("org_country")
                if org_country is not None and not isinstance(org_country, str):
                    raise ValueError("'org_country' must be a string")
            except ValueError as exc:  # json.JSONDecodeError is a ValueError
                failed += 1
                self.stderr.write(f"line {number}: {exc}")
                continue
            result = extract_places(item["text"], language, org_country=org_country)
            self.stdout.write(json.dumps(result.as_json(item.get("id")), ensure_ascii=False))
        if failed:
            raise CommandError(f"{failed} line(s) could not be read", returncode=1)
