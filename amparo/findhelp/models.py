"""Awareness pages: what each organisation tells the public, in Spanish and English.

A page is an organisation's own text (signs of trafficking, your rights, how to report
safely), written in Markdown and rendered through `amparo.findhelp.markdown` (raw HTML off,
sanitised). Staff read and edit their own organisation's pages through `visible_to(user)`
(`Perm.AWARENESS_EDIT`); the public reads only published pages through `published()`,
never a draft.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from amparo.core.permissions import Perm
from amparo.core.scoping import OrgScoped, OrgScopedQuerySet


class Topic(models.TextChoices):
    SIGNS = "signs", _("Signs of trafficking")
    RIGHTS = "rights", _("Your rights")
    REPORTING = "reporting", _("How to report safely")


class PageLanguage(models.TextChoices):
    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")


class PageStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (not public)")
    PUBLISHED = "published", _("Published")


class AwarenessPageQuerySet(OrgScopedQuerySet["AwarenessPage"]):
    def published(self) -> Self:
        """Every organisation's published pages: the public's read. Never a draft."""
        return self.filter(status=PageStatus.PUBLISHED)


class AwarenessPage(OrgScoped):
    """One organisation's page on one topic in one language."""

    view_permission = Perm.AWARENESS_EDIT

    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    language = models.CharField(_("language"), max_length=2, choices=PageLanguage.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(
        _("text"),
        max_length=20000,
        help_text=_(
            "Markdown: # for a heading, - for a list, **bold**, [link text](https://…). HTML and images are not shown."
        ),
    )
    status = models.CharField(_("status"), max_length=10, choices=PageStatus.choices, default=PageStatus.DRAFT)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AwarenessPageQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["organisation_id", "topic", "language"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "topic", "language"], name="awareness_one_per_topic_lang")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == PageStatus.PUBLISHED
