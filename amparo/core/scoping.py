"""The one scoping mechanism: `Model.objects.visible_to(user)`.

Every model that holds people's data, or an organisation's private records, inherits
`OrgScoped`, or, when it belongs to such a row (a case's note, a signal's message), uses
`ScopedThroughQuerySet`: it is visible exactly when its parent is, by the parent's own
`visible_to` (so a rule added to `Case.objects.visible_to` applies to its notes too). Views, API, exports and tasks read such rows only through
`visible_to(user)` (a test greps the code for bypasses). Detail views resolve objects
with `get_visible_or_404`, which answers the same 404 for "missing" and "not yours".
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from amparo.core.permissions import can

M = TypeVar("M", bound=models.Model)


class OrgScopedQuerySet(models.QuerySet[M]):
    """The queryset of every organisation-owned model.

    The model names the permission needed to read it (`view_permission`) and, when its
    organisation is not the `organisation_id` column, the column that holds it
    (`scope_field`, e.g. "pk" for Organisation itself).
    """

    def visible_to(self, user: Any) -> Self:
        """Rows of the user's own organisation, if their role may read this model.

        Ends in deny: no permission, no verified session or no organisation gives an
        empty queryset, never everything.
        """
        perm = getattr(self.model, "view_permission", None)
        if not perm or not can(user, perm):
            return self.none()
        field = getattr(self.model, "scope_field", "organisation_id")
        return self.filter(**{field: user.organisation_id})


class ScopedThroughQuerySet(models.QuerySet[M]):
    """The queryset of a model whose rows belong to one scoped parent row.

    The model names the foreign key to the parent in `scope_through` (e.g. "case",
    "signal"); its rows are visible to a user exactly when the parent is, decided by the
    parent model's `visible_to` (one rule per parent, never a copy of it).
    """

    def visible_to(self, user: Any) -> Self:
        field_name = getattr(self.model, "scope_through", "")
        if not field_name:
            return self.none()  # ends in deny: a model that names no parent shows nothing
        parent = self.model._meta.get_field(field_name).related_model
        return self.filter(**{f"{field_name}__in": parent._default_manager.visible_to(user).values("pk")})  # type: ignore[union-attr]


class TwoPartyQuerySet(models.QuerySet[M]):
    """The queryset of a row two organisations share (a data-sharing agreement, an emergency
    sharing basis): visible to holders of the model's `view_permission` in either party,
    named by the two organisation columns in `party_fields`; never to a third organisation
    (decision 0019). Same shape and same deny-by-default as OrgScopedQuerySet."""

    def visible_to(self, user: Any) -> Self:
        perm = getattr(self.model, "view_permission", None)
        parties: tuple[str, ...] = tuple(getattr(self.model, "party_fields", ()))
        if not perm or len(parties) != 2 or not can(user, perm):
            return self.none()
        first, second = parties[0], parties[1]
        return self.filter(models.Q(**{first: user.organisation_id}) | models.Q(**{second: user.organisation_id}))


class OrgScoped(models.Model):
    """Abstract base: a row belongs to one organisation and is read through visible_to()."""

    #: The permission (amparo.core.permissions.Perm) needed to read rows of this model.
    view_permission: str = ""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        abstract = True


def get_visible_or_404(model: type[M], user: Any, **lookup: Any) -> M:
    """The one object matching `lookup` among those visible to `user`, else 404.

    The 404 is identical whether the object does not exist or belongs elsewhere.
    """
    try:
        return model.objects.visible_to(user).get(**lookup)  # type: ignore[attr-defined,no-any-return]
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc
