"""Country and language names in Spanish and English: corrected where pycountry's catalogues
are English, misspelt or inverted, and sorted as a reader expects (issue 8, item 16)."""

from __future__ import annotations

import pytest

from amparo.cases.vocabularies import _language_choices, language_name
from amparo.core.countries import collation_key, country_choices, country_name


@pytest.mark.parametrize(
    ("code", "spanish"),
    [
        ("USA", "Estados Unidos"),
        ("GBR", "Reino Unido"),
        ("NLD", "Países Bajos"),
        ("CIV", "Costa de Marfil"),  # pycountry: "Costa de Marfíl"
        ("DZA", "Argelia"),  # pycountry: "Algeria"
        ("BFA", "Burkina Faso"),  # pycountry: "Burquina Faso"
        ("COD", "República Democrática del Congo"),  # pycountry: "Congo, República Democrática del"
        ("SXM", "San Martín (parte neerlandesa)"),  # pycountry: "… (zona holandsea)"
        ("TUN", "Túnez"),  # pycountry: "Tunez"
        ("ALA", "Islas Åland"),  # pycountry: "Islas Äland"
        ("PSE", "Palestina"),
        ("RUS", "Rusia"),
    ],
)
def test_spanish_country_names_are_correct(code, spanish):
    assert country_name(code, "es") == spanish


def test_english_country_names_read_naturally():
    assert country_name("CIV", "en") == "Côte d'Ivoire"
    assert country_name("COD", "en") == "Democratic Republic of the Congo"
    assert country_name("GBR", "en") == "United Kingdom"


@pytest.mark.parametrize(
    ("code", "spanish"),
    [
        ("ara", "Árabe"),  # pycountry: "Árábe"
        ("amh", "Amárico"),  # pycountry: "Ámárico"
        ("glg", "Gallego"),  # pycountry: "Galician"
        ("hat", "Criollo haitiano"),  # pycountry: "Haitian"
        ("ukr", "Ucraniano"),  # pycountry: "Ukranio"
        ("nld", "Neerlandés"),
        ("wln", "Valón"),  # pycountry: "valón"
        ("spa", "Español"),
        ("kek", "Q'eqchi'"),
    ],
)
def test_spanish_language_names_are_correct(code, spanish):
    assert language_name(code, "es") == spanish


def test_no_spanish_name_is_left_in_english_where_spanish_differs():
    english_only = {"Galician", "Haitian", "Luxembourgish", "Western Frisian", "Scottish Gaelic", "Algeria"}
    names = {name for _, name in _language_choices("es")} | {name for _, name in country_choices("es")}
    assert not names & english_only
    assert not [name for name in names if "(macrolanguage)" in name or name[:1].islower()]


def test_spanish_lists_sort_accents_with_their_letter_and_n_tilde_after_n():
    names = [name for _, name in country_choices("es")]
    assert names.index("Bélgica") < names.index("Belice") < names.index("Benín") < names.index("Burundi")
    assert names.index("Egipto") < names.index("El Salvador") < names.index("Emiratos Árabes Unidos")
    assert names[-1] == "Zimbabue"
    languages = [name for _, name in _language_choices("es")]
    assert languages.index("Amárico") < languages.index("Árabe") < languages.index("Aragonés")
    assert languages[0] == "Abjasio" and languages[-1] == "Zulú"
    assert sorted(["ñu", "nube", "oso", "nuez"], key=lambda n: collation_key(n, "es")) == ["nube", "nuez", "ñu", "oso"]
    assert sorted(["Éclair", "eagle", "Ezra"], key=lambda n: collation_key(n, "en")) == ["eagle", "Éclair", "Ezra"]


def test_the_lists_have_every_country_once():
    assert len(country_choices("es")) == len(country_choices("en")) == 249
