"""Backups: dump, wipe, restore — every record back and decryptable, no plaintext in the dump."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from amparo.cases.models import Case
from amparo.cases.services import case_create
from amparo.core.audit import verify_chain
from amparo.core.permissions import Role
from tests.conftest import as_verified

NAME = "Yolanda Backup-Ficticia"
PHONE = "+57 300 555 0199"
SUMMARY = "Held in a finca near Ipiales, documents taken"


@pytest.mark.django_db(transaction=True)
def test_a_dump_holds_no_plaintext_and_restores_every_record(staff_a, tmp_path):
    actor = as_verified(staff_a[Role.CASE_WORKER])
    case = case_create(actor=actor, person_name=NAME, phone=PHONE, summary=SUMMARY)
    dump = tmp_path / "amparo.json"
    call_command("dumpdata", "accounts", "cases", "core", "otp_totp", output=str(dump), stdout=StringIO())
    text = dump.read_text()
    for secret in (NAME, PHONE, SUMMARY, "Ipiales"):
        assert secret not in text
    assert json.loads(text)  # a well-formed backup

    call_command("flush", interactive=False, stdout=StringIO())
    assert not Case.objects.exists()
    call_command("loaddata", str(dump), stdout=StringIO())

    restored = Case.objects.get(reference=case.reference)
    assert (restored.person_name, restored.phone, restored.summary) == (NAME, PHONE, SUMMARY)
    assert restored.phone_index == case.phone_index  # still found by phone
    assert verify_chain() == []  # the audit log came back intact
