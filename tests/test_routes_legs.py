"""Route legs and points from cases' trafficking events (issue 11; decision 0043)."""

from __future__ import annotations

import datetime

import h3
from django.core.management import call_command

from amparo.cases.models import Case
from amparo.routes.legs import StopInput, rebuild, stops_from_events, subject_hash
from amparo.routes.models import RouteLeg, RoutePoint
from tests.routes_helpers import person
from tests.routes_helpers import rebuild as rebuild_all


def test_a_persons_events_make_legs_in_stage_order_then_month(org_a):
    case = person(
        org_a, route=[("exploitation", "USA"), ("recruitment", "HND"), ("transit", "GTM"), ("transit", "MEX")]
    )
    # The two transits in month order: Mexico after Guatemala.
    events = {e.country: e for e in case.events.all()}
    events["GTM"].month = datetime.date(2026, 1, 1)
    events["MEX"].month = datetime.date(2026, 3, 1)
    events["GTM"].save()
    events["MEX"].save()
    assert rebuild_all() == 3
    legs = [(leg.from_country, leg.to_country, leg.from_stage, leg.to_stage) for leg in RouteLeg.objects.order_by("id")]
    assert legs == [
        ("HND", "GTM", "recruitment", "transit"),
        ("GTM", "MEX", "transit", "transit"),
        ("MEX", "USA", "transit", "exploitation"),
    ]
    assert RoutePoint.objects.count() == 4
    leg = RouteLeg.objects.first()
    assert leg.exploitation_type == "forced_labour" and leg.sex == "feminine" and leg.age_band == "18-20"


def test_legs_store_a_keyed_hash_never_the_case_and_months_only(org_a):
    case = person(org_a)
    rebuild_all()
    values = [str(v) for row in RouteLeg.objects.values_list() for v in row]
    values += [str(v) for row in RoutePoint.objects.values_list() for v in row]
    assert str(case.pk) not in " ".join(values) and case.reference not in " ".join(values)
    assert {leg.subject for leg in RouteLeg.objects.all()} == {subject_hash("case", str(case.pk))}
    assert subject_hash("case", str(case.pk)) != subject_hash("report", str(case.pk))
    point = RoutePoint.objects.first()
    assert point.month == datetime.date(2026, 2, 1) and point.year == 2026 and point.quarter == 1


def test_points_get_res_4_and_6_cells_from_coordinates_or_a_known_city(org_a):
    person(org_a, city="Houston", region="Texas")  # no coordinates: the city's point
    person(org_a, lat=14.08, lon=-87.2)  # coordinates, no city
    rebuild_all()
    exploitation = list(RoutePoint.objects.filter(stage="exploitation"))
    assert len(exploitation) == 2
    assert {(p.city, p.region) for p in exploitation} == {("Houston", "US-TX"), ("", "")}
    for point in exploitation:
        assert h3.get_resolution(point.h3_6) == 6 and h3.cell_to_parent(point.h3_6, 4) == point.h3_4
    # A country without a place has no cell: it counts in flows, never in hotspots.
    assert set(RoutePoint.objects.filter(stage="recruitment").values_list("h3_4", flat=True)) == {""}


def test_a_free_text_city_that_is_no_known_place_never_reaches_a_row(org_a):
    person(org_a, city="Zzcasa de la señora Zz")
    rebuild_all()
    assert not RoutePoint.objects.exclude(city="").exists()
    assert "Zz" not in str(list(RouteLeg.objects.values_list()))


def test_rebuild_is_idempotent_and_replaces_the_tables(org_a):
    person(org_a)
    call_command("rebuild_routes")
    first = sorted(RouteLeg.objects.values_list("subject", "from_country", "to_country"))
    call_command("rebuild_routes")
    assert sorted(RouteLeg.objects.values_list("subject", "from_country", "to_country")) == first
    assert RouteLeg.objects.count() == 1
    Case.objects.filter(organisation=org_a).delete()
    assert rebuild(stops_from_events()) == 0 and not RoutePoint.objects.exists()


def test_the_celery_task_rebuilds(org_a):
    from amparo.routes.tasks import rebuild_task

    person(org_a)
    assert rebuild_task.apply().get() == 1


def test_stops_from_any_source_are_accepted_and_a_case_with_two_types_counts_under_each(org_a):
    stops = [
        StopInput("report", "r1", org_a.pk, "recruitment", "HND", "", "", None, None, None, "sexual_exploitation"),
        StopInput("report", "r1", org_a.pk, "exploitation", "MEX", "", "", None, None, None, "sexual_exploitation"),
        StopInput("report", "r1", org_a.pk, "mentioned", "USA", "", "", None, None, None, "sexual_exploitation"),
    ]
    assert rebuild(stops) == 1
    assert RouteLeg.objects.get().subject_kind == "report"
    assert RoutePoint.objects.count() == 2  # "mentioned" feeds no route
    person(org_a, types=("forced_labour", "servitude"))
    assert rebuild_all() == 2
    assert set(RouteLeg.objects.values_list("exploitation_type", flat=True)) == {"forced_labour", "servitude"}
    assert len(set(RouteLeg.objects.values_list("subject", flat=True))) == 1


def test_unknown_type_gender_age_and_month_count_once_under_all(org_a):
    from amparo.routes.aggregates import Query, route_aggregates

    stops = []
    for n in range(5):
        for stage, country in (("recruitment", "HND"), ("exploitation", "USA")):
            stops.append(StopInput("report", f"r{n}", org_a.pk, stage, country, "", "", None, None, None))
    rebuild(stops)
    result = route_aggregates(Query(measure="report"), {org_a.pk}, org_a.pk)
    assert [(f.key, f.count) for f in result.flows] == [(("HND", "USA"), 5)]
    assert route_aggregates(Query(measure="report", period="2026"), {org_a.pk}, org_a.pk).flows == []
