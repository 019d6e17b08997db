"""Screening: the ILO–EC operational indicators of trafficking ("Delphi", 2009) next to the
ILO forced-labour indicators. The data files, the combination rule (examples and
properties), and the page through HTTP: it suggests, the person decides."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.cases import services, texts
from amparo.cases.models import Case, Screening
from amparo.cases.screening import assess, dimension_present, is_child, suggested_tools
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from tests.conftest import as_verified, verified_client

ILO_EC = ["ilo_ec_adults_labour", "ilo_ec_adults_sexual", "ilo_ec_children_labour", "ilo_ec_children_sexual"]
DIMENSIONS = [
    "deceptive_recruitment",
    "coercive_recruitment",
    "recruitment_abuse_of_vulnerability",
    "exploitative_conditions",
    "coercion_at_destination",
    "abuse_of_vulnerability_at_destination",
]
RECRUITMENT = DIMENSIONS[:3]
THRESHOLDS = texts.indicator_list_for("ilo_ec_adults_labour")["rule"]["dimension_present_when_any"]


def ids(tool: str) -> list[str]:
    return [item["id"] for item in texts.indicator_list_for(tool)["indicators"]]


# --- The data files -------------------------------------------------------------------------


def test_every_tool_on_offer_has_its_file_and_the_default_is_the_checked_ilo_list():
    assert set(texts.INDICATOR_LISTS) == {"ilo_forced_labour", *ILO_EC}
    for tool in texts.INDICATOR_LISTS:
        assert texts.indicator_list_for(tool)["tool"] == tool
    assert texts.DEFAULT_TOOL == "ilo_forced_labour"


@pytest.mark.parametrize("tool", ILO_EC)
def test_each_ilo_ec_list_is_well_formed(tool):
    data = texts.indicator_list_for(tool)
    assert data["version"] and data["population"] in tool and data["exploitation"] in tool
    assert [dimension["id"] for dimension in data["dimensions"]] == DIMENSIONS
    assert [dimension.get("recruitment") for dimension in data["dimensions"]] == [
        "deceptive",
        "coercive",
        "abuse_of_vulnerability",
        None,
        None,
        None,
    ]
    all_ids = ids(tool)
    assert len(all_ids) == len(set(all_ids))
    for text in (data["title"], data["guidance"], *data["dimensions"]):
        assert text["en"].strip() and text["es"].strip() and text["en"] != text["es"]
    for dimension in data["dimensions"]:
        assert dimension["indicators"], dimension["id"]
        for item in dimension["indicators"]:
            assert item["id"].startswith(dimension["id"] + ".")
            assert item["grade"] in ("strong", "medium", "weak")
            assert item["en"].strip() and item["es"].strip() and item["en"] != item["es"], item["id"]
    # Not checked against the brochure: the page says so until a new version says otherwise.
    assert data["checked_against_source"] is False


def test_the_adult_labour_list_has_the_published_number_of_indicators_per_dimension():
    data = texts.indicator_list_for("ilo_ec_adults_labour")
    assert [len(dimension["indicators"]) for dimension in data["dimensions"]] == [10, 10, 16, 9, 15, 7]


@pytest.mark.parametrize("tool", ILO_EC)
def test_an_indicator_repeated_across_dimensions_keeps_its_stem_and_wording(tool):
    wording: dict[str, set[tuple[str, str]]] = {}
    for item in texts.indicator_list_for(tool)["indicators"]:
        wording.setdefault(item["id"].split(".", 1)[1], set()).add((item["en"], item["es"]))
    assert all(len(texts_) == 1 for texts_ in wording.values()), {k: v for k, v in wording.items() if len(v) > 1}
    assert {"documents", "debt_bondage", "isolation", "violence", "economic_reasons"} <= {
        stem for stem in wording if sum(i.endswith("." + stem) for i in ids(tool)) > 1
    }


def test_the_rule_block_differs_only_in_what_children_need():
    """Children: the act and exploitation, no means (Palermo Protocol, Article 3(c))."""
    adults = texts.indicator_list_for("ilo_ec_adults_labour")["rule"]
    for tool in ("ilo_ec_children_labour", "ilo_ec_children_sexual"):
        children = texts.indicator_list_for(tool)["rule"]
        assert adults["dimension_present_when_any"] == children["dimension_present_when_any"]
        assert children["possible_victim_when_all"] == [["act"], ["exploitative_conditions"]]
    assert adults["possible_victim_when_all"] == [RECRUITMENT, ["exploitative_conditions"], DIMENSIONS[4:]]


@pytest.mark.parametrize("tool", ["ilo_ec_children_labour", "ilo_ec_children_sexual"])
def test_the_childrens_lists_record_the_act_as_its_own_input(tool):
    data = texts.indicator_list_for(tool)
    assert data["version"] == "2009.1.1"
    assert [item["id"] for item in data["act"]["indicators"]] == [
        "act.recruitment",
        "act.transport",
        "act.transfer",
        "act.harbouring",
        "act.receipt",
    ]
    assert ids(tool)[:5] == [item["id"] for item in data["act"]["indicators"]]
    # The older version stays readable for the screenings that used it.
    assert texts.indicator_list_version(tool, "2009.1")["rule"]["possible_victim_when_all"][0] == RECRUITMENT


def test_a_list_with_an_unknown_grade_or_repeated_id_is_refused():
    good = texts.indicator_list_for("ilo_ec_adults_labour")
    dimensions = [dict(d, indicators=list(d["indicators"])) for d in good["dimensions"]]
    dimensions[0]["indicators"][0] = {**dimensions[0]["indicators"][0], "grade": "huge"}
    with pytest.raises(ValueError, match="grade"):
        texts._checked("bad.json", {**good, "dimensions": dimensions})
    dimensions[0]["indicators"][0] = dimensions[0]["indicators"][1]
    with pytest.raises(ValueError, match="repeat"):
        texts._checked("bad.json", {**good, "dimensions": dimensions})


# --- The combination rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strong", "medium", "weak", "present"),
    [
        (2, 0, 0, True),
        (1, 1, 0, True),
        (1, 0, 1, True),
        (0, 3, 0, True),
        (0, 2, 1, True),
        (1, 0, 0, False),
        (0, 2, 0, False),
        (0, 1, 1, False),
        (0, 1, 2, False),
        (0, 0, 9, False),
        (0, 0, 0, False),
    ],
)
def test_a_dimension_is_present_exactly_at_the_published_thresholds(strong, medium, weak, present):
    assert dimension_present({"strong": strong, "medium": medium, "weak": weak}, THRESHOLDS) is present


def marking(tool: str, *stems: str) -> set[str]:
    wanted = {f"{dimension}.{stem}" for dimension, stem in (s.split(":") for s in stems)}
    assert wanted <= set(ids(tool)), wanted - set(ids(tool))
    return wanted


def test_an_adult_needs_recruitment_exploitation_and_coercion_or_vulnerability_at_destination():
    data = texts.indicator_list_for("ilo_ec_adults_labour")
    recruitment_and_work = marking(
        "ilo_ec_adults_labour",
        "deceptive_recruitment:nature_of_job",
        "deceptive_recruitment:wages",
        "exploitative_conditions:excessive_hours",
        "exploitative_conditions:low_or_no_pay",
    )
    without_destination = assess(data, recruitment_and_work)
    assert (
        without_destination.present["deceptive_recruitment"] and without_destination.present["exploitative_conditions"]
    )
    assert without_destination.recruitment == ("deceptive",)
    assert not without_destination.possible_victim
    vulnerable = marking(
        "ilo_ec_adults_labour",
        "abuse_of_vulnerability_at_destination:language",
        "abuse_of_vulnerability_at_destination:economic_reasons",
        "abuse_of_vulnerability_at_destination:difficulties_in_the_past",
    )
    assert assess(data, recruitment_and_work | vulnerable).possible_victim


def test_a_child_needs_no_means_only_the_act_and_exploitation():
    tool = "ilo_ec_children_sexual"
    data = texts.indicator_list_for(tool)
    exploitation = marking(
        tool, "exploitative_conditions:commercial_sexual_exploitation", "exploitative_conditions:no_education"
    )
    # Harboured and exploited, with no deception, coercion or abuse of vulnerability marked.
    result = assess(data, exploitation | {"act.harbouring"})
    assert result.possible_victim and result.recruitment == () and result.missing == ()
    assert not any(result.present[d] for d in RECRUITMENT)
    # Means marked but no act: the act is what is missing, and the result says so.
    means = marking(
        tool,
        "coercive_recruitment:given_by_family",
        "coercive_recruitment:isolation",
        "coercive_recruitment:withholding_money",
    )
    result = assess(data, exploitation | means)
    assert not result.possible_victim and result.recruitment == ("coercive",)
    assert result.missing == (("act",),)
    result = assess(data, exploitation | means | {"act.recruitment"})
    assert result.possible_victim and result.recruitment == ("coercive",)
    assert not result.present["coercion_at_destination"]


def test_the_assessment_names_each_missing_element():
    data = texts.indicator_list_for("ilo_ec_adults_labour")
    recruitment_and_work = marking(
        "ilo_ec_adults_labour",
        "deceptive_recruitment:nature_of_job",
        "deceptive_recruitment:wages",
        "exploitative_conditions:excessive_hours",
        "exploitative_conditions:low_or_no_pay",
    )
    assert assess(data, recruitment_and_work).missing == (tuple(DIMENSIONS[4:]),)
    assert assess(data, set()).missing == (tuple(RECRUITMENT), ("exploitative_conditions",), tuple(DIMENSIONS[4:]))
    assert assess(data, recruitment_and_work).as_json()["missing"] == [DIMENSIONS[4:]]


def counts_rule(strong: int, medium: int, weak: int) -> bool:
    """The rule as the brochure words it, written out independently of the data."""
    return strong >= 2 or (strong >= 1 and medium + weak >= 1) or medium >= 3 or (medium >= 2 and weak >= 1)


@given(strong=st.integers(0, 8), medium=st.integers(0, 8), weak=st.integers(0, 8))
def test_the_thresholds_in_the_data_are_the_published_rule(strong, medium, weak):
    assert dimension_present({"strong": strong, "medium": medium, "weak": weak}, THRESHOLDS) is counts_rule(
        strong, medium, weak
    )


markings = st.sampled_from(ILO_EC).flatmap(
    lambda tool: st.tuples(st.just(tool), st.sets(st.sampled_from(ids(tool))), st.sets(st.sampled_from(ids(tool))))
)


@settings(max_examples=300)
@given(markings)
def test_marking_more_indicators_never_takes_a_suggestion_away(case):
    tool, some, more = case
    data = texts.indicator_list_for(tool)
    before, after = assess(data, some), assess(data, some | more)
    assert all(after.present[d] for d, present in before.present.items() if present)
    assert set(before.recruitment) <= set(after.recruitment)
    assert after.possible_victim or not before.possible_victim


@settings(max_examples=300)
@given(markings)
def test_the_overall_suggestion_follows_the_dimensions(case):
    tool, marked, _unused = case
    data = texts.indicator_list_for(tool)
    result = assess(data, marked)
    for dimension in data["dimensions"]:
        grades = [item["grade"] for item in dimension["indicators"] if item["id"] in marked]
        assert result.present[dimension["id"]] is counts_rule(*(grades.count(g) for g in ("strong", "medium", "weak")))
    recruitment = any(result.present[d] for d in RECRUITMENT)
    exploitation = result.present["exploitative_conditions"]
    destination = any(result.present[d] for d in DIMENSIONS[4:])
    if "children" in tool:
        act = any(item.startswith("act.") for item in marked)
        assert result.possible_victim is (act and exploitation)
    else:
        assert result.possible_victim is (recruitment and exploitation and destination)
    kinds = {"deceptive_recruitment": "deceptive", "coercive_recruitment": "coercive"}
    kinds["recruitment_abuse_of_vulnerability"] = "abuse_of_vulnerability"
    assert result.recruitment == tuple(kinds[d] for d in RECRUITMENT if result.present[d])


# --- Which list suits the case --------------------------------------------------------------

TODAY = datetime.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ["ilo_ec_adults_labour", "ilo_ec_adults_sexual"]),
        ({"birth_date": "2010-03-01", "exploitation_types": ["sexual_exploitation"]}, ["ilo_ec_children_sexual"]),
        ({"age_band": "9-17", "exploitation_types": ["forced_begging"]}, ["ilo_ec_children_labour"]),
        ({"birth_date": "1990-01-01", "age_when_trafficked": 15}, ["ilo_ec_children_labour", "ilo_ec_children_sexual"]),
        (
            {"exploitation_types": ["forced_labour", "sexual_exploitation"]},
            ["ilo_ec_adults_labour", "ilo_ec_adults_sexual"],
        ),
        ({"sexual_exploitation_types": ["pornography"]}, ["ilo_ec_adults_sexual"]),
        ({"forced_labour_industries": ["A"]}, ["ilo_ec_adults_labour"]),
    ],
)
def test_the_suggested_list_follows_age_and_recorded_exploitation(fields, expected):
    assert suggested_tools(Case(person_name="Someone", **fields), TODAY) == expected


def test_a_person_is_a_child_until_their_eighteenth_birthday():
    case = Case(person_name="Someone", birth_date="2008-06-15")
    assert is_child(case, datetime.date(2026, 6, 14)) and not is_child(case, datetime.date(2026, 6, 15))


# --- The page -------------------------------------------------------------------------------


@pytest.fixture
def case(staff_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    case = services.case_create(actor=worker, person_name="Rosa Quispe", birth_date=datetime.date(1996, 5, 20))
    return services.case_update_context(actor=worker, case=case, exploitation_types=["forced_labour"])


def screen_url(case: Case) -> str:
    return reverse("cases:screening_create", kwargs={"reference": case.reference})


ADULT_LABOUR_VICTIM = [
    "deceptive_recruitment.nature_of_job",
    "deceptive_recruitment.wages",
    "exploitative_conditions.excessive_hours",
    "exploitative_conditions.low_or_no_pay",
    "coercion_at_destination.documents",
    "coercion_at_destination.debt_bondage",
]


def test_the_page_offers_every_list_suggests_one_and_groups_by_dimension(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    page = client.get(screen_url(case), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    content = page.content.decode()
    assert "Servidumbre por deudas" in content  # the ILO list is still the default
    assert content.count("sugerida para este caso") == 1
    assert '<a href="?tool=ilo_ec_adults_labour">' in content
    page = client.get(screen_url(case), {"tool": "ilo_ec_adults_labour"}, HTTP_ACCEPT_LANGUAGE="es")
    content = page.content.decode()
    assert "<legend>Captación engañosa (incluidos el traslado y el transporte)</legend>" in content
    assert content.count("<fieldset") == 6
    assert "(fuerte)" in content and "(medio)" in content and "(débil)" in content
    assert "pendiente de cotejo con el original" in content
    assert 'name="tool" value="ilo_ec_adults_labour"' in content


def test_saving_an_ilo_ec_screening_shows_the_suggestion_in_spanish_and_decides_nothing(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(
        screen_url(case),
        {"tool": "ilo_ec_adults_labour", "present": ADULT_LABOUR_VICTIM, "note": "Relato en la primera entrevista"},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    screening = case.screenings.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "cases:screening_detail", kwargs={"reference": case.reference, "pk": screening.pk}
    )
    assert (screening.tool, screening.version, screening.present, screening.total) == (
        "ilo_ec_adults_labour",
        "2009.1",
        6,
        67,
    )
    assert screening.result == {
        "dimensions": {
            "deceptive_recruitment": True,
            "coercive_recruitment": False,
            "recruitment_abuse_of_vulnerability": False,
            "exploitative_conditions": True,
            "coercion_at_destination": True,
            "abuse_of_vulnerability_at_destination": False,
        },
        "recruitment": ["deceptive"],
        "possible_victim": True,
        "missing": [],
    }
    content = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Los indicadores apuntan a una posible víctima de trata." in content
    assert "la decisión es suya" in content
    assert "Tipo de captación según los indicadores: engañosa." in content
    assert "Retención de documentos" in content and "Relato en la primera entrevista" in content
    assert "pendiente de cotejo con el original" in content
    case.refresh_from_db()
    assert case.trafficking_status == ""
    entry = AuditEntry.objects.filter(action="case.screen").latest("seq")
    assert entry.reason == "ilo_ec_adults_labour:2009.1 6 possible:1"
    assert AuditEntry.objects.filter(action="case.screening_view").exists()
    listing = client.get(reverse("cases:case_detail", kwargs={"reference": case.reference}), HTTP_ACCEPT_LANGUAGE="es")
    assert "Indicadores de trata OIT–CE: personas adultas, explotación laboral" in listing.content.decode()
    assert "Los indicadores apuntan a una posible víctima de trata." in listing.content.decode()


def test_a_screening_that_does_not_reach_the_rule_says_so_without_ruling_anything_out(staff_a, case):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(
        screen_url(case), {"tool": "ilo_ec_adults_labour", "present": ADULT_LABOUR_VICTIM[:4]}, follow=True
    )
    assert b"By the combination rule, the indicators marked do not point to trafficking." in response.content
    assert b"This is a suggestion, not a finding: the decision is yours." in response.content
    assert b"The combination rule needs this element, which the indicators marked do not show:" in response.content
    assert b"<li>Coercion at destination or Abuse of vulnerability at destination</li>" in response.content
    assert case.screenings.get().result["possible_victim"] is False


def test_another_organisations_worker_gets_404_and_stores_nothing(staff_a, staff_b, case):
    services.screening_record(
        actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, present=["debt_bondage"], tool="ilo_forced_labour"
    )
    detail = reverse("cases:screening_detail", kwargs={"reference": case.reference, "pk": case.screenings.get().pk})
    outsider = verified_client(staff_b[Role.CASE_WORKER])
    assert outsider.get(screen_url(case), {"tool": "ilo_ec_adults_labour"}).status_code == 404
    posted = outsider.post(screen_url(case), {"tool": "ilo_ec_adults_labour", "present": ADULT_LABOUR_VICTIM})
    assert posted.status_code == 404
    assert outsider.get(detail).status_code == 404
    assert Screening.objects.count() == 1


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"tool": "ilo_ec_adults_labour", "present": ["deceptive_recruitment.telepathy"]}, b"Choose only indicators"),
        ({"tool": "ilo_ec_adults_labour", "present": ["deception"]}, b"Choose only indicators"),  # another list's id
        ({"tool": "ilo_forced_labour", "present": ["coercion_at_destination.documents"]}, b"Choose only indicators"),
        ({"tool": "tvit_long_form", "present": []}, b"Choose one of the indicator lists offered."),
        ({"tool": "ilo_ec_adults_labour\x00", "present": []}, b"Choose one of the indicator lists offered."),
    ],
)
def test_bad_input_gives_a_clear_message_and_stores_nothing(staff_a, case, post, message):
    client = verified_client(staff_a[Role.CASE_WORKER])
    response = client.post(screen_url(case), post)
    assert response.status_code == 400 and message in response.content
    assert not Screening.objects.exists()


def test_an_unknown_list_in_the_address_shows_the_default_with_a_message(staff_a, case):
    response = verified_client(staff_a[Role.CASE_WORKER]).get(screen_url(case), {"tool": "delphi_2030"})
    assert response.status_code == 400
    assert b"Choose one of the indicator lists offered." in response.content
    assert b"Debt bondage" in response.content


def test_the_service_refuses_an_unknown_tool(staff_a, case):
    with pytest.raises(ValidationError):
        services.screening_record(actor=as_verified(staff_a[Role.CASE_WORKER]), case=case, present=[], tool="nope")
    assert not Screening.objects.exists()


def test_old_ilo_screenings_still_display(staff_a, case):
    old = Screening.objects.create(
        case=case,
        tool="ilo_forced_labour",
        version="2012.1",
        answers={"deception": True, "debt_bondage": True, "isolation": False},
        present=2,
        total=11,
    )
    lost = Screening.objects.create(
        case=case, tool="retired_tool", version="0.1", answers={"x": True}, present=1, total=1
    )
    client = verified_client(staff_a[Role.CASE_WORKER])
    listing = client.get(reverse("cases:case_detail", kwargs={"reference": case.reference})).content.decode()
    assert "ILO indicators of forced labour</a>: Indicators present: 2 of 11" in listing
    assert "retired_tool</a>: Indicators present: 1 of 1" in listing
    detail = client.get(reverse("cases:screening_detail", kwargs={"reference": case.reference, "pk": old.pk}))
    assert detail.status_code == 200
    assert b"Deception" in detail.content and b"Debt bondage" in detail.content and b"Isolation" not in detail.content
    assert b"Indicators present: 2 of 11." in detail.content and b"combination rule" not in detail.content
    assert (
        client.get(reverse("cases:screening_detail", kwargs={"reference": case.reference, "pk": lost.pk})).status_code
        == 200
    )


def test_a_childs_screening_says_the_act_is_missing_in_spanish(staff_a):
    worker = as_verified(staff_a[Role.CASE_WORKER])
    child = services.case_create(actor=worker, person_name="Niña Prueba", birth_date=datetime.date(2014, 1, 1))
    client = verified_client(staff_a[Role.CASE_WORKER])
    client.cookies["django_language"] = "es"
    present = ["exploitative_conditions.excessive_hours", "exploitative_conditions.low_or_no_pay"]
    response = client.post(
        screen_url(child),
        {"tool": "ilo_ec_children_labour", "present": present},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="es",
    )
    page = response.content.decode()
    assert "Captado (abordado, ofrecido o prometido algo, reclutado)" not in page  # only marked ones are listed
    assert "<li>El acto: lo que se hizo con la niña, el niño o adolescente" in page
    assert child.screenings.get().result["missing"] == [["act"]]
    form = client.get(screen_url(child) + "?tool=ilo_ec_children_labour", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'value="act.transport"' in form
