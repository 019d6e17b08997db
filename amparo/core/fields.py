"""Model fields backed by the vault.

`EncryptedTextField` stores only vault tokens bound to their row; Python code sees
plaintext. It cannot be filtered on (a ciphertext never equals another): search through a
blind index column instead (`index_for`).
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import FieldError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import signals
from django.utils.translation import gettext_lazy as _

from amparo.core import vault
from amparo.core.bulk import random_id


class SealedValue:
    """A vault token just read from the database, not yet opened.

    `from_db_value` returns one; the `post_init` hook of the model opens it with the row's
    binding (`EncryptedTextField.binding`) as soon as the instance exists, so model code only
    ever sees plaintext. A `values()` query, which builds no instance, gets this object
    instead of the plaintext: such reads of encrypted columns are refused by design.
    """

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "<SealedValue>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SealedValue) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __str__(self) -> str:
        raise TypeError("An encrypted value can only be read through a model instance.")


class _BoundToken(str):
    """A token `pre_save` has just made for one row: the only plaintext-free value
    `get_prep_value` passes to the database besides raw tokens (fixtures, rotation)."""


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with the vault; the column holds `v2:<kid>:<base64>`.

    The associated data binds each token to its row: the field (`app.Model.field`), the
    row's primary key and its scope (the case for rows that belong to a case, otherwise the
    organisation), so a token copied into another field, row or organisation does not open.

    Tokens are opened only on their way out of the database (`from_db_value`, then the
    model's `post_init`), never from input: `to_python` treats a value shaped like a token
    as the text it is, and `pre_save` encrypts whatever the attribute holds. A model with
    such fields needs its primary key before the insert (a random id, `core.bulk.random_id`).
    """

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.vault_context = f"{cls._meta.label}.{name}"
        if not cls._meta.abstract:
            # One receiver per model (dispatch_uid), opening every encrypted field of the row.
            signals.post_init.connect(_open_sealed_fields, sender=cls, dispatch_uid=f"vault-open:{cls._meta.label}")
            signals.pre_save.connect(
                _refuse_partial_rebinding, sender=cls, dispatch_uid=f"vault-bind:{cls._meta.label}"
            )

    def binding(self, instance: models.Model) -> str:
        """The associated data for this field of `instance`: field, primary key and scope."""
        if instance.pk is None:
            raise ValueError(f"{self.vault_context} is encrypted per row: the row needs its primary key first.")
        scope_name = vault_scope_attname(type(instance))
        return row_context(
            self.vault_context, instance.pk, scope_name, getattr(instance, scope_name) if scope_name else ""
        )

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return SealedValue(value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value is None or value == "":
            return value
        if isinstance(value, SealedValue):
            raise ValueError(f"{self.vault_context} was never opened; refusing to store it again.")
        return _BoundToken(vault.encrypt(str(value), context=self.binding(model_instance)))

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "" or isinstance(value, _BoundToken):
            return value
        if isinstance(value, str) and vault.is_token(value):
            # A raw save (loaddata) or key rotation storing a token as it is: it opens only in
            # the row it was made for, so nothing is gained by putting it anywhere else.
            return value
        raise ValueError(
            f"{self.vault_context} is encrypted per row: set it on an instance and save(), not through update()."
        )

    def value_to_string(self, obj: models.Model) -> str:
        """Serialise as this row's ciphertext: `dumpdata` and other serialisers never write plaintext."""
        value = self.value_from_object(obj)
        if value is None or value == "":
            return value  # type: ignore[no-any-return]
        return vault.encrypt(str(value), context=self.binding(obj))

    def to_python(self, value: Any) -> Any:
        """Input is text, whatever it looks like: a token typed or pasted into a form is
        stored (encrypted) as those characters and never opened."""
        return super().to_python(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.vault_context} is encrypted and cannot be filtered with '{lookup_name}'; use its blind index."
        )


def row_context(field_context: str, pk: Any, scope_name: str, scope: Any) -> str:
    """The associated data of one field of one row (also used by the migration to this format)."""
    return f"{field_context}|{pk}|{scope_name}={scope}"


@functools.cache
def vault_scope_attname(model: type[models.Model]) -> str:
    """The column that scopes a row's tokens: `vault_scope` if the model names one, else the
    case (child rows of a case keep their tokens through a transfer), else the organisation."""
    named = getattr(model, "vault_scope", None)
    if named is not None:
        return str(named)
    names = {f.name: f.attname for f in model._meta.concrete_fields}
    return names.get("case") or names.get("organisation") or ""


@functools.cache
def encrypted_fields(model: type[models.Model]) -> tuple[EncryptedTextField, ...]:
    """The encrypted fields of `model` (computed once per model class)."""
    return tuple(f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField))


def _refuse_partial_rebinding(sender: type[models.Model], update_fields: Any = None, **kwargs: Any) -> None:
    """A save that moves a row to another scope (a case transferred to another organisation)
    must re-encrypt its fields under the new binding in the same write, or they would no
    longer open: refuse `update_fields` naming the scope but not every encrypted field."""
    if not update_fields:
        return
    scope = vault_scope_attname(sender)
    named = set(update_fields)
    if scope and (scope in named or scope.removesuffix("_id") in named):
        missing = [f.name for f in encrypted_fields(sender) if f.name not in named and f.attname not in named]
        if missing:
            raise ValueError(
                f"Saving {sender._meta.label}.{scope} moves the row's tokens: save {', '.join(missing)} with it."
            )


def _open_sealed_fields(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """Open the tokens a row was loaded with, under that row's binding (post_init)."""
    state = instance.__dict__
    for field in encrypted_fields(sender):
        value = state.get(field.attname)
        if isinstance(value, SealedValue):
            state[field.attname] = vault.decrypt(value.token, context=field.binding(instance))


def random_primary_key() -> models.BigIntegerField:
    """The primary key of a model with encrypted fields: random (`core.bulk.random_id`), so
    it is known before the insert (tokens are bound to it) and says nothing about when the
    row was written."""
    return models.BigIntegerField(primary_key=True, default=random_id, editable=False)


def index_for(model: type[models.Model], field_name: str, value: str) -> str:
    """The blind index of `value` for `model.field_name`, for filtering and for saving."""
    return vault.blind_index(value, context=f"{model._meta.label}.{field_name}")


def latitude_field() -> models.DecimalField:
    """An optional WGS 84 latitude in degrees (six decimals, about 0.1 m), -90 to 90."""
    return models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )


def longitude_field() -> models.DecimalField:
    """An optional WGS 84 longitude in degrees (six decimals), -180 to 180."""
    return models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
