"""No view, API, task, service or template tag reads people's data except through visible_to()/get_visible_or_404.

Scoped models are found by introspection (every model with a `visible_to` queryset
method). In a view, API, task or service module the lint flags:

* `Model.objects.<read>` of a scoped model;
* `<anything>._default_manager.<read>` / `._base_manager.<read>` (the manager behind a
  model variable: nothing says which model, so nothing says it is scoped);
* a read through a related manager that leads to a scoped model (`case.notes.all()`,
  `signal.messages.filter(...)`, or the bare manager handed to a template);
* `get_object_or_404`.

A read passes when it goes through `visible_to` (`case.notes.visible_to(user)`), is a
write that reads nothing (`create`, `bulk_create`), or when the line (or the comment line
just above it) says why it may (`# scoping: <reason>`: a re-fetch under lock of a row the
caller got through visible_to, a system task, the receipt-proven reporter path).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models

ROOT = Path(__file__).resolve().parent.parent / "amparo"
GUARDED_MODULES = [
    "views.py",
    "api.py",
    "public_views.py",
    "public_api.py",
    "tasks.py",
    "selectors.py",
    "services.py",
    "services/*.py",
    "templatetags/*.py",
    "context_processors.py",
    "middleware.py",
]
ALLOWED_CALLS = {"visible_to", "create", "create_user", "bulk_create", "none"}  # writes and the empty set read nothing

#: Models that hold no people's data and need no visible_to, and why.
UNSCOPED_BY_DESIGN = {
    "reports.Receipt": "a salt, an Argon2id verifier and a public key; no content; read only on the receipt-proven path",
    "reports.SubmissionKey": "a hash of an idempotency key",
    "core.AuditHead": "the hash at the head of the audit chain",
    "core.OrganisationKeys": "an organisation's public key and its private key wrapped; read only by amparo.core.sealing",
    "core.StaffKey": "a staff member's wrapped key pair; read only by amparo.core.sealing",
    "core.KeyGrant": "the organisation key sealed to one staff key; read only by amparo.core.sealing",
}
PEOPLE_APPS = {"accounts", "cases", "core", "reports", "shelters"}


def scoped_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if hasattr(model._default_manager.get_queryset(), "visible_to")]


def scoped_model_names() -> set[str]:
    return {model.__name__ for model in scoped_models()}


def scoped_related_accessors() -> set[str]:
    """Names of the related managers (`case.notes`, `signal.messages`) that lead to scoped rows."""
    names = set()
    for model in scoped_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and not isinstance(field, models.OneToOneField):
                accessor = field.remote_field.get_accessor_name()
                if accessor and not accessor.endswith("+"):
                    names.add(accessor)
            if isinstance(field, models.ManyToManyField):
                names.add(field.name)
    return names


def offences_in(text: str, where: str) -> list[str]:
    """The unscoped reads in one module's source `text` (`where` names it in the report)."""
    objects_read = re.compile(r"\b(" + "|".join(sorted(scoped_model_names())) + r")\.objects\.(\w+)")
    manager_read = re.compile(r"\.(_default_manager|_base_manager)\b(?:\.(\w+))?")
    related_read = re.compile(
        r"\b\w+\.(" + "|".join(sorted(scoped_related_accessors())) + r")\b(?![\w(]|\s*=[^=])(?:\.(\w+))?"
    )
    offences = []
    lines = text.splitlines()
    for lineno, line in enumerate(lines, 1):
        code = line.split("#", 1)[0]
        if not code.strip() or re.match(r"\s*(from|import)\s", code):
            continue
        reasoned = "# scoping: " in line or (lineno > 1 and lines[lineno - 2].strip().startswith("# scoping: "))
        if reasoned:
            continue
        for pattern in (objects_read, manager_read, related_read):
            for match in pattern.finditer(code):
                if match.group(2) not in ALLOWED_CALLS:
                    offences.append(f"{where}:{lineno}: {line.strip()}")
        if re.search(r"\bget_object_or_404\(", code):
            offences.append(f"{where}:{lineno}: use get_visible_or_404")
    return offences


def test_people_data_is_read_only_through_visible_to():
    names = scoped_model_names()
    assert {"Case", "AuditEntry", "User", "Organisation", "Invitation"} <= names
    offences = []
    for module in GUARDED_MODULES:
        for path in ROOT.rglob(module):
            offences += offences_in(path.read_text(), str(path.relative_to(ROOT.parent)))
    assert not offences, "Reads that bypass visible_to():\n" + "\n".join(offences)


def test_every_model_holding_peoples_data_has_visible_to():
    """Encrypted or sealed content, or a row belonging to a case or a signal: visible_to(user)."""
    from amparo.cases.models import Case
    from amparo.core.fields import EncryptedTextField
    from amparo.reports.models import Signal

    missing = []
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label not in PEOPLE_APPS or label in UNSCOPED_BY_DESIGN:
            continue
        fields = model._meta.concrete_fields
        holds = any(
            isinstance(f, EncryptedTextField | models.BinaryField)
            or (isinstance(f, models.ForeignKey) and f.related_model in (Case, Signal))
            for f in fields
        )
        if holds and not hasattr(model._default_manager.get_queryset(), "visible_to"):
            missing.append(label)
    assert not missing, f"Models holding people's data without visible_to(): {missing}"
    for name in ("Message", "Attachment", "Note", "CaseAttachment"):
        assert name in scoped_model_names()


PLANTED = """
def planted_view(request, reference):
    case = get_visible_or_404(Case, request.user, reference=reference)
    notes = Note.objects.filter(case=case)
    listed = case.notes.all()
    messages = signal.messages.filter(author="reporter")
    handed = {"attachments": case.attachments}
    raw = Case._default_manager.get(reference=reference)
    base = model._base_manager.all()
    other = get_object_or_404(Case, reference=reference)
"""

SCOPED = """
def scoped_view(request, reference):
    case = get_visible_or_404(Case, request.user, reference=reference)
    notes = Note.objects.visible_to(request.user).filter(case=case)
    listed = case.notes.visible_to(request.user)
    Note.objects.create(case=case, body="x")
    case.notes.create(body="x")
    # scoping: the reporter's own conversation, proven by the receipt
    messages = signal.messages.filter(author="reporter")
    alerts = case.duplicate_alerts.all()  # scoping: dismissed by its own case only
    from amparo.cases.services import note_add
    import amparo.cases.services.team
"""


def test_the_lint_catches_each_kind_of_bypass():
    found = offences_in(PLANTED, "planted.py")
    flagged = {int(entry.split(":")[1]) for entry in found}
    # every planted line after the first (the def) and the visible case
    assert flagged == {4, 5, 6, 7, 8, 9, 10}, found
    assert offences_in(SCOPED, "scoped.py") == []
