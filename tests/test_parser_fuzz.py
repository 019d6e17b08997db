"""Hypothesis over the parsers behind the referral and shelter forms (issue 9, tests list):
the directory's point and distance, the shelter's coordinates, and the dates of admissions,
discharges, occupancy history and data-sharing agreements. Arbitrary input gives a form
error or a result, never an exception and never a 500, through the routes as well as the
functions."""

from __future__ import annotations

import datetime
import math
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amparo.core.permissions import Role
from amparo.referrals import services as directory
from amparo.referrals.forms import DirectorySearchForm
from amparo.shelters import services as shelters
from amparo.shelters.forms import AdmissionForm, DischargeForm, HistoryForm
from tests.conftest import verified_client
from tests.shelter_helpers import make_safe_house

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
ERRORS = re.compile(rb'class="errorlist|role="alert"')

#: Digits of other scripts, signs, separators and exponents: what a number parser trips on.
NUMBERISH = st.text(alphabet="0123456789٣٤੫０１-+.,; eE∞nNaAiIfF\u00a0\t", max_size=30)
NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=8).map(str),
)
POINT_TEXT = st.one_of(
    st.text(max_size=120),
    NUMBERISH,
    st.tuples(NUMBER, st.sampled_from([",", ", ", ";", " ", " ; ", ",,"]), NUMBER).map("".join),
)


def _date_texts() -> st.SearchStrategy[str]:
    day = st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))
    return st.one_of(
        st.text(max_size=40),
        day.map(lambda d: d.isoformat()),
        day.map(lambda d: f"{d.day}/{d.month}/{d.year}"),
        day.map(lambda d: f"{d.month}/{d.day}/{d.year:04d}"),
        day.map(lambda d: d.strftime("%d %b %Y")),
        st.tuples(st.integers(-5, 100000), st.integers(-5, 40), st.integers(-5, 40)).map(
            lambda t: f"{t[0]}-{t[1]}-{t[2]}"
        ),
        st.sampled_from(["0000-00-00", "9999-12-31", "0001-01-01", "2026-02-30", "٢٠٢٦-٠١-٠١", "2026-1-1T00:00"]),
    )


DATE_TEXT = _date_texts()


@pytest.fixture
def safe_house(staff_a, org_a):
    return make_safe_house(staff_a, org_a)


@FUZZ
@given(POINT_TEXT)
def test_parse_point_gives_a_point_in_range_or_a_validation_error(text):
    try:
        lat, lon = directory.parse_point(text)
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)
        return
    assert math.isfinite(lat) and math.isfinite(lon)
    assert -90 <= lat <= 90 and -180 <= lon <= 180


@FUZZ
@given(POINT_TEXT)
def test_shelter_coordinates_are_normalised_or_refused_with_a_message(text):
    try:
        normalised = shelters.parse_coordinates(text)
    except ValidationError as exc:
        assert exc.message_dict["coordinates"]
        return
    if normalised:
        lat, lon = (float(part) for part in normalised.split(", "))
        assert -90 <= lat <= 90 and -180 <= lon <= 180
        assert shelters.parse_coordinates(normalised) == normalised  # stable


@pytest.mark.django_db
@FUZZ
@given(
    near=POINT_TEXT,
    radius=st.one_of(NUMBERISH, NUMBER),
    age=st.one_of(NUMBERISH, NUMBER),
    region=st.text(max_size=14),
    country=st.text(max_size=5),
)
def test_directory_search_form_errors_or_searches_never_raises(near, radius, age, region, country):
    form = DirectorySearchForm(
        {"near": near, "radius_km": radius, "age": age, "region": region, "country": country}, organisation_id=None
    )
    if form.is_valid():
        point = form.cleaned_data["near"]
        assert point is None or (-90 <= point[0] <= 90 and -180 <= point[1] <= 180)
    else:
        assert all(messages for messages in form.errors.values())


