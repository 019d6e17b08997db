"""Find help (issue 9, part 5): the public search, the help numbers, the awareness pages.

Everything under /help/ is anonymous: no cookie, no cache, nothing from another host, never
a confidential address or coordinates, never an unpublished service or a draft page.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.findhelp import services
from amparo.findhelp.markdown import render_markdown
from amparo.findhelp.models import AwarenessPage, PageStatus, Topic
from amparo.findhelp.numbers import data as number_data
from amparo.findhelp.numbers import numbers_for
from amparo.referrals.models import Service, ServiceType
from amparo.referrals.services import load_global_types
from tests.conftest import as_verified, verified_client

pytestmark = pytest.mark.django_db

SAFE_ADDRESS = "Calle Secreta 77 MARKER-SAFEHOUSE"
SAFE_LAT, SAFE_LON = Decimal("19.41234"), Decimal("-99.16789")


@pytest.fixture(autouse=True)
def _types(db):
    load_global_types()


def kind(code: str) -> ServiceType:
    return ServiceType.objects.get(organisation=None, code=code)


def make(org, **fields) -> Service:
    defaults = {"name": "A service", "service_type": kind("shelter"), "intake_contact": "+52 55 0000 0000"}
    return Service.objects.create(organisation=org, **{**defaults, **fields})


@pytest.fixture
def directory(org_a, org_b):
    """A safe house (confidential), a public clinic, an unpublished service, a police contact."""
    return {
        "safe": make(
            org_a,
            name="Casa Refugio Prueba",
            countries=",MEX,",
            regions=",MX-CMX,",
            languages=",SPA,",
            intake_contact="+52 55 0000 0199 INTAKE-OK",
            address=SAFE_ADDRESS,
            latitude=SAFE_LAT,
            longitude=SAFE_LON,
            confidential_location=True,
        ),
        "clinic": make(
            org_a,
            name="Clínica Abierta",
            service_type=kind("medical"),
            countries=",MEX,",
            regions=",MX-JAL,",
            languages=",SPA,ENG,",
            hours="Lunes a viernes",
            cost="Gratuito",
            address="Av. Pública 1",
            latitude=Decimal("20.67"),
            longitude=Decimal("-103.35"),
        ),
        "hidden": make(org_a, name="UNPUBLISHED-MARKER", countries=",MEX,", is_published=False),
        "police": make(org_b, name="POLICE-MARKER", service_type=kind("law_enforcement"), countries=",COL,"),
        "london": make(
            org_b, name="London Legal", service_type=kind("legal_aid"), countries=",GBR,", languages=",ENG,POL,"
        ),
    }


def search(**params) -> tuple[int, str]:
    response = Client().get(reverse("help:help_search"), params)
    return response.status_code, response.content.decode()


# --- no cookie, no cache, nothing from another host ------------------------------------------


def public_paths(page: AwarenessPage) -> list[str]:
    base = reverse("help:help_search")
    return [
        base,
        base + "?lang=es",
        base + "?country=MEX&type=shelter&lang=es",
        base + "?country=MEX&region=MX-CMX",
        base + "?country=ZZZ",
        base + "?lat=19.4&lon=-99.2&lang=en",
        base + "?lat=nonsense&lon=1",
        reverse("help:awareness_list") + "?lang=es",
        reverse("help:awareness_detail", kwargs={"pk": page.pk}),
        reverse("help:awareness_detail", kwargs={"pk": 2**31 - 1}),
    ]


@pytest.fixture
def published_page(org_a) -> AwarenessPage:
    return AwarenessPage.objects.create(
        organisation=org_a,
        topic=Topic.SIGNS,
        language="es",
        title="Señales publicadas",
        body="Texto **publicado**.",
        status=PageStatus.PUBLISHED,
    )


def test_no_find_help_page_sets_a_cookie_is_cached_or_loads_from_another_host(
    directory, published_page, settings, staff_a
):
    settings.AMPARO_QUICK_EXIT_URL = "https://weather.example/today"
    anonymous, signed_in = Client(), verified_client(staff_a[Role.ORG_ADMIN])
    for path in public_paths(published_page):
        for client in (anonymous, signed_in):  # a staff session does not reach /help/ either
            response = client.get(path)
            assert response.status_code in (200, 400, 404), path
            assert "Set-Cookie" not in response and not response.cookies, path
            assert response["Cache-Control"] == "no-store, max-age=0", path
            assert response["Referrer-Policy"] == "no-referrer", path
            assert "Strict-Transport-Security" not in response, path
            html = response.content.decode()
            assert "csrfmiddlewaretoken" not in html, path
            urls = re.findall(r"(?:https?:)?//[\w.-]+", html)
            assert urls in ([], ["https://weather.example"]), (path, urls)  # the quick exit link only
            assert 'id="quick-exit"' in html, path
            for asset in re.findall(r'<(?:link|script)[^>]+(?:href|src)="([^"]+)"', html):
                assert asset.startswith("/report/assets/"), (path, asset)


def test_the_public_front_page_links_to_find_help_and_back(published_page):
    home = Client().get(reverse("report:public_home"), {"lang": "es"}).content.decode()
    assert 'href="/help/?lang=es"' in home and 'href="/help/pages/?lang=es"' in home
    found = Client().get(reverse("help:help_search"), {"lang": "es"}).content.decode()
    assert '<html lang="es">' in found and "<h1>Buscar ayuda</h1>" in found
    assert 'href="/report/?lang=es"' in found and 'href="/report/new/?lang=es"' in found
    assert 'href="?lang=en"' in found  # the language switch is a plain link, no cookie


# --- confidential locations, unpublished services, hidden types ------------------------------


def test_a_confidential_shelters_address_and_coordinates_never_appear_in_any_find_help_response(directory):
    responses = [
        search(),
        search(country="MEX"),
        search(country="MEX", region="MX-CMX", type="shelter", lang="es"),
        search(language="spa"),
        search(lat="19.4", lon="-99.2"),
        search(lat="19.41234", lon="-99.16789"),  # even asked with the exact point
    ]
    for status, html in responses:
        assert status == 200
        assert "MARKER-SAFEHOUSE" not in html and "Calle Secreta" not in html
        for secret in ("19.41234", "-99.16789", "19.412", "99.167", "19.41", "99.16"):
            assert secret not in html, secret
    status, html = search(country="MEX", type="shelter")
    assert "Casa Refugio Prueba" in html and "INTAKE-OK" in html  # the intake contact is shared
    _status, near = search(lat="19.41234", lon="-99.16789")
    card = near.split("Casa Refugio Prueba")[1].split("</li>")[0]
    assert "km" not in card  # no distance to a safe house either


def test_unpublished_services_and_law_enforcement_contacts_are_never_listed(directory):
    for params in ({"country": "MEX"}, {"country": "COL"}, {"language": "spa"}, {"lat": "4.6", "lon": "-74.1"}):
        status, html = search(**params)
        assert status == 200
        assert "UNPUBLISHED-MARKER" not in html and "POLICE-MARKER" not in html
    status, html = search(type="law_enforcement")
    assert status == 400 and "Choose a kind of help from the list." in html and "POLICE-MARKER" not in html


def test_a_public_services_address_is_shown_but_never_its_coordinates(directory):
    _status, html = search(country="MEX", type="medical")
    assert "Clínica Abierta" in html and "Av. Pública 1" in html
    assert "20.67" not in html and "103.35" not in html


# --- filters ---------------------------------------------------------------------------------


def names(html: str) -> set[str]:
    return set(re.findall(r"<h3>([^<]+)</h3>", html))


def test_search_filters_by_country_region_type_and_language(directory):
    assert names(search(country="MEX")[1]) == {"Casa Refugio Prueba", "Clínica Abierta"}
    assert names(search(country="GBR")[1]) == {"London Legal"}
    assert names(search(country="MEX", region="MX-CMX")[1]) == {"Casa Refugio Prueba"}
    assert names(search(country="MEX", region="MX-JAL")[1]) == {"Clínica Abierta"}
    assert names(search(type="medical")[1]) == {"Clínica Abierta"}
    assert names(search(language="eng")[1]) == {"Clínica Abierta", "London Legal"}
    assert names(search(language="pol", country="MEX")[1]) == set()
    assert "No service matches this search" in search(language="pol", country="MEX")[1]


def test_the_results_show_what_a_person_needs_to_get_in_touch(directory):
    html = search(country="MEX", type="medical", lang="es")[1]
    for text in ("Clínica Abierta", "Alpha Refuge", "Atención médica", "Español", "Inglés", "Lunes a viernes"):
        assert text in html, text
    assert "Gratuito" in html and "+52 55 0000 0000" in html


def test_near_me_finds_services_within_reach_nearest_first_from_a_rounded_point(directory):
    html = search(lat="19.4", lon="-99.2")[1]
    assert names(html) == {"Casa Refugio Prueba"}  # Guadalajara's clinic is 500 km away
    assert "Services near you" in html
    assert services.round_point(19.43261, -99.13321) == (19.4, -99.1)
    assert services.round_point(-0.05, 179.96) == (-0.0, 180.0)


def test_the_region_list_appears_once_a_country_is_chosen(directory):
    assert 'name="region"' not in search()[1]
    html = search(country="MEX", lang="es")[1]
    assert '<option value="MX-JAL">Jalisco</option>' in html


def test_the_emergency_number_and_hotline_of_the_chosen_country_are_shown_first(directory):
    html = search(country="MEX", lang="es")[1]
    numbers = html.split('id="numbers-title"')[1].split("</section>")[0]
    assert "México" in numbers and 'href="tel:911"' in numbers and 'href="tel:8005533000"' in numbers
    assert html.index('id="numbers-title"') < html.index('id="results-title"')
    gb = search(country="GBR")[1]
    assert "999" in gb and "08000 121 700" in gb and "Modern Slavery" in gb
    assert 'id="numbers-title"' not in search(type="medical")[1]


def test_every_help_number_has_a_source_and_a_date_and_agrees_with_the_reporting_sites_list():
    reports = json.loads((Path(__file__).parent.parent / "amparo/reports/emergency_numbers.json").read_text())
    entries = number_data()["countries"]
    for country in ("MEX", "COL", "GBR", "ESP", "USA"):  # the demo organisations' and the main countries
        assert entries[country]["emergency"] and entries[country]["hotline"]["number"], country
    for country, entry in entries.items():
        assert entry["source"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["checked"]), country
        assert entry.get("emergency") or entry.get("hotline"), country
        if country in reports and entry.get("emergency"):
            assert entry["emergency"] == reports[country], country
        hotline = entry.get("hotline")
        if hotline:
            assert hotline["es"] and hotline["en"], country
    assert numbers_for("ZZZ") is None and numbers_for("") is None


def test_a_hotline_not_checked_against_its_source_is_not_shown_until_the_deployment_confirms_it(settings):
    entry = number_data()["countries"]["CAN"]
    assert entry.get("confirm") is True
    numbers = numbers_for("CAN")
    assert numbers is not None and numbers.emergency == "911" and numbers.hotline == ""
    settings.AMPARO_HELP_NUMBERS_CONFIRMED = frozenset({"CAN"})
    numbers = numbers_for("CAN")
    assert numbers is not None and numbers.hotline == entry["hotline"]["number"]
    # A checked entry is shown without any setting.
    settings.AMPARO_HELP_NUMBERS_CONFIRMED = frozenset()
    mexico = numbers_for("MEX")
    assert mexico is not None and mexico.hotline == "800 5533 000"


# --- bad input -------------------------------------------------------------------------------


def test_bad_input_gets_a_translated_message_and_400_never_500(directory):
    status, html = search(country="ZZZ", lang="es")
    assert status == 400 and "No tenemos ayuda registrada para ese país." in html
    status, html = search(lat="nonsense", lon="-99", lang="es")
    assert status == 400 and "No se pudo leer su ubicación." in html
    status, html = search(lat="95", lon="10")
    assert status == 400 and "Your location could not be read." in html
    status, html = search(region="MX-CMX")
    assert status == 400 and "Choose a region of the country chosen" in html
    assert search(lat="nan", lon="inf")[0] == 400


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["country", "region", "type", "language", "lat", "lon", "lang"]),
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(["MEX", "mex", "MX-CMX", "shelter", "spa", "19.4", "-99.2", "1e400", "-0", "es"]),
            st.floats().map(str),
        ),
    )
)
def test_any_query_is_answered_200_or_400_with_no_cookie(directory, params):
    params = {k: v.replace("\x00", "") for k, v in params.items()}
    response = Client().get(reverse("help:help_search") + "?" + urlencode(params))
    assert response.status_code in (200, 400), params
    assert not response.cookies


# --- page weight -----------------------------------------------------------------------------


def _weight(client: Client, response) -> int:
    html = response.content
    total = len(html)
    for url in re.findall(rb'<link[^>]+href="(/[^"]+)"', html):  # style sheet and icon: no script counted
        total += len(client.get(url.decode()).content)
    return total


def test_the_find_help_page_weighs_under_30_kb_without_javascript_and_awareness_pages_under_100_kb(
    directory, org_a, settings
):
    from amparo.findhelp.defaults import DEFAULT_PAGES

    services.awareness_seed(organisation_id=org_a.pk, pages=DEFAULT_PAGES)
    client = Client()
    for params in ({}, {"lang": "es"}, {"country": "MEX", "lang": "es"}, {"country": "GBR", "type": "legal_aid"}):
        weight = _weight(client, client.get(reverse("help:help_search"), params))
        assert weight <= 30 * 1024, (params, weight)
    for page in AwarenessPage.objects.all():
        response = client.get(reverse("help:awareness_detail", kwargs={"pk": page.pk}), {"lang": page.language})
        assert response.status_code == 200 and _weight(client, response) <= 100 * 1024
    assert _weight(client, client.get(reverse("help:awareness_list"))) <= 100 * 1024


# --- awareness pages -------------------------------------------------------------------------

PAYLOADS = """# Señales

