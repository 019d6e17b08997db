"""Network-level referral figures (issue 9, part 6; decision 0035), through the routes.

Referrals between organisations the viewer has nothing to do with are planted so that one
cell would single out one referral; the page and the CSV hide it, hide enough other cells
that the total does not give it back, and never name an organisation or a person. Exact
counts come through when they are large enough; the viewer's own organisation is never the
key to subtract the rest of the network.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.accounts.models import Organisation, OrganisationType
from amparo.core.permissions import Role
from amparo.referrals import network
from amparo.referrals.models import Referral, Service, ServiceType
from amparo.referrals.services import load_global_types
from amparo.referrals.workflow_models import ReferralStatus
from tests.conftest import make_user, verified_client

H = datetime.timedelta(hours=1)
SEALED = b"Zzsealednetworkmarker"
GAMMA, DELTA = "Gamma Zznetworkone", "Delta Zznetworktwo"


def _last_month() -> datetime.datetime:
    """Ten days before the current month began: inside the window, in one month."""
    _start, end = network.window()
    return end - datetime.timedelta(days=10)


@pytest.fixture
def network_orgs(db):
    load_global_types()
    gamma = Organisation.objects.create(name=GAMMA, org_type=OrganisationType.NGO, country="PER")
    delta = Organisation.objects.create(name=DELTA, org_type=OrganisationType.NGO, country="PER")
    return gamma, delta


def _service(org: Organisation, code: str) -> Service:
    return Service.objects.create(
        organisation=org,
        name=f"{org.name} {code}",
        on_amparo=True,
        service_type=ServiceType.objects.get(organisation=None, code=code),
        intake_contact="+51 1 000 0000",
    )


def plant(sender, receiver, code, *, n=1, status=ReferralStatus.ACCEPTED, accepted_after=2 * H, when=None, **extra):
    when = when or _last_month()
    service = Service.objects.filter(organisation=receiver, service_type__code=code).first() or _service(receiver, code)
    for _ in range(n):
        Referral.objects.create(
            sender=sender,
            receiver=receiver,
            service=service,
            service_type_code=code,
            field_set="shelter_intake",
            field_sets_version="2026.1",
            basis="emergency",
            sealed_content=SEALED,
            sent_at=when,
            due_at=when + 24 * H,
            status=status,
            decided_at=when + accepted_after if accepted_after else None,
            **extra,
        )


def _csv(client) -> dict[tuple[str, str, str], tuple[str, str]]:
    response = client.get(reverse("referral:network_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["table", "code", "label", "measure", "value", "suppressed"]
    return {(r[0], r[1], r[3]): (r[4], r[5]) for r in rows[1:]}


def test_a_cell_that_would_reveal_one_referral_is_hidden_and_the_total_does_not_give_it_back(network_orgs, staff_b):
    """Gamma sent Delta 20 shelter referrals and one medical referral, declined as out of
    area. Shown as they are, "medical: 1" and "out of area: 1" would point at one person's
    referral; and with the total 21 shown, hiding medical alone would not help (21 - 20)."""
    gamma, delta = network_orgs
    plant(gamma, delta, "shelter", n=20)
    plant(gamma, delta, "medical", status=ReferralStatus.DECLINED, decline_reason="out_of_area")
    authority = verified_client(staff_b[Role.AUTHORITY])
    figures = _csv(authority)
    assert figures["summary", "total", "sent"] == ("21", "no")
    assert figures["by_type", "medical", "sent"] == ("", "yes")
    # Complementary: the only other non-zero row of the table is hidden too, whole (its
    # "accepted 20" beside the total would otherwise bound the medical row).
    assert figures["by_type", "shelter", "sent"] == ("", "yes")
    assert figures["by_type", "shelter", "accepted"] == ("", "yes")
    # The single decline: in the summary, by type, by reason.
    assert figures["summary", "total", "declined"] == ("", "yes")
    assert figures["by_type", "medical", "declined"] == ("", "yes")
    assert figures["decline_reasons", "out_of_area", "declined"] == ("", "yes")
    # Zeros say nothing about anyone and stay.
    assert figures["by_type", "legal_aid", "sent"] == ("0", "no")
    # The month holds the single decline: hidden whole, as a row.
    month = _last_month().strftime("%Y-%m")
    assert figures["by_month", month, "sent"] == ("", "yes")
    page = authority.get(reverse("referral:network"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "fewer than 5" in html
    row = html.split("<td>Medical care</td>")[1].split("</tr>")[0]
    assert "fewer than 5" in row and ">1<" not in row
    for leak in (GAMMA, DELTA, SEALED.decode()):
        assert leak not in html
        assert leak.encode() not in authority.get(reverse("referral:network_csv")).content


def test_large_enough_counts_and_the_median_are_exact(network_orgs, staff_b):
    gamma, delta = network_orgs
    plant(gamma, delta, "shelter", n=6, accepted_after=2 * H)
    plant(gamma, delta, "shelter", n=5, accepted_after=10 * H, status=ReferralStatus.DONE, outcome="provided")
    plant(delta, gamma, "legal_aid", n=5, status=ReferralStatus.DECLINED, decline_reason="no_capacity")
    plant(delta, gamma, "legal_aid", n=7, status=ReferralStatus.SENT, accepted_after=None, when=_last_month())
    figures = _csv(verified_client(staff_b[Role.ORG_ADMIN]))
    assert figures["summary", "total", "sent"] == ("23", "no")
    assert figures["summary", "total", "accepted"] == ("11", "no")
    assert figures["summary", "total", "declined"] == ("5", "no")
    assert figures["summary", "total", "done"] == ("5", "no")
    assert figures["summary", "total", "median_hours_to_acceptance"] == ("2", "no")
    assert figures["by_type", "shelter", "sent"] == ("11", "no")
    assert figures["by_type", "shelter", "median_hours_to_acceptance"] == ("2", "no")
    assert figures["by_type", "legal_aid", "sent"] == ("12", "no")
    assert figures["by_type", "legal_aid", "median_hours_to_acceptance"] == ("", "yes")
    assert figures["decline_reasons", "no_capacity", "declined"] == ("5", "no")


def test_the_viewers_own_referrals_are_not_the_key_to_the_rest_of_the_network(network_orgs, staff_a, org_a, org_b):
    """A sent B six referrals; Gamma sent Delta one. The network count, 7, is not small, but
    A knows its own six: for A's administrator the 7 is hidden (7 - 6 = one referral of
    someone else). An authority of an organisation with no referrals sees the 7."""
    gamma, delta = network_orgs
    _service(org_b, "shelter")
    plant(org_a, org_b, "shelter", n=6)
    plant(gamma, delta, "shelter", n=1)
    own_admin = _csv(verified_client(staff_a[Role.ORG_ADMIN]))
    assert own_admin["summary", "total", "sent"] == ("", "yes")
    assert own_admin["by_type", "shelter", "sent"] == ("", "yes")
    assert own_admin["own_organisation", "shelter", "sent"] == ("6", "no")
    third = Organisation.objects.create(name="Epsilon", org_type=OrganisationType.NGO, country="PER")
    outsider = _csv(verified_client(make_user(third, Role.AUTHORITY)))
    assert outsider["summary", "total", "sent"] == ("7", "no")
    assert not any(key[0] == "own_organisation" for key in outsider)


def test_referrals_outside_the_twelve_complete_months_are_not_counted(network_orgs, staff_b):
    gamma, delta = network_orgs
    start, end = network.window()
    plant(gamma, delta, "shelter", n=5, when=end + datetime.timedelta(hours=1))  # this month: not yet
    plant(gamma, delta, "shelter", n=5, when=start - datetime.timedelta(hours=1))  # thirteen months ago
    plant(gamma, delta, "shelter", n=5, when=start + datetime.timedelta(hours=1))
    figures = _csv(verified_client(staff_b[Role.AUTHORITY]))
    assert figures["summary", "total", "sent"] == ("5", "no")
    assert figures["by_month", start.strftime("%Y-%m"), "sent"] == ("5", "no")
    assert len([k for k in figures if k[0] == "by_month" and k[2] == "sent"]) == network.MONTHS


def test_who_may_see_the_network_figures(staff_a, staff_b):
    for role in Role.values:
        client = verified_client(staff_a[role])
        for name in ("referral:network", "referral:network_csv"):
            response = client.get(reverse(name))
            expected = 200 if role in (Role.AUTHORITY, Role.ORG_ADMIN) else 403
            assert response.status_code == expected, (role, name, response.status_code)
    # The organisation's own figures page leads there, for those who may follow.
    network_link = reverse("referral:network").encode()
    assert network_link in verified_client(staff_a[Role.ORG_ADMIN]).get(reverse("referral:figures")).content
    assert network_link not in verified_client(staff_a[Role.CASE_WORKER]).get(reverse("referral:figures")).content


def test_the_page_in_spanish_is_light_and_has_no_third_party_host(network_orgs, staff_b):
    gamma, delta = network_orgs
    plant(gamma, delta, "shelter", n=30)
    plant(gamma, delta, "medical", n=2)
    client = verified_client(staff_b[Role.AUTHORITY])
    client.cookies["django_language"] = "es"
    page = client.get(reverse("referral:network"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == 200
    html = page.content.decode()
    assert "menos de 5" in html
    assert len(page.content) <= 100 * 1024
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.tuples(st.integers(0, 30), st.integers(0, 30)) for _ in range(2)]),
        min_size=1,
        max_size=12,
    ),
    st.integers(2, 11),
)
def test_suppression_leaves_no_small_cell_and_no_small_remainder(table, k):
    """For any table of two measures: no shown cell (network or others' part) from 1 to
    k - 1; a row is shown or hidden whole; and what the hidden rows hold together (the total
    minus the shown rows) is, in every measure, 0 or at least k referrals over two rows or
    more, others' part included, unless every non-zero row is hidden."""
    measures = ("sent", "accepted")
    rows = []
    for i, pairs in enumerate(table):
        row = network.Row(str(i), str(i))
        for m, (own, others) in zip(measures, pairs, strict=True):
            row.cells[m] = network.Cell(network=own + others, others=others)
        rows.append(row)
    network.suppress(rows, measures, k)
    for row in rows:
        assert len({row.cells[m].hidden for m in measures}) == 1
        if not row.hidden:
            for m in measures:
                assert not (0 < row.cells[m].network < k) and not (0 < row.cells[m].others < k)
    hidden = [r for r in rows if r.hidden]
    if hidden and any(not r.hidden and any(r.cells[m].network for m in measures) for r in rows):
        assert len(hidden) >= 2
        for m in measures:
            assert not (0 < sum(r.cells[m].network for r in hidden) < k)
            assert not (0 < sum(r.cells[m].others for r in hidden) < k)


def test_an_empty_network_shows_zeros_not_hidden_cells(staff_b):
    """No referral and no service type loaded yet (a new installation): zeros, nothing hidden."""
    client = verified_client(staff_b[Role.AUTHORITY])
    page = client.get(reverse("referral:network"))
    assert page.status_code == 200 and b'class="suppressed"' not in page.content
    figures = _csv(client)
    assert figures["summary", "total", "sent"] == ("0", "no")
    assert all(flag == "no" for _value, flag in figures.values() if _value != "")


def test_figures_are_counted_again_after_ten_minutes_not_on_every_request(network_orgs, staff_b):
    from django.core.cache import cache

    gamma, delta = network_orgs
    plant(gamma, delta, "shelter", n=5)
    client = verified_client(staff_b[Role.AUTHORITY])
    assert _csv(client)["summary", "total", "sent"] == ("5", "no")
    plant(gamma, delta, "shelter", n=5)
    assert _csv(client)["summary", "total", "sent"] == ("5", "no")  # kept for CACHE_SECONDS
    cache.clear()  # what the ten minutes do
    assert _csv(client)["summary", "total", "sent"] == ("10", "no")
