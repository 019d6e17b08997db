"""Place extraction from free text, Spanish and English (issue 11 §1-2, decision 0040).

Each case is what a staff member would see suggested under a report: the right country for a
demonym or an abbreviation, the right Córdoba, and no suggestion for a street, a river, a
newspaper or a person called Victoria."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.places.extract import Extraction, PlaceMatch, extract_places
from amparo.places.gazetteer import country_point, lookup


def found(text: str, language: str = "es", **kwargs) -> list[tuple[str, str, str]]:
    """(text as written, country, kind) of every single-country place found."""
    return [(p.text, p.country, p.kind) for p in extract_places(text, language, **kwargs).places]


def countries(text: str, language: str = "es", **kwargs) -> list[str]:
    return extract_places(text, language, **kwargs).countries


def assert_spans(text: str, extraction: Extraction) -> None:
    for match in [*extraction.places, *extraction.regions]:
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end] == match.text


# --- Spanish -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "country"),
    [
        ("hondureño", "HND"),
        ("hondureña", "HND"),
        ("hondureños", "HND"),
        ("hondureñas", "HND"),
        ("guatemalteco", "GTM"),
        ("guatemaltecas", "GTM"),
        ("salvadoreña", "SLV"),
        ("salvadoreños", "SLV"),
        ("nicaragüenses", "NIC"),
        ("venezolanas", "VEN"),
        ("colombianos", "COL"),
        ("dominicana", "DOM"),
        ("filipinas", "PHL"),
        ("francesas", "FRA"),
        ("marroquíes", "MAR"),
        ("catrachos", "HND"),
        ("chapines", "GTM"),
        ("ticas", "CRI"),
        ("kosovares", "XKX"),
    ],
)
def test_spanish_demonyms_in_every_gender_and_number(word, country):
    text = f"Rescataron a cinco mujeres {word} en un bar."
    assert countries(text) == [country]
    (match,) = extract_places(text, "es").places
    assert match.text == word and match.kind == "country"


@pytest.mark.parametrize(
    ("text", "written", "country"),
    [
        ("Fueron llevadas a EE. UU. por tierra.", "EE. UU.", "USA"),
        ("Fueron llevadas a EEUU por tierra.", "EEUU", "USA"),
        ("Fueron llevadas a Estados Unidos por tierra.", "Estados Unidos", "USA"),
        ("Trabajaba en los Emiratos Árabes Unidos.", "Emiratos Árabes Unidos", "ARE"),
        ("Viajó desde la RD Congo.", "RD Congo", "COD"),
        ("Llegó al Reino Unido en 2023.", "Reino Unido", "GBR"),
        ("Una red operaba en Kosovo.", "Kosovo", "XKX"),
    ],
)
def test_spanish_short_forms_and_abbreviations(text, written, country):
    assert (written, country, "country") in found(text)


def test_without_accents_and_in_capitals():
    assert countries("LAS VICTIMAS VENIAN DE HONDURAS Y MEXICO") == ["HND", "MEX"]
    assert countries("las victimas venian de honduras y de mexico") == ["HND", "MEX"]
    assert ("San Pedro Sula", "HND", "city") in found("Viajaron de San Pedro Sula a Tapachula, Mexico")
    assert ("Tapachula", "MEX", "city") in found("Viajaron de San Pedro Sula a Tapachula, Mexico")
    assert ("Espana", "ESP", "country") in found("Las llevaron a Espana")


def test_institution_names_name_their_country():
    assert countries("Según Migración Colombia, el grupo cruzó por Ipiales.") == ["COL"]
    assert ("Encarnación", "PRY", "city") in found("Declararon en la Fiscalía de Encarnación, Paraguay.")
    assert countries("La Policía Nacional de Colombia rescató a tres menores.") == ["COL"]


def test_cities_regions_and_multi_country_regions_spanish():
    text = "Reclutadas en Quetzaltenango, explotadas en Cancún, México; la ruta cruza Centroamérica."
    extraction = extract_places(text, "es")
    assert ("Quetzaltenango", "GTM", "city") in found(text)
    assert ("Cancún", "MEX", "city") in found(text)
    assert ("México", "MEX", "country") in found(text)
    (region,) = extraction.regions
    assert region.text == "Centroamérica" and set(region.countries) >= {"GTM", "HND", "SLV"}
    assert extraction.countries == ["GTM", "MEX"]  # sub-national places name their country too
    assert_spans(text, extraction)
    assert [r.name for r in extract_places("Migrantes del Triángulo Norte", "es").regions] == ["Northern Triangle"]


def test_a_region_has_its_iso_code_and_a_point():
    (texas,) = extract_places("Los llevaron a Texas.", "es").places
    assert (texas.kind, texas.country, texas.region_code) == ("region", "USA", "US-TX")
    assert texas.lat is not None and texas.lon is not None
    (sps,) = extract_places("Salió de San Pedro Sula.", "es").places
    assert sps.region_code == "HN-CR" and abs(sps.lat - 15.5) < 0.2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the other places in the text decide
        ("La trasladaron de Córdoba a Rosario, en Argentina.", ("Córdoba", "ARG")),
        ("Vivía en Córdoba, cerca de Sevilla, en España.", ("Córdoba", "ESP")),
        ("Fue llevada de León a Managua, Nicaragua.", ("León", "NIC")),
        ("Fue llevada de León a Guanajuato, México.", ("León", "MEX")),
        ("Trabajó en Granada y después en Managua, Nicaragua.", ("Granada", "NIC")),
    ],
)
def test_ambiguous_names_resolved_by_the_other_places(text, expected):
    written, country = expected
    assert any(w == written and c == country for w, c, _k in found(text)), found(text)


def test_ambiguity_falls_back_to_the_organisations_country_then_the_language():
    assert ("Santiago", "CHL", "city") in found("La encontraron en Santiago.", org_country="CHL")
    assert ("Santiago", "DOM", "city") in found("La encontraron en Santiago.", org_country="DOM")
    # with nothing else to go on, a Spanish text's Córdoba is a Spanish-speaking country's
    (cordoba,) = extract_places("La encontraron en Córdoba.", "es").places
    assert cordoba.country in {"ARG", "ESP", "MEX", "COL"}


def test_country_or_city_of_the_same_name():
    assert found("La víctima es de Guatemala.") == [("Guatemala", "GTM", "country")]
    assert found("La explotaban en la Ciudad de Guatemala.") == [("Ciudad de Guatemala", "GTM", "city")]
    assert found("Cruzaron Panamá por el Darién.")[0] == ("Panamá", "PAN", "country")


@pytest.mark.parametrize(
    "text",
    [
        "Vivía en la calle Honduras número 12.",
        "La casa está en la avenida Colombia.",
        "Cruzaron el río Lempa de noche.",
        "Navegaron por el Mar Caribe.",
        "El barco se hundió en el Golfo de México.",
        "Lo publicó el diario La Prensa.",
        "Victoria dijo que la amenazaban.",
        "Santiago, de 23 años, fue detenido.",
        "La señora Soledad Pérez declaró ante el juez.",
        "Don Florencio trabajaba en el hotel.",
        "La mesa de trabajo se reunió el lunes.",
        "Hubo paz y soledad en la victoria del equipo.",
        "Habla español e inglés.",
        "Les prometieron un pago de US$ 30 diarios.",
        "Lo denunció ante la Defensoría del Pueblo.",
    ],
)
def test_not_places_spanish(text):
    assert found(text) == []


# --- English -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Three Filipinos were recruited online.", "PHL"),
        ("A Filipina domestic worker escaped.", "PHL"),
        ("The Honduran woman was 17.", "HND"),
        ("Two Hondurans and a Salvadoran were found.", "HND"),
        ("She was taken to the U.S. by car.", "USA"),
        ("She was taken to the US by car.", "USA"),
        ("They worked in the UAE for two years.", "ARE"),
        ("He was sent to the United Kingdom.", "GBR"),
        ("A Kosovar national was charged.", "XKX"),
        ("The Embassy of the Philippines issued papers.", "PHL"),
    ],
)
def test_english_demonyms_and_abbreviations(text, country):
    assert countries(text, "en")[0] == country


def test_us_pronoun_is_not_a_country():
    assert countries("They told us to wait in the van.", "en") == []


def test_english_places_and_regions():
    text = "She was moved from Lagos, Nigeria through Niger to Italy, a West Africa route."
    extraction = extract_places(text, "en")
    assert extraction.countries == ["NGA", "NER", "ITA"]
    assert ("Lagos", "NGA", "city") in found(text, "en")
    assert [r.name for r in extraction.regions] == ["West Africa"]
    assert_spans(text, extraction)


def test_georgia_the_state_or_the_country():
    assert ("Georgia", "USA", "region") in found("Police in Atlanta, Georgia found four victims.", "en")
    assert ("Georgia", "GEO", "country") in found("She was trafficked from Georgia to Turkey.", "en")


@pytest.mark.parametrize(
    "text",
    [
        "She lived on Victoria Street for a year.",
        "The Thames River runs through the city.",
        "Victoria said she was afraid.",
        "Mr Reading said the company paid nothing.",
        "They sat at the mesa and watched the bath.",
        "It was a nice day in the reading room.",
        "She speaks Spanish and French.",
    ],
)
def test_not_places_english(text):
    assert found(text, "en") == []


# --- the function's promises ---------------------------------------------------------------------


def test_lookup_and_country_point():
    (place, *_rest) = lookup("Tegucigalpa", country="HND")
    assert place.kind == "city" and place.name_es == "Tegucigalpa"
    assert lookup("honduras")[0].kind == "country"
    assert lookup("Kosovo")[0].country == "XKX"
    lat, lon = country_point("HND")
    assert 13 < lat < 16 and -89 < lon < -85
    assert country_point("ZZZ") is None


def test_lower_case_country_before_a_curly_apostrophe():
    # written in lower case with a typographic apostrophe, as in a pasted news item
    assert countries("malaysia’s ambassador to cambodia said", "en") == ["MYS", "KHM"]


@pytest.mark.parametrize(
    "extra",
    [
        "por la Straße 5",  # a letter that folds to two ("ss"): the slower scan
        "→ 🙂",  # characters beyond cp1252: the general fold
        "",
    ],
)
def test_the_same_places_whatever_else_the_text_holds(extra):
    text = f"Salió de Tegucigalpa hacia San Pedro Sula (Honduras) {extra}."
    extraction = extract_places(text, "es")
    assert [(p.text, p.country, p.kind) for p in extraction.places] == [
        ("Tegucigalpa", "HND", "city"),
        ("San Pedro Sula", "HND", "city"),
        ("Honduras", "HND", "country"),
    ]
    assert_spans(text, extraction)


def test_letters_without_decomposition_and_capitals():
    assert found("Ella es de ŁÓDŹ y vive en Łódź, Polonia.") == [
        ("ŁÓDŹ", "POL", "city"),
        ("Łódź", "POL", "city"),
        ("Polonia", "POL", "country"),
    ]


def test_a_place_match_is_a_plain_frozen_dataclass():
    (match,) = extract_places("Vive en Honduras.", "es").places
    assert match == PlaceMatch("Honduras", 8, 16, "Honduras", "HND", "country", match.lat, match.lon, "")
    assert hash(match) == hash(PlaceMatch("Honduras", 8, 16, "Honduras", "HND", "country", match.lat, match.lon, ""))
    with pytest.raises(AttributeError):
        match.country = "GTM"  # type: ignore[misc]


def test_as_json_has_the_command_shape():
    data = extract_places("De San Pedro Sula a Centroamérica", "es").as_json("r1")
    assert data["id"] == "r1" and data["countries"] == ["HND"]
    assert set(data["places"][0]) == {"text", "start", "end", "name", "country", "kind", "lat", "lon"}
    assert set(data["regions"][0]) == {"text", "start", "end", "name", "countries"}
    json.dumps(data)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_unicode_text_gives_valid_spans(text):
    for language in ("es", "en"):
        extraction = extract_places(text, language)
        assert_spans(text, extraction)
        assert all(isinstance(p, PlaceMatch) for p in extraction.places)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Honduras",
                "EE. UU.",
                "de",
                "Calle",
                "hondureñas",
                "São Paulo",
                "İ",
                "ß",
                "\u0301",
                "ﬁ",
                " ",
                ",",
                ".",
                "\n",
                "Córdoba",
                "Centroamérica",
                "Ñ",
                "😀",
            ]
        )
    )
)
def test_place_like_noise_gives_valid_spans(parts):
    text = "".join(parts)
    assert_spans(text, extract_places(text, "es"))


# --- manage.py extract_places ---------------------------------------------------------------------


def test_command_reads_json_lines_and_writes_json_lines():
    stdin = io.StringIO(
        json.dumps({"id": 1, "text": "De San Pedro Sula a EE. UU.", "language": "es"})
        + "\n"
        + json.dumps({"id": "b", "text": "Filipinos in Dubai", "language": "en"})
        + "\n"
    )
    stdout = io.StringIO()
    call_command("extract_places", stdin=stdin, stdout=stdout)
    first, second = (json.loads(line) for line in stdout.getvalue().splitlines())
    assert first["id"] == 1 and first["countries"] == ["HND", "USA"]
    assert first["places"][0]["text"] == "San Pedro Sula" and first["places"][0]["start"] == 3
    assert second["id"] == "b" and second["countries"] == ["PHL", "ARE"]


def test_command_names_the_bad_line_goes_on_and_fails_at_the_end():
    stdin = io.StringIO(
        "not json\n"
        + json.dumps({"id": 2, "text": "Honduras", "language": "es"})
        + "\n"
        + json.dumps({"id": 3, "language": "es"})
        + "\n"
        + json.dumps({"id": 4, "text": "Honduras", "language": "fr"})
        + "\n"
    )
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("extract_places", stdin=stdin, stdout=stdout, stderr=stderr)
    assert [json.loads(line)["id"] for line in stdout.getvalue().splitlines()] == [2]
    errors = stderr.getvalue()
    assert "line 1" in errors and "line 3" in errors and "line 4" in errors and "line 2" not in errors
