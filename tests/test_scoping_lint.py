"""No view, API, task or service reads people's data except through visible_to()/get_visible_or_404.

Scoped models are found by introspection (every model with a `visible_to` queryset
method); reading one of them with `.objects.` in a view, API, task or service module is a
failure, unless the line says why it may (`# scoping: <reason>`: a re-fetch under lock of
a row the caller got through visible_to, a system task, the receipt-proven reporter path).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent / "amparo"
GUARDED_MODULES = ["views.py", "api.py", "tasks.py", "selectors.py", "services.py", "services/*.py"]
ALLOWED_CALLS = {"visible_to", "create", "create_user", "bulk_create", "none"}  # writes and the empty set read nothing


def scoped_model_names() -> set[str]:
    return {
        model.__name__
        for model in apps.get_models()
        if hasattr(model._default_manager, "visible_to") or hasattr(model._default_manager.get_queryset(), "visible_to")
    }


def test_people_data_is_read_only_through_visible_to():
    names = scoped_model_names()
    assert {"Case", "AuditEntry", "User", "Organisation", "Invitation"} <= names
    pattern = re.compile(r"\b(" + "|".join(sorted(names)) + r")\.objects\.(\w+)")
    offences = []
    for module in GUARDED_MODULES:
        for path in ROOT.rglob(module):
            lines = path.read_text().splitlines()
            for lineno, line in enumerate(lines, 1):
                reasoned = "# scoping: " in line or (lineno > 1 and lines[lineno - 2].strip().startswith("# scoping: "))
                for match in pattern.finditer(line):
                    if match.group(2) not in ALLOWED_CALLS and not reasoned:
                        offences.append(f"{path.relative_to(ROOT.parent)}:{lineno}: {line.strip()}")
                if re.search(r"\bget_object_or_404\(", line):
                    offences.append(f"{path.relative_to(ROOT.parent)}:{lineno}: use get_visible_or_404")
    assert not offences, "Reads that bypass visible_to():\n" + "\n".join(offences)
