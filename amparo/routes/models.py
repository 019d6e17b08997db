"""Route legs and points: the precomputed, de-identified rows the aggregates count (decision 0043).

A row never names a person, a case, a report or a signal: the subject is a keyed hash
(HMAC under a key derived from the key file) so that one person is counted once per cell,
with no way back to the source without the key. Month precision only. Rebuilt whole by
`legs.rebuild()` (the nightly task and `manage.py rebuild_routes`).
"""

from __future__ import annotations

from django.db import models


class Measure(models.TextChoices):
    CASE = "case"
    REPORT = "report"
    SIGNAL = "signal"


class Stage(models.TextChoices):
    RECRUITMENT = "recruitment"
    TRANSIT = "transit"
    EXPLOITATION = "exploitation"


class RouteQuerySet(models.QuerySet):
    def covering(self, organisation_ids: set[int] | list[int]) -> RouteQuerySet:
        """The rows of these organisations: the viewer's own and those sharing route aggregates
        with it (`amparo.routes.scope.covered_organisations`)."""
        return self.filter(organisation_id__in=sorted(organisation_ids))


class _Common(models.Model):
    subject = models.BigIntegerField()  # keyed hash (64 bits of an HMAC), never the source's id
    subject_kind = models.CharField(max_length=8, choices=Measure.choices)
    organisation_id = models.IntegerField()  # no foreign key: rows are rebuilt, never joined
    month = models.DateField(null=True)
    year = models.SmallIntegerField(null=True)
    quarter = models.SmallIntegerField(null=True)  # 1..4
    exploitation_type = models.CharField(max_length=32, blank=True)
    sex = models.CharField(max_length=24, blank=True)
    age_band = models.CharField(max_length=8, blank=True)

    objects = RouteQuerySet.as_manager()

    class Meta:
        abstract = True


class RouteLeg(_Common):
    """One move of one subject between two consecutive stops."""

    from_stage = models.CharField(max_length=12, choices=Stage.choices)
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    from_country = models.CharField(max_length=3)
    to_country = models.CharField(max_length=3)
    from_region = models.CharField(max_length=10, blank=True)
    to_region = models.CharField(max_length=10, blank=True)
    from_city = models.CharField(max_length=120, blank=True)
    to_city = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subject_kind", "organisation_id", "year", "quarter"], name="routeleg_scope"),
        ]


class RoutePoint(_Common):
    """One stop of one subject, with its H3 cells when it has a point."""

    stage = models.CharField(max_length=12, choices=Stage.choices)
    country = models.CharField(max_length=3)
    region = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=120, blank=True)
    h3_4 = models.CharField(max_length=16, blank=True)
    h3_6 = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["subject_kind", "organisation_id", "year", "quarter"], name="routepoint_scope"),
        ]


class RouteCell(models.Model):
    """Distinct people per cell, per organisation and per combination of filter values ("" is
    "all"), precomputed at rebuild from the legs and points (decision 0043). Subjects never
    span organisations, so the people of several organisations are the sum of their rows:
    a page's query is a SUM over a few hundred rows, never a COUNT(DISTINCT) over a million."""

    layer = models.CharField(max_length=12)  # flow_country | flow_region | flow_city | hex4 | hex6
    key = models.CharField(max_length=400)  # the cell's key columns joined with "|"
    organisation_id = models.IntegerField()
    subject_kind = models.CharField(max_length=8, choices=Measure.choices)
    period = models.CharField(max_length=7, blank=True)  # "", "2026" or "2026-Q2"
    exploitation_type = models.CharField(max_length=32, blank=True)
    sex = models.CharField(max_length=24, blank=True)
    age_band = models.CharField(max_length=8, blank=True)
    n = models.IntegerField()

    objects = RouteQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["layer", "subject_kind", "period", "exploitation_type", "sex", "age_band"],
                name="routecell_query",
            ),
        ]