@FUZZ
@given(admitted_on=DATE_TEXT, discharged_on=DATE_TEXT, days=st.text(max_size=10), expected=NUMBERISH)
def test_shelter_date_fields_parse_or_error(admitted_on, discharged_on, days, expected):
    admission = AdmissionForm({"bed_type": "women", "admitted_on": admitted_on, "expected_days": expected})
    if admission.is_valid():
        assert isinstance(admission.cleaned_data["admitted_on"], datetime.date)
    discharge = DischargeForm({"discharged_on": discharged_on, "destination": "family", "reason": "r"})
    if discharge.is_valid():
        assert isinstance(discharge.cleaned_data["discharged_on"], datetime.date)
    history = HistoryForm({"days": days})
    if history.is_valid():
        assert history.cleaned_data["days"] in (30, 90, None, "")


# --- through the routes: the forms, then the services they call -----------------------------


@FUZZ
@given(near=POINT_TEXT, radius=st.one_of(NUMBERISH, NUMBER), age=NUMBERISH)
def test_the_directory_page_and_api_answer_bad_points_with_a_message(staff_a, near, radius, age):
    client = verified_client(staff_a[Role.CASE_WORKER])
    params = {"near": near, "radius_km": radius, "age": age}
    page = client.get(reverse("referrals:directory"), params)
    assert page.status_code == 200
    api = client.get(reverse("api:directory_service_list"), params)
    assert api.status_code in (200, 400)
    if api.status_code == 400:
        assert api.json()["errors"]
        assert ERRORS.search(page.content)


@FUZZ
@given(admitted_on=DATE_TEXT, expected=NUMBERISH, days=st.text(max_size=12))
def test_admission_dates_and_history_period_never_crash_the_shelter_pages(
    safe_house,
    staff_a,
    admitted_on,
    expected,
    days,
):
    from amparo.shelters.models import WaitingEntry

    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    entry = WaitingEntry.objects.filter(shelter=safe_house, status="waiting").first()
    if entry is not None:
        response = client.post(
            reverse("shelters:waiting_admit", kwargs={"pk": entry.pk}),
            {"bed_type": "children", "admitted_on": admitted_on, "expected_days": expected},
        )
        assert response.status_code in (302, 400), response.status_code
        if response.status_code == 400:
            assert ERRORS.search(response.content)
    history = client.get(reverse("shelters:shelter_history", kwargs={"pk": safe_house.pk}), {"days": days})
    assert history.status_code in (200, 400)


@FUZZ
@given(discharged_on=DATE_TEXT)
def test_discharge_dates_never_crash_the_discharge(safe_house, staff_a, discharged_on):
    from amparo.shelters.models import Admission

    client = verified_client(staff_a[Role.SHELTER_MANAGER])
    # scoping: the test reads its own fixture's stay
    stay = Admission.objects.filter(shelter=safe_house).first()
    response = client.post(
        reverse("shelters:admission_discharge", kwargs={"pk": stay.pk}),
        {"discharged_on": discharged_on, "destination": "family", "reason": "Went home"},
    )
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert ERRORS.search(response.content)


@FUZZ
@given(starts_on=DATE_TEXT, ends_on=DATE_TEXT)
def test_agreement_dates_never_crash_the_proposal(staff_a, org_b, starts_on, ends_on):
    client = verified_client(staff_a[Role.ORG_ADMIN])
    response = client.post(
        reverse("accounts:agreement_propose"),
        {
            "receiver": org_b.pk,
            "purposes": ["referral"],
            "field_sets": ["shelter_intake"],
            "starts_on": starts_on,
            "ends_on": ends_on,
        },
        follow=True,
    )
    # A proposal made leads to its page (dates up to 9999-12-31 shown); one refused says why.
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert ERRORS.search(response.content)
    else:
        # (The page names the receiver; a random token may contain any letters, so no byte probe.)
        assert response.redirect_chain and org_b.name.encode() in response.content
        assert client.get(reverse("accounts:agreement_list")).status_code == 200
