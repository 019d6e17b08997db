"""A person referred by another organisation is admitted to the shelter the referral went to,
and the discharge reports the outcome back (issue 9, part 2; decision 0033): through the
routes, with refusals that change nothing, both audit trails, and the sender never seeing
where the shelter is."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import Organisation, OrganisationType
from amparo.cases.models import Case
from amparo.cases.services.consent import consent_withdraw
from amparo.core.models import AuditEntry
from amparo.core.permissions import Role
from amparo.referrals import workflow
from amparo.referrals.models import Referral
from amparo.referrals.workflow_models import ReferralStatus
from amparo.shelters import services
from amparo.shelters.models import Admission, BedType
from tests.conftest import as_verified, make_user, verified_client
from tests.referral_helpers import SHARED, agreement, planted_case, refer, shelter_of
from tests.sealing_helpers import org_with_keys, sign_in_for_real

pytestmark = pytest.mark.django_db

#: Planted in B's shelter: none of it may reach a page of organisation A.
ADDRESS = "Zzcalle del Albergue Oculto 9090"
COORDINATES = "4.711234, -74.072123"
ADDRESS_MARKERS = [ADDRESS, "Albergue Oculto", "4.711234", "74.072123", "4.71123", "74.07212"]

OPEN_CASE_BODY = {
    "explained": "on",
    "given_by": "person",
    "text_language": "es",
    "agreed_services": "on",
    "agreed_referral": "on",
    **{f"basis_{p}": "consent" for p in ("services", "referral", "law_enforcement", "research", "tracing")},
    "given_name": "Yolanda",
    "summary": "Necesita una cama",
}


def _today() -> str:
    return services.today().isoformat()


@pytest.fixture
def sent(staff_a, staff_b, org_a, org_b):
    """A's case worker refers Yolanda to B's shelter (a real shelter with an address)."""
    org_with_keys(org_a)
    org_with_keys(org_b)
    service = shelter_of(org_b, staff_b[Role.ORG_ADMIN])
    shelter = services.shelter_create(
        actor=as_verified(staff_b[Role.SHELTER_MANAGER]),
        service=service,
        name="Casa Refugio Norte",
        street_address=ADDRESS,
        coordinates=COORDINATES,
        capacities={BedType.WOMEN: 2},
    )
    agreement(org_a, org_b)
    case = planted_case(staff_a[Role.CASE_WORKER])
    assert refer(verified_client(staff_a[Role.CASE_WORKER]), case, service).status_code == 302
    return Referral.objects.get(), shelter, case


def _accept(referral, worker_b) -> None:
    client = verified_client(worker_b)
    assert client.post(reverse("referral:accept", kwargs={"pk": referral.pk})).status_code == 302


def _open_case(referral, worker_b) -> Case:
    response = verified_client(worker_b).post(reverse("referral:open_case", kwargs={"pk": referral.pk}), OPEN_CASE_BODY)
    assert response.status_code == 302, response.content[:3000]
    referral.refresh_from_db()
    return Case.objects.get(pk=referral.receiver_case_id)


@pytest.fixture
def accepted(sent, staff_b):
    referral, shelter, case = sent
    _accept(referral, staff_b[Role.CASE_WORKER])
    own = _open_case(referral, staff_b[Role.CASE_WORKER])
    referral.refresh_from_db()
    return referral, shelter, own


def _admit_path(referral) -> str:
    return reverse("shelters:referral_admit", kwargs={"pk": referral.pk})


def _actions(action: str, organisation: Organisation) -> int:
    return AuditEntry.objects.filter(action=action, organisation=organisation).count()


def test_the_shelter_manager_admits_the_referred_person_and_the_discharge_reports_the_outcome(
    accepted, staff_a, staff_b, org_a, org_b
):
    referral, shelter, own = accepted
    manager = verified_client(staff_b[Role.SHELTER_MANAGER])

    page = manager.get(reverse("referral:detail", kwargs={"pk": referral.pk}))
    assert _admit_path(referral).encode() in page.content
    form = manager.get(_admit_path(referral))
    assert form.status_code == 200
    text = form.content.decode()
    assert own.reference in text and "Alpha Refuge" in text
    # The shelter manager admits on the referral's word: no sealed field, not even the name.
    for value in (SHARED["f_immediate_needs"], SHARED["f_risk_notes"], SHARED["note"], "Yolanda"):
        assert value not in text

    done = manager.post(_admit_path(referral), {"bed_type": BedType.WOMEN, "admitted_on": _today()})
    assert done.status_code == 302
    admission = Admission.objects.get()
    assert admission.referral_id == referral.pk and admission.case_id == own.pk and admission.shelter_id == shelter.pk
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_PROGRESS
    assert _actions("referral.start", org_a) == _actions("referral.start", org_b) == 1
    assert _actions("shelter.admit_from_referral", org_b) == 1 and _actions("shelter.admit_from_referral", org_a) == 0
    # A second admission from the same referral is refused with a message.
    again = manager.post(_admit_path(referral), {"bed_type": BedType.WOMEN, "admitted_on": _today()}, follow=True)
    assert "already admitted" in html.unescape(again.content.decode()) and Admission.objects.count() == 1

    stay = manager.get(reverse("shelters:admission_detail", kwargs={"pk": admission.pk}))
    assert b"note_for_sender" in stay.content and b"Alpha Refuge" in stay.content
    out = manager.post(
        reverse("shelters:admission_discharge", kwargs={"pk": admission.pk}),
        {
            "discharged_on": _today(),
            "destination": "shelter",
            "reason": "Zzmotivo interno del egreso",
            "note_for_sender": "Trasladada a un albergue especializado",
        },
        follow=True,
    )
    assert "Referred on to another service" in out.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DONE and referral.outcome == "referred_on"
    assert _actions("referral.complete", org_a) == _actions("referral.complete", org_b) == 1

    # A sees the outcome and the note, never B's discharge reason.
    sender = sign_in_for_real(staff_a[Role.CASE_WORKER]).get(reverse("referral:detail", kwargs={"pk": referral.pk}))
    body = sender.content.decode()
    assert "Referred on to another service" in body and "Trasladada a un albergue especializado" in body
    assert "Zzmotivo interno" not in body


@pytest.mark.parametrize(
    ("destination", "outcome"),
    [("family", "provided"), ("return", "provided"), ("left", "person_left"), ("hospital", "partly")],
)
def test_the_outcome_reported_follows_the_destination(accepted, staff_b, destination, outcome):
    referral, _shelter, _own = accepted
    manager = as_verified(staff_b[Role.SHELTER_MANAGER])
    admission = services.admission_from_referral(
        actor=manager, referral=referral, bed_type=BedType.WOMEN, admitted_on=services.today()
    )
    services.admission_discharge(
        actor=manager, admission=admission, discharged_on=services.today(), destination=destination, reason="r"
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DONE and referral.outcome == outcome


def _revoke(referral, staff_a) -> None:
    workflow.referral_revoke(actor=as_verified(staff_a[Role.CASE_WORKER]), referral=referral, reason="error")


def _withdraw(referral, staff_a) -> None:
    consent_withdraw(actor=as_verified(staff_a[Role.CASE_WORKER]), case=referral.case, purpose="referral")


def _end_agreement(referral, staff_a) -> None:
    referral.agreement.status = "ended"
    referral.agreement.save(update_fields=["status"])


@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (_revoke, "The referring organisation revoked this referral."),
        (_withdraw, "The person's consent to referral is no longer in force."),
        (_end_agreement, "The data-sharing agreement this referral rested on has ended."),
    ],
)
def test_admission_from_a_revoked_or_cut_referral_is_refused_with_a_message_and_changes_nothing(
    accepted, staff_a, staff_b, cut, message
):
    referral, _shelter, _own = accepted
    cut(referral, staff_a)
    manager = verified_client(staff_b[Role.SHELTER_MANAGER])
    before = (referral.__class__.objects.get(pk=referral.pk).status, AuditEntry.objects.count())
    for response in (
        manager.get(_admit_path(referral), follow=True),
        manager.post(_admit_path(referral), {"bed_type": BedType.WOMEN, "admitted_on": _today()}, follow=True),
    ):
        assert response.status_code == 200
        assert message in html.unescape(response.content.decode())
    assert not Admission.objects.exists()
    assert (referral.__class__.objects.get(pk=referral.pk).status, AuditEntry.objects.count()) == before
    with pytest.raises(ValidationError):
        services.admission_from_referral(
            actor=as_verified(staff_b[Role.SHELTER_MANAGER]),
            referral=Referral.objects.get(pk=referral.pk),
            bed_type=BedType.WOMEN,
            admitted_on=services.today(),
        )


def test_admission_from_an_expired_or_unanswered_referral_or_before_a_case_is_opened_is_refused(sent, staff_b):
    referral, _shelter, _case = sent
    manager = verified_client(staff_b[Role.SHELTER_MANAGER])
    body = {"bed_type": BedType.WOMEN, "admitted_on": _today()}
    waiting = manager.post(_admit_path(referral), body, follow=True)
    assert "Accept the referral before admitting the person." in html.unescape(waiting.content.decode())
    Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    expired = manager.post(_admit_path(referral), body, follow=True)
    assert "This referral expired without an answer." in html.unescape(expired.content.decode())
    Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() + datetime.timedelta(hours=1))
    _accept(referral, staff_b[Role.CASE_WORKER])
    no_case = manager.post(_admit_path(referral), body, follow=True)
    assert "opens a case from this referral first" in html.unescape(no_case.content.decode())
    assert not Admission.objects.exists()


def test_a_referral_to_another_organisations_shelter_admits_nothing(accepted, staff_a, staff_b, org_a):
    """A's shelter manager cannot reach B's referral (the 404 of a missing one), and B's
    referral cannot be used to admit into a shelter it was not sent to."""
    referral, shelter, own = accepted
    outsider = verified_client(staff_a[Role.SHELTER_MANAGER])
    other = outsider.get(_admit_path(referral))
    missing = outsider.get(reverse("shelters:referral_admit", kwargs={"pk": 2**31 - 1}))
    assert other.status_code == missing.status_code == 404
    assert outsider.post(_admit_path(referral), {"bed_type": "women", "admitted_on": _today()}).status_code == 404
    # A's own shelter, with B's referral: refused by the service too.
    from tests.test_shelters import shelter_of as own_shelter_of

    a_shelter = own_shelter_of(staff_a, name="Casa Alfa")
    a_case = Case.objects.create(organisation=org_a, person_name="Zz Alfa", created_by=staff_a[Role.CASE_WORKER])
    with pytest.raises(PermissionDenied):
        services.admission_create(
            actor=as_verified(staff_a[Role.SHELTER_MANAGER]),
            shelter=a_shelter,
            case=a_case,
            bed_type=BedType.WOMEN,
            admitted_on=services.today(),
            referral=referral,
        )
    # B's second shelter, not the one the referral went to: refused with a message.
    second = services.shelter_create(
        actor=as_verified(staff_b[Role.SHELTER_MANAGER]),
        service=shelter_of(staff_b[Role.ORG_ADMIN].organisation, staff_b[Role.ORG_ADMIN]),
        name="Casa Segunda",
        capacities={BedType.WOMEN: 1},
    )
    with pytest.raises(ValidationError, match="not to one of your organisation's shelters"):
        services.admission_create(
            actor=as_verified(staff_b[Role.SHELTER_MANAGER]),
            shelter=second,
            case=own,
            bed_type=BedType.WOMEN,
            admitted_on=services.today(),
            referral=referral,
        )
    assert not Admission.objects.exists() and shelter.pk != second.pk


def test_a_case_worker_without_shelter_admit_cannot_admit_from_a_referral(accepted, staff_b):
    referral, _shelter, _own = accepted
    worker = verified_client(staff_b[Role.CASE_WORKER])
    assert worker.get(_admit_path(referral)).status_code == 403
    page = worker.get(reverse("referral:detail", kwargs={"pk": referral.pk}))
    assert _admit_path(referral).encode() not in page.content


def test_the_senders_pages_never_show_the_shelters_address(accepted, staff_a, staff_b, org_a):
    referral, shelter, _own = accepted
    manager = as_verified(staff_b[Role.SHELTER_MANAGER])
    admission = services.admission_from_referral(
        actor=manager, referral=referral, bed_type=BedType.WOMEN, admitted_on=services.today()
    )
    # B's own manager sees the address on the shelter's page: the marker is really there.
    assert (
        ADDRESS
        in verified_client(staff_b[Role.SHELTER_MANAGER])
        .get(reverse("shelters:shelter_update", kwargs={"pk": shelter.pk}))
        .content.decode()
    )
    seen_in_progress = _sender_pages(referral, staff_a)
    services.admission_discharge(
        actor=manager,
        admission=admission,
        discharged_on=services.today(),
        destination="family",
        reason=f"Salió de {ADDRESS}",
        note_for_sender="Volvió con su familia",
    )
    seen_done = _sender_pages(referral, staff_a)
    assert "Volvió con su familia" in seen_done
    leaked = [m for m in ADDRESS_MARKERS if m in seen_in_progress + seen_done]
    assert not leaked, leaked


def _sender_pages(referral, staff_a) -> str:
    out = ""
    for role in Role.values:
        user = staff_a[role]
        client = sign_in_for_real(user) if role == Role.CASE_WORKER else verified_client(user)
        paths = [
            reverse("core:home"),
            reverse("referral:sent"),
            reverse("referral:detail", kwargs={"pk": referral.pk}),
            reverse("referrals:directory") + "?type=shelter",
            reverse("referrals:service_detail", kwargs={"pk": referral.service_id}),
            reverse("api:referral_detail", kwargs={"pk": referral.pk}),
            reverse("api:referral_list") + "?box=sent",
            reverse("cases:case_detail", kwargs={"reference": referral.case.reference}),
        ]
        for path in paths:
            response = client.get(path)
            assert response.status_code in (200, 403, 404), (role, path, response.status_code)
            out += html.unescape(response.content.decode())
    return out


def test_a_third_organisation_sees_nothing_of_the_stay(accepted, staff_b):
    referral, _shelter, _own = accepted
    services.admission_from_referral(
        actor=as_verified(staff_b[Role.SHELTER_MANAGER]),
        referral=referral,
        bed_type=BedType.WOMEN,
        admitted_on=services.today(),
    )
    gamma = Organisation.objects.create(name="Gamma Watch", org_type=OrganisationType.NGO, country="PER")
    for role in (Role.SHELTER_MANAGER, Role.CASE_WORKER, Role.ORG_ADMIN):
        client = verified_client(make_user(gamma, role))
        assert client.get(reverse("referral:detail", kwargs={"pk": referral.pk})).status_code == 404
        assert client.get(_admit_path(referral)).status_code in (403, 404)
        stay = Admission.objects.get()
        assert client.get(reverse("shelters:admission_detail", kwargs={"pk": stay.pk})).status_code in (403, 404)


def test_the_new_pages_weigh_under_100_kb_and_load_nothing_from_another_host(accepted, staff_b):
    referral, shelter, _own = accepted
    client = verified_client(staff_b[Role.SHELTER_MANAGER])

    def weigh(path: str) -> None:
        for language in ("en", "es"):
            response = client.get(path, headers={"accept-language": language})
            assert response.status_code == 200, path
            assert len(response.content) <= 100 * 1024, (path, language, len(response.content))
            text = response.content.decode()
            assert not re.search(r'(?:src|href)="(?:https?:)?//', text), path
            assert "<script>" not in text and " style=" not in text, path

    weigh(_admit_path(referral))
    weigh(reverse("shelters:shelter_detail", args=[shelter.pk]))  # with its "referred" table
    weigh(reverse("referral:detail", kwargs={"pk": referral.pk}))
    admission = services.admission_from_referral(
        actor=as_verified(staff_b[Role.SHELTER_MANAGER]),
        referral=referral,
        bed_type=BedType.WOMEN,
        admitted_on=services.today(),
    )
    weigh(reverse("shelters:admission_detail", args=[admission.pk]))
    weigh(reverse("referral:detail", kwargs={"pk": referral.pk}))
