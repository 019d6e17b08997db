"""A role whose part of Amparo is not built yet is told what it will do, in its language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amparo.core.permissions import ROLE_PERMISSIONS, ROLES_NOT_BUILT_YET, Perm, Role
from tests.conftest import verified_client

# A phrase of each role's own description, in English and in Spanish.
ROLE_WORDS = {
    Role.ANALYST: ("anonymised and synthetic datasets", "conjuntos de datos anonimizados y sintéticos"),
    Role.PREVENTION_OFFICER: ("campaigns, trainings", "campañas, capacitaciones"),
}
NOT_BUILT = ("This part of Amparo is not built yet.", "Esta parte de Amparo todavía no está construida.")


def test_every_role_with_nothing_but_the_organisation_profile_has_a_plan():
    # The shared service directory (search, and a shelter manager's own services) is not a role's part,
    # nor are the public awareness pages a prevention officer writes (campaigns and trainings are),
    # nor are referrals received (a shelter manager's or an authority's part is still to be built),
    # nor the network-level referral figures an authority reads, nor the route aggregates an analyst
    # sees beside its statistics to come. The authority's part (route maps, hotspots, referrals
    # received) is built (issue 11): it has no plan message, its home links to the map.
    directory = {
        Perm.DIRECTORY_VIEW,
        Perm.SERVICE_MANAGE,
        Perm.AWARENESS_EDIT,
        Perm.REFERRAL_VIEW,
        Perm.REFERRAL_DECIDE,
        Perm.NETWORK_FIGURES,
        Perm.ROUTES_VIEW,
        Perm.ROUTES_EXPORT,
    }
    bare = {role for role, perms in ROLE_PERMISSIONS.items() if perms - directory <= {Perm.ORG_VIEW}}
    assert bare - {Role.AUTHORITY} == set(ROLES_NOT_BUILT_YET) == set(ROLE_WORDS)
    assert Role.AUTHORITY in bare and Perm.ROUTES_VIEW in ROLE_PERMISSIONS[Role.AUTHORITY]


@pytest.mark.parametrize("role", sorted(ROLE_WORDS))
@pytest.mark.parametrize("language", ["en", "es"])
def test_empty_role_home_says_what_the_role_will_do_and_that_it_is_not_built(staff_a, role, language):
    client = verified_client(staff_a[role])
    page = client.get(reverse("core:home"), headers={"accept-language": language})
    html = page.content.decode()
    index = 0 if language == "en" else 1
    assert page.status_code == 200
    assert ROLE_WORDS[role][index] in html
    assert NOT_BUILT[index] in html
    assert 'class="cards"' not in html  # no lone "Organisation" card


def test_roles_with_work_to_do_keep_their_sections(staff_a):
    html = verified_client(staff_a[Role.CASE_WORKER]).get(reverse("core:home")).content.decode()
    assert 'class="cards"' in html and NOT_BUILT[0] not in html


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_authoritys_home_links_to_the_route_map_and_has_no_plan_message(staff_a, language):
    page = verified_client(staff_a[Role.AUTHORITY]).get(reverse("core:home"), headers={"accept-language": language})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="cards"' in html and f'href="{reverse("routes:map")}"' in html
    assert NOT_BUILT[0 if language == "en" else 1] not in html


def test_the_analyst_keeps_its_plan_and_a_link_to_the_route_map(staff_a):
    html = verified_client(staff_a[Role.ANALYST]).get(reverse("core:home")).content.decode()
    assert NOT_BUILT[0] in html and f'href="{reverse("routes:map")}"' in html
