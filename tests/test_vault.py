"""Encryption at rest: the vault, the encrypted fields, blind indexes and key rotation."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from amparo.cases.models import Case
from amparo.cases.services import case_create, case_search
from amparo.core import vault
from amparo.core.permissions import Role
from tests.conftest import as_verified
from tests.rawdb import plaintext_hits

NAME = "Xiomara Quintanilla-Wexford"
PHONE = "+52 55 9876 5432"
SUMMARY = "Recruited through a fake modelling agency advert in Tapachula"


def test_values_round_trip_and_are_bound_to_their_field():
    token = vault.encrypt("secret words", context="cases.Case.person_name")
    assert "secret" not in token and token.startswith("v2:")
    assert vault.decrypt(token, context="cases.Case.person_name") == "secret words"
    with pytest.raises(vault.VaultError):
        vault.decrypt(token, context="cases.Case.summary")  # moved to another column: refused


def test_tampered_ciphertext_is_refused():
    token = vault.encrypt("secret words", context="x.Y.z")
    prefix, kid, blob = token.split(":")
    raw = bytearray(base64.b64decode(blob))
    raw[len(raw) // 2] ^= 0x01  # one bit of the ciphertext
    flipped = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(vault.VaultError):
        vault.decrypt(f"{prefix}:{kid}:{flipped}", context="x.Y.z")


@pytest.mark.django_db(transaction=True)
def test_names_phones_and_narratives_never_reach_the_database_in_clear(staff_a):
    case_create(actor=as_verified(staff_a[Role.CASE_WORKER]), person_name=NAME, phone=PHONE, summary=SUMMARY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT person_name, phone, summary FROM cases_case")
        stored = cursor.fetchone()
    assert all(value.startswith("v2:") for value in stored)
    assert plaintext_hits(NAME, "Quintanilla", PHONE, "9876 5432", SUMMARY, "modelling agency") == []
    assert Case.objects.get().person_name == NAME


@pytest.mark.django_db(transaction=True)
def test_the_scan_would_catch_plaintext(org_a):
    """The raw scan is real: a value written in clear is found."""
    from amparo.accounts.models import Organisation

    Organisation.objects.filter(pk=org_a.pk).update(address="Calle Detectable 123")
    assert plaintext_hits("Calle Detectable 123") == ["Calle Detectable 123"]


def test_encrypted_fields_cannot_be_filtered_by_value(db):
    with pytest.raises(FieldError):
        list(Case.objects.filter(person_name="anything"))


def test_phone_search_uses_the_blind_index_and_ignores_formatting(staff_a):
    actor = as_verified(staff_a[Role.CASE_WORKER])
    case = case_create(actor=actor, person_name=NAME, phone=PHONE)
    assert list(case_search(actor=actor, query="+525598765432")) == [case]
    assert list(case_search(actor=actor, query="+52 55 0000 0000")) == []
    assert PHONE not in case.phone_index and len(case.phone_index) == 64


@pytest.mark.django_db(transaction=True)
def test_rotate_keys_re_encrypts_everything_under_a_new_key(staff_a, settings, tmp_path, monkeypatch):
    monkeypatch.delenv("AMPARO_KEYS", raising=False)
    key_file = tmp_path / "keys.json"
    settings.AMPARO_KEY_FILE = key_file
    vault.write_key_file(key_file, vault.Keyring.generate())
    vault.reset_keyring()
    try:
        case = case_create(actor=as_verified(staff_a[Role.CASE_WORKER]), person_name=NAME, phone=PHONE, summary=SUMMARY)
        old_kid = vault.keyring().active
        call_command("rotate_keys", "--retire")
        ring = json.loads(key_file.read_text())
        assert ring["active"] != old_kid and list(ring["keys"]) == [ring["active"]]
        with connection.cursor() as cursor:
            cursor.execute("SELECT person_name FROM cases_case")
            (token,) = cursor.fetchone()
        assert vault.key_id(token) == ring["active"]
        vault.reset_keyring()  # read the rotated file afresh, as a restarted server would
        fresh = Case.objects.get(pk=case.pk)
        assert (fresh.person_name, fresh.phone, fresh.summary) == (NAME, PHONE, SUMMARY)
        assert fresh.phone_index == case.phone_index
    finally:
        vault.reset_keyring()


@pytest.mark.django_db(transaction=True)
def test_a_process_that_loaded_old_keys_still_reads_values_written_after_rotation(
    staff_a, settings, tmp_path, monkeypatch
):
    monkeypatch.delenv("AMPARO_KEYS", raising=False)
    key_file = tmp_path / "keys.json"
    settings.AMPARO_KEY_FILE = key_file
    old = vault.Keyring.generate()
    vault.write_key_file(key_file, old)
    vault.reset_keyring(old)  # this "process" holds only the old keys in memory
    try:
        newer = old.with_new_active_key()
        vault.write_key_file(key_file, newer)  # another process rotated
        vault.reset_keyring(newer)
        written = vault.encrypt("after rotation", context="x.Y.z")
        vault.reset_keyring(old)
        assert vault.decrypt(written, context="x.Y.z") == "after rotation"
    finally:
        vault.reset_keyring()
