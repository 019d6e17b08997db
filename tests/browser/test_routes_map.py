"""The authority's route map in Chromium, in Spanish, with axe-core (issue 11, part 5;
decision 0042): flows and hexagons drawn by Leaflet over the borders Amparo serves itself,
the table beside the map with the same numbers, a filter that changes both, no request to
another host, no Content Security Policy violation, and a phone-sized screen without
horizontal scrolling."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from amparo.accounts.models import User
from amparo.core.permissions import Role
from amparo.routes.legs import StopInput, rebuild
from tests.browser.conftest import axe_check
from tests.browser.test_journeys import sign_in_verified, spanish
from tests.referral_helpers import agreement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAN_PEDRO_SULA = ("HND", "HN-CR", "San Pedro Sula", 15.5042, -88.025)
TEGUCIGALPA = ("HND", "HN-FM", "Tegucigalpa", 14.0818, -87.2068)
TAPACHULA = ("MEX", "MX-CHP", "Tapachula", 14.9039, -92.2575)
HOUSTON = ("USA", "US-TX", "Houston", 29.7633, -95.3633)
QUETZALTENANGO = ("GTM", "GT-QZ", "Quetzaltenango", 14.8347, -91.5180)


def _stops(org_id: int) -> list[StopInput]:
    """12 people on two routes to Houston (7 through Tapachula, sexual exploitation; 5 direct,
    forced labour) and 2 from Guatemala to Tapachula, a flow below the threshold of 5."""
    people = (
        [("sexual_exploitation", [("recruitment", SAN_PEDRO_SULA), ("transit", TAPACHULA), ("exploitation", HOUSTON)])]
        * 7
        + [("forced_labour", [("recruitment", TEGUCIGALPA), ("exploitation", HOUSTON)])] * 5
        + [("forced_labour", [("recruitment", QUETZALTENANGO), ("exploitation", TAPACHULA)])] * 2
    )
    stops = []
    for number, (exploitation_type, route) in enumerate(people):
        for stage, (country, region, city, lat, lon) in route:
            stops.append(
                StopInput(
                    subject_kind="case",
                    subject_id=f"map-test-{number}",
                    organisation_id=org_id,
                    stage=stage,
                    country=country,
                    region_code=region,
                    city=city,
                    lat=lat,
                    lon=lon,
                    month=datetime.date(2026, 3, 1),
                    exploitation_type=exploitation_type,
                    sex="feminine",
                    age_band="18-20",
                )
            )
    return stops


def _watch(page: Page) -> tuple[list[str], list[str]]:
    """Every request the page makes, and every console error or uncaught exception (a CSP
    violation is reported as a console error)."""
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return requests, errors


def _map_drawn(page: Page) -> None:
    expect(page.locator("#route-map[data-drawn]")).to_have_count(1)
    # The borders are drawn from Amparo's own TopoJSON (no tile layer exists at all).
    expect(page.locator(".leaflet-borders-pane path").first).to_be_attached()
    assert page.locator(".leaflet-tile-pane img, .leaflet-tile").count() == 0


def _flow_rows(page: Page) -> list[tuple[str, str, int]]:
    table = page.locator("main table", has=page.locator("caption", has_text=spanish("Flows")))
    rows = []
    for row in table.locator("tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if len(cells) == 3:
            rows.append((cells[0].strip(), cells[1].strip(), int(cells[2])))
    return sorted(rows)


def _drawn_flows(page: Page) -> list[tuple[str, str, int]]:
    drawn = []
    for path in page.locator(".leaflet-overlay-pane svg path.route-flow").all():
        drawn.append(
            (path.get_attribute("data-from"), path.get_attribute("data-to"), int(path.get_attribute("data-count") or 0))
        )
    return sorted(drawn)  # type: ignore[arg-type]


def _payload_flows(page: Page) -> list[dict]:
    return page.evaluate("JSON.parse(document.getElementById('route-map-data').textContent).flows")


def test_authority_reads_the_route_map_in_spanish(
    page: Page, open_context, staff_a: dict[str, User], staff_b: dict[str, User]
) -> None:
    authority = staff_b[Role.AUTHORITY]
    cso = staff_a[Role.CASE_WORKER].organisation
    agreement(cso, authority.organisation, purposes=["route_aggregates"], field_sets=[])
    assert rebuild(_stops(cso.pk)) > 0
    requests, errors = _watch(page)

    sign_in_verified(page, authority)
    page.locator("header form.lang button[name=language]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto("/routes/")
    expect(page.locator("main h1")).to_have_text(spanish("Routes and hotspots"))
    _map_drawn(page)
    map_box = page.locator("#route-map")
    expect(map_box).to_have_attribute("aria-label", re.compile(r"Mapa"))

    # Flows: one arc per flow of the payload, with the table's numbers; nothing below 5.
    payload = _payload_flows(page)
    assert sorted((f["from"], f["to"], f["count"]) for f in payload) == [
        ("HND", "MEX", 7),
        ("HND", "USA", 5),
        ("MEX", "USA", 7),
    ]
    assert _drawn_flows(page) == sorted((f["from"], f["to"], f["count"]) for f in payload)
    assert _flow_rows(page) == sorted((f["from_name"], f["to_name"], f["count"]) for f in payload)
    assert ("Honduras", "México", 7) in _flow_rows(page)
    expect(page.locator("main")).not_to_contain_text("Guatemala")
    # Every arc points at its destination.
    for path in page.locator("path.route-flow").all():
        assert path.get_attribute("marker-end") == "url(#route-flow-arrow)"

    # Hotspots: the payload's hexagons, coloured, with the hotspot table's counts.
    hexagons = page.locator(".leaflet-overlay-pane svg path.route-hotspot")
    hotspot_table = page.locator("main table", has=page.locator("caption", has_text=spanish("Hotspots")))
    table_counts = sorted(int(text) for text in hotspot_table.locator("tbody tr td:nth-child(3)").all_inner_texts())
    assert hexagons.count() >= 1
    assert sorted(int(h.get_attribute("data-count") or 0) for h in hexagons.all()) == table_counts
    assert 12 in table_counts  # the 12 people exploited in Houston

    # The tooltip of an arc gives the same number as the table, in Spanish.
    map_box.scroll_into_view_if_needed()
    arc = page.locator("path.route-flow[data-from=HND][data-to=MEX]")
    middle = arc.evaluate(
        """path => { const p = path.getPointAtLength(path.getTotalLength() / 2);
                     const m = path.getScreenCTM(); return [p.x * m.a + m.e, p.y * m.d + m.f]; }"""
    )
    page.mouse.move(middle[0] - 5, middle[1] - 5)
    page.mouse.move(middle[0], middle[1])
    expect(page.locator(".leaflet-tooltip")).to_contain_text("Honduras → México")
    expect(page.locator(".leaflet-tooltip")).to_contain_text("7")

    # The legend and the layer toggles, translated by the server.
    expect(page.locator("#route-map-legend")).to_contain_text(spanish("Flows"))
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("title", "Acercar")
    page.get_by_label(spanish("Flows"), exact=True).uncheck()
    expect(page.locator("path.route-flow")).to_have_count(0)
    page.get_by_label(spanish("Flows"), exact=True).check()
    expect(page.locator("path.route-flow")).to_have_count(3)
    axe_check(page)

    # Keyboard users can skip the map.
    page.locator(".route-map-skip").focus()
    expect(page.locator(".route-map-skip")).to_be_visible()
    expect(page.locator(".route-map-skip")).to_have_text("Saltar el mapa")

    # A filter: forced labour only. Map and table change together.
    page.select_option("select[name=exploitation_type]", value="forced_labour")
    page.locator("main form[method=get] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"exploitation_type=forced_labour"))
    _map_drawn(page)
    expect(page.locator("path.route-flow")).to_have_count(1)
    assert _drawn_flows(page) == [("HND", "USA", 5)]
    assert _flow_rows(page) == [("Honduras", "Estados Unidos", 5)]
    axe_check(page)

    # Zooming in fetches the detailed borders, from Amparo too.
    page.locator(".leaflet-control-zoom-in").click()
    page.locator(".leaflet-control-zoom-in").click()
    page.locator(".leaflet-control-zoom-in").click()
    expect(map_box).to_have_attribute("data-detail", "50m")

    host = urlsplit(page.url).hostname
    foreign = [
        url for url in requests if urlsplit(url).scheme not in {"data", "blob"} and urlsplit(url).hostname != host
    ]
    assert not foreign, f"requests left the app's host: {foreign}"
    assert any("/static/vendor/world-atlas/countries-110m" in url for url in requests)
    assert not errors, f"console errors (CSP violations among them?): {errors}"

    # A phone: the map above the table, full width, no horizontal scrolling of the page.
    phone = open_context(
        storage_state=page.context.storage_state(), viewport={"width": 360, "height": 740}, is_mobile=True
    ).new_page()
    phone_requests, phone_errors = _watch(phone)
    phone.goto("/routes/")
    _map_drawn(phone)
    expect(phone.locator("path.route-flow")).to_have_count(3)
    width = phone.evaluate("document.documentElement.clientWidth")
    assert phone.evaluate("document.documentElement.scrollWidth") <= width
    map_area = phone.locator("#route-map").bounding_box()
    table_area = phone.locator("main table").first.bounding_box()
    assert map_area is not None and table_area is not None
    assert map_area["y"] + map_area["height"] <= table_area["y"]
    assert map_area["width"] >= width - 48  # full width, less main's padding
    axe_check(phone)
    assert all(urlsplit(url).hostname == host for url in phone_requests if urlsplit(url).scheme in {"http", "https"})
    assert not phone_errors, phone_errors


def test_map_script_writes_names_as_text_never_as_html() -> None:
    """Place names reach the map from staff input (a confirmed city): the script builds every
    tooltip and legend from text nodes and never hands Leaflet or the DOM an HTML string."""
    script = (Path(__file__).resolve().parents[2] / "amparo" / "static" / "routes" / "map.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    tooltips = re.findall(r"bindTooltip\(\s*([A-Za-z_]+)\(", script)
    assert tooltips and set(tooltips) == {"tooltipContent"}, tooltips
    assert script.count("bindTooltip(") == len(tooltips), "a tooltip is bound to something else than text nodes"
    assert "bindPopup(" not in script and "setContent(" not in script
    assert "createTextNode" in script and "textContent" in script
