"""Vault tokens are bound to their row and never opened from input (issue 8, item 1).

The attack the review found: with a copy of the database (no key file) and a case-editing
account in any organisation, paste another organisation's token into one's own case and
read the plaintext in the export. Tokens must open only on their way out of the database,
and only in the field, row and scope they were made for.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.urls import reverse

from amparo.cases import services
from amparo.cases.models import Case, Note
from amparo.core import vault
from amparo.core.fields import row_context
from amparo.core.permissions import Role
from tests.conftest import as_verified, registered_case, verified_client

SECRET_GIVEN = "Xiomara"
SECRET_FAMILY = "Quintanilla-Wexford"
SECRET_NOTE = "She hides at her cousin's house in Ixtepec"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (test names only)
        return cursor.fetchone()[0]


def _set_raw(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])  # noqa: S608


@pytest.fixture
def victim_case(staff_a):
    """Organisation A's case: the one whose tokens an attacker has copied from the database."""
    case = registered_case(staff_a[Role.CASE_WORKER])
    worker = as_verified(staff_a[Role.CASE_WORKER])
    services.case_update_person(actor=worker, case=case, given_name=SECRET_GIVEN, family_name=SECRET_FAMILY)
    services.note_add(actor=worker, case=case, body=SECRET_NOTE)
    return Case.objects.get(pk=case.pk)


def _paste_and_export(client, case, given: str, family: str) -> bytes:
    url = reverse("cases:case_person_edit", args=[case.reference])
    response = client.post(url, {"given_name": given, "family_name": family})
    assert response.status_code == 302, response.content[:2000]
    export = client.get(reverse("cases:case_export_json", args=[case.reference]))
    assert export.status_code == 200
    return export.content


def test_a_token_pasted_into_another_organisations_case_is_kept_as_text_not_opened(staff_a, staff_b, victim_case):
    stolen_given = _raw("cases_case", "given_name", victim_case.pk)
    stolen_family = _raw("cases_case", "family_name", victim_case.pk)
    assert stolen_given.startswith("v2:")
    own_case = registered_case(staff_b[Role.CASE_WORKER])
    content = _paste_and_export(verified_client(staff_b[Role.CASE_WORKER]), own_case, stolen_given, stolen_family)
    assert SECRET_GIVEN.encode() not in content and SECRET_FAMILY.encode() not in content
    assert stolen_given.encode() in content  # what was typed is what is stored: the characters
    assert Case.objects.get(pk=own_case.pk).given_name == stolen_given


def test_a_token_pasted_into_another_case_of_the_same_organisation_is_not_opened(staff_a, victim_case):
    stolen = _raw("cases_case", "family_name", victim_case.pk)
    other = registered_case(staff_a[Role.CASE_WORKER])
    content = _paste_and_export(verified_client(staff_a[Role.CASE_WORKER]), other, "Ana", stolen)
    assert SECRET_FAMILY.encode() not in content
    assert Case.objects.get(pk=other.pk).family_name == stolen


def test_a_token_copied_in_the_database_to_another_row_or_field_does_not_open(staff_a, staff_b, victim_case):
    token = _raw("cases_case", "family_name", victim_case.pk)
    # Another organisation's row.
    foreign = registered_case(staff_b[Role.CASE_WORKER])
    _set_raw("cases_case", "family_name", foreign.pk, token)
    with pytest.raises(vault.VaultError):
        Case.objects.get(pk=foreign.pk)
    # The same row, another field.
    _set_raw("cases_case", "other_names", victim_case.pk, token)
    with pytest.raises(vault.VaultError):
        Case.objects.get(pk=victim_case.pk)


def test_a_note_copied_to_another_case_or_a_case_moved_to_another_organisation_does_not_open(
    staff_a, staff_b, org_b, victim_case
):
    note = Note.objects.get(case=victim_case)
    other_case = registered_case(staff_a[Role.CASE_WORKER])
    services.note_add(actor=as_verified(staff_a[Role.CASE_WORKER]), case=other_case, body="harmless")
    other_note = Note.objects.get(case=other_case)
    _set_raw("cases_note", "body", other_note.pk, _raw("cases_note", "body", note.pk))
    with pytest.raises(vault.VaultError):
        Note.objects.get(pk=other_note.pk)
    # A row whose organisation is changed in the database alone no longer opens.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET organisation_id = %s WHERE id = %s", [org_b.pk, victim_case.pk])
    with pytest.raises(vault.VaultError):
        Case.objects.get(pk=victim_case.pk)


def test_a_save_that_moves_the_scope_without_re_encrypting_is_refused(victim_case, org_b):
    victim_case.organisation = org_b
    with pytest.raises(ValueError, match="moves the row's tokens"):
        victim_case.save(update_fields=["organisation"])


def test_update_cannot_write_plaintext_into_an_encrypted_column(victim_case):
    with pytest.raises(ValueError, match="encrypted per row"), transaction.atomic():
        Case.objects.filter(pk=victim_case.pk).update(summary="in clear")
    assert "in clear" not in (_raw("cases_case", "summary", victim_case.pk) or "")


@pytest.mark.django_db(transaction=True)
def test_the_migration_binds_first_format_tokens_to_their_rows(staff_a):
    case = registered_case(staff_a[Role.CASE_WORKER])
    # A first-format token: the same sealing, the field's name alone as associated data.
    legacy = "v1:" + vault.encrypt("Rosa Legacy", context="cases.Case.person_name").split(":", 1)[1]
    _set_raw("cases_case", "person_name", case.pk, legacy)
    migration = importlib.import_module("amparo.cases.migrations.0011_row_bound_encryption")
    with connection.schema_editor() as editor:
        migration.bind_tokens_to_rows(apps, editor)
    stored = _raw("cases_case", "person_name", case.pk)
    assert stored.startswith("v2:")
    assert (
        vault.decrypt(
            stored, context=row_context("cases.Case.person_name", case.pk, "organisation_id", case.organisation_id)
        )
        == "Rosa Legacy"
    )
    assert Case.objects.get(pk=case.pk).person_name == "Rosa Legacy"
