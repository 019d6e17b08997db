"""Model fields backed by the vault.

`EncryptedTextField` stores only vault tokens; Python code sees plaintext. It cannot be
filtered on (a ciphertext never equals another): search through a blind index column
filled by `BlindIndexed` instead.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.core import vault


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with the vault; the column holds `v1:<kid>:<base64>`."""

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.vault_context = f"{cls._meta.label}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return vault.decrypt(value, context=self.vault_context)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return vault.encrypt(str(value), context=self.vault_context)

    def value_to_string(self, obj: models.Model) -> str:
        """Serialise as ciphertext: `dumpdata` and other serialisers never write plaintext."""
        value = self.value_from_object(obj)
        if value is None or value == "":
            return value  # type: ignore[no-any-return]
        return vault.encrypt(str(value), context=self.vault_context)

    def to_python(self, value: Any) -> Any:
        """Accept this field's own tokens (from `loaddata`) as well as plaintext."""
        if isinstance(value, str) and value.startswith(f"{vault.TOKEN_PREFIX}:"):
            try:
                return vault.decrypt(value, context=self.vault_context)
            except vault.VaultError:
                return value
        return super().to_python(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.vault_context} is encrypted and cannot be filtered with '{lookup_name}'; use its blind index."
        )


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