<script>alert("XSS-SCRIPT")</script>

<img src=x onerror="alert('XSS-ONERROR')">

[pulse aquí](javascript:alert('XSS-JSLINK'))

[otro](JAVASCRIPT:alert(1)) [datos](data:text/html;base64,PHNjcmlwdD4=)

<div style="position:fixed" onclick="steal()">RAW-HTML</div>

![foto](https://tracker.example/pixel.png)

[enlace seguro](https://example.org/ayuda)
"""


def test_markdown_payloads_are_neutralised_in_the_public_page(org_a):
    page = AwarenessPage.objects.create(
        organisation=org_a, topic=Topic.SIGNS, language="es", title="Prueba", body=PAYLOADS, status="published"
    )
    html = Client().get(reverse("help:awareness_detail", kwargs={"pk": page.pk})).content.decode()
    article = html.split("<article")[1].split("</article>")[0]
    assert "<h2>Señales</h2>" in article
    assert "<script" not in article and "<img" not in article and "<div" not in article
    assert not re.search(r"<[^>]*\s(?:onerror|onclick|style)=", article)
    assert not re.search(r'href="\s*(?:javascript|data):', article, re.I)
    assert 'src="https://tracker.example' not in html  # no image, so nothing is fetched from that host
    assert '<a href="https://example.org/ayuda" rel="noopener noreferrer nofollow">enlace seguro</a>' in article
    assert "&lt;script&gt;" in article  # shown as text, not run
    rendered = render_markdown('<a href="javascript:x()">a</a> [b](vbscript:x) [c](tel:+34900105090)')
    assert "javascript:" not in rendered.split("&lt;a")[0] and 'href="vbscript' not in rendered
    assert 'href="tel:+34900105090"' in rendered


def test_a_draft_is_never_public_and_the_list_shows_published_pages_per_organisation_and_language(
    org_a, org_b, published_page
):
    draft = AwarenessPage.objects.create(
        organisation=org_a, topic=Topic.RIGHTS, language="es", title="DRAFT-MARKER", body="x", status="draft"
    )
    english = AwarenessPage.objects.create(
        organisation=org_b, topic=Topic.SIGNS, language="en", title="Signs in English", body="x", status="published"
    )
    spanish = Client().get(reverse("help:awareness_list"), {"lang": "es"}).content.decode()
    assert "Señales publicadas" in spanish and "Alpha Refuge" in spanish
    assert "DRAFT-MARKER" not in spanish and "Signs in English" not in spanish
    english_list = Client().get(reverse("help:awareness_list"), {"lang": "en"}).content.decode()
    assert "Signs in English" in english_list and "Beta Police Unit" in english_list
    assert "Señales publicadas" not in english_list
    missing = Client().get(reverse("help:awareness_detail", kwargs={"pk": 2**31 - 1}))
    hidden = Client().get(reverse("help:awareness_detail", kwargs={"pk": draft.pk}))
    assert hidden.status_code == missing.status_code == 404 and b"DRAFT-MARKER" not in hidden.content
    assert Client().get(reverse("help:awareness_detail", kwargs={"pk": english.pk})).status_code == 200


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.PREVENTION_OFFICER])
def test_an_organisation_writes_publishes_and_unpublishes_its_page_audited(staff_a, role):
    client = verified_client(staff_a[role])
    body = {
        "topic": "rights",
        "language": "en",
        "title": "Your rights here",
        "body": "You **may** ask.",
        "status": "draft",
    }
    created = client.post(reverse("findhelp:awareness_create"), body)
    assert created.status_code == 302
    page = AwarenessPage.objects.get(title="Your rights here")
    public = reverse("help:awareness_detail", kwargs={"pk": page.pk})
    assert Client().get(public).status_code == 404  # a draft
    edit = reverse("findhelp:awareness_edit", kwargs={"pk": page.pk})
    assert client.post(edit, {**body, "status": "published"}).status_code == 302
    assert b"You <strong>may</strong> ask." in Client().get(public).content
    assert client.post(edit, {**body, "status": "draft"}).status_code == 302
    assert Client().get(public).status_code == 404
    actions = list(AuditEntry.objects.filter(object_id=str(page.pk)).order_by("seq").values_list("action", flat=True))
    assert actions == ["awareness.create", "awareness.publish", "awareness.unpublish"]
    again = client.post(reverse("findhelp:awareness_create"), body)
    assert again.status_code == 400 and b"already has a page on this topic in this language" in again.content


@pytest.mark.parametrize("role", [r for r in Role.values if r not in (Role.ORG_ADMIN, Role.PREVENTION_OFFICER)])
def test_other_roles_cannot_write_awareness_pages(staff_a, role):
    client = verified_client(staff_a[role])
    assert client.get(reverse("findhelp:awareness_manage")).status_code == 403
    with pytest.raises(PermissionDenied):
        services.awareness_save(
            actor=as_verified(staff_a[role]), topic="signs", language="es", title="t", body="b", status="published"
        )


def test_another_organisations_page_cannot_be_changed(staff_a, staff_b, published_page):
    outsider = verified_client(staff_b[Role.ORG_ADMIN])
    edit = reverse("findhelp:awareness_edit", kwargs={"pk": published_page.pk})
    body = {"topic": "signs", "language": "es", "title": "HIJACKED", "body": "x", "status": "published"}
    assert outsider.post(edit, body).status_code == 404
    with pytest.raises(PermissionDenied):
        services.awareness_save(actor=as_verified(staff_b[Role.ORG_ADMIN]), page=published_page, **body)
    published_page.refresh_from_db()
    assert published_page.title == "Señales publicadas"
    with pytest.raises(ValidationError):
        services.awareness_save(
            actor=as_verified(staff_a[Role.ORG_ADMIN]), topic="x", language="es", title="t", body="b", status="draft"
        )


def test_demo_data_publishes_default_awareness_pages_in_both_languages(settings, db):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    pages = AwarenessPage.objects.published()
    assert pages.count() == 12  # two organisations x three topics x two languages, once
    assert set(pages.values_list("language", flat=True)) == {"es", "en"}
    assert set(pages.values_list("topic", flat=True)) == set(Topic.values)
    status, html = search(country="MEX", lang="es")
    assert status == 200 and "Casa Refugio Amanecer (demo)" in html and "Calle Ficticia" not in html
