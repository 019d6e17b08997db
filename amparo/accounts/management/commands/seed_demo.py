"""Load clearly fictional demo data. Safe to run again: nothing is duplicated."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import Organisation, OrganisationType, User
from amparo.cases.models import Case
from amparo.cases.vocabularies import ConsentGivenBy, ConsentPurpose, LawfulBasis
from amparo.core import sealing
from amparo.core.models import OrganisationKeys
from amparo.core.permissions import Perm, Role, roles_with
from amparo.reports.models import RoutingRule

DEMO_ORGANISATIONS = [
    {
        "slug": "amanecer",
        "name": "Fundación Amanecer (demo)",
        "org_type": OrganisationType.NGO,
        "country": "MEX",
        "region": "Ciudad de México",
        "city": "Ciudad de México",
        "language": "es",
    },
    {
        "slug": "harbour",
        "name": "Harbour Light Network (demo)",
        "org_type": OrganisationType.NGO,
        "country": "GBR",
        "region": "England",
        "city": "Bristol",
        "language": "en",
    },
    {
        "slug": "unidad",
        "name": "Unidad contra la Trata, Policía (demo)",
        "org_type": OrganisationType.LAW_ENFORCEMENT,
        "country": "COL",
        "region": "Bogotá D.C.",
        "city": "Bogotá",
        "language": "es",
    },
]

DEMO_CASES = {
    "amanecer": [
        ("Ana", "Ejemplo Ficticia", "+52 55 0000 0101", "Demo: persona ficticia para probar Amparo."),
        ("Berta", "Prueba Inventada", "+52 55 0000 0102", "Demo: caso ficticio en seguimiento."),
    ],
    "harbour": [
        ("Casey", "Example-Person", "+44 117 000 0201", "Demo: a fictional person for trying Amparo."),
    ],
}


def demo_organisation_keys(org: Organisation) -> str | None:
    """Create the organisation's sealed-report keys and grant them to every demo user whose
    role reads reports, as an administrator would on the keys page. Returns the recovery key."""
    if OrganisationKeys.objects.filter(organisation=org).exists():
        return None
    from django.test import RequestFactory

    admin = User.objects.get(organisation=org, role=Role.ORG_ADMIN, is_demo=True)
    request = RequestFactory().get("/")
    request.session = {}  # type: ignore[assignment]  # a plain dict stands in for the session here
    request.user = admin
    recovery = sealing.organisation_keys_create(request, actor=admin)
    request.COOKIES[sealing.UNLOCK_COOKIE] = sealing._b64(request._amparo_unlock_key)  # type: ignore[attr-defined]
    others = User.objects.filter(organisation=org, role__in=roles_with(Perm.REPORT_VIEW)).exclude(pk=admin.pk)
    sealing.grants_issue(request, actor=admin, users=list(others))
    return recovery


def demo_cases(org: Organisation, creator: User, language: str) -> None:
    """Open the demo cases as a case worker would: consent first, then the person."""
    from amparo.cases import services as case_services

    if Case.objects.filter(organisation=org).exists():
        return
    creator.is_verified = lambda: True  # type: ignore[attr-defined]  # set by django-otp's middleware; seeding acts as a signed-in worker
    for given, family, phone, summary in DEMO_CASES.get(org_slug(org), []):
        consent = case_services.consent_record(
            actor=creator,
            given_by=ConsentGivenBy.PERSON,
            child_assent=False,
            text_language=language,
            purposes={
                ConsentPurpose.SERVICES: (LawfulBasis.CONSENT, True),
                ConsentPurpose.REFERRAL: (LawfulBasis.CONSENT, True),
            },
        )
        case_services.case_create(
            actor=creator,
            consent=consent,
            given_name=given,
            family_name=family,
            phone=phone,
            summary=summary,
            duplicates_reviewed=True,
        )


def demo_sharing_agreement() -> None:
    """One active data-sharing agreement between the first two demo organisations (referral
    and services; shelter intake and legal aid), for a year from today. Created once."""
    import datetime

    from django.utils import timezone

    from amparo.accounts.models import AgreementStatus, SharingAgreement
    from amparo.accounts.sharing import FIELD_SETS_VERSION

    first, second = (Organisation.objects.get(name=spec["name"]) for spec in DEMO_ORGANISATIONS[:2])
    if SharingAgreement.objects.filter(proposer=first, receiver=second).exists():
        return
    today = timezone.localdate()
    SharingAgreement.objects.create(
        proposer=first,
        receiver=second,
        purposes=[ConsentPurpose.REFERRAL, ConsentPurpose.SERVICES],
        field_sets=["legal_aid", "shelter_intake"],
        field_sets_version=FIELD_SETS_VERSION,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=365),
        status=AgreementStatus.ACTIVE,
        decided_at=timezone.now(),
    )


def demo_referral() -> None:
    """One referral from the first demo organisation's first case to the second's legal clinic
    (legal-aid fields, sealed to the second organisation's key), as its case worker would send
    it. Created once, and only when the case has consent to referral."""
    from amparo.cases.services.consent import consent_allows
    from amparo.referrals.models import Referral, Service
    from amparo.referrals.workflow import referral_send

    if Referral.objects.exists():  # scoping: seeding the demo, no one's data is shown
        return
    first, second = (Organisation.objects.get(name=spec["name"]) for spec in DEMO_ORGANISATIONS[:2])
    worker = User.objects.get(email=demo_email(DEMO_ORGANISATIONS[0]["slug"], Role.CASE_WORKER))
    worker.is_verified = lambda: True  # type: ignore[method-assign]  # seeding acts as a signed-in worker
    case = Case.objects.filter(organisation=first).order_by("created_at").first()  # scoping: seeding the demo
    service = Service.objects.filter(organisation=second, service_type__code="legal_aid").first()  # scoping: seeding
    if case is None or service is None or not consent_allows(case, ConsentPurpose.REFERRAL):
        return
    referral_send(
        actor=worker,
        case=case,
        service=service,
        field_set="legal_aid",
        values={
            "full_name": "Ana Ejemplo Ficticia",
            "nationality": "México",
            "languages": "Español",
            "exploitation": "Demo: explotación laboral ficticia",
            "proceedings": "Ninguno (demo)",
        },
        note="Demo: persona ficticia; llamar antes de la cita.",
    )


def demo_external_referral() -> None:
    """One one-time link from the first demo organisation's first case to the legal clinic not on
    Amparo (decision 0032), so "Sent by us" shows one. Its passphrase is not kept: the demo
    shows the status, not the opening (send a new one from the case to try /r/...)."""
    from amparo.cases.services.consent import consent_allows
    from amparo.referrals import onetime
    from amparo.referrals.models import Service
    from amparo.referrals.onetime_models import ExternalReferral

    if ExternalReferral.objects.exists():  # scoping: seeding the demo, no one's data is shown
        return
    first = Organisation.objects.get(name=DEMO_ORGANISATIONS[0]["name"])
    worker = User.objects.get(email=demo_email(DEMO_ORGANISATIONS[0]["slug"], Role.CASE_WORKER))
    worker.is_verified = lambda: True  # type: ignore[method-assign]  # seeding acts as a signed-in worker
    case = Case.objects.filter(organisation=first).order_by("created_at").first()  # scoping: seeding the demo
    service = Service.objects.filter(on_amparo=False, is_published=True).first()  # scoping: seeding the demo
    if case is None or service is None or not consent_allows(case, ConsentPurpose.REFERRAL):
        return
    onetime.link_issue(
        actor=worker,
        case=case,
        service=service,
        field_set="legal_aid",
        values={"full_name": "Ana Ejemplo Ficticia", "languages": "Español", "proceedings": "Ninguno (demo)"},
        note="Demo: persona ficticia.",
    )


#: The demo's route cases (all fictional): how many people took each route, recruitment ->
#: transit -> exploitation as (country, city). Two routes reach the threshold of 5 people; the
#: third (2 people) stays hidden on the map, as a real small count would.
DEMO_ROUTES: list[tuple[int, str, list[tuple[str, str, str]]]] = [
    (
        6,
        "sexual_exploitation",
        [
            ("recruitment", "HND", "San Pedro Sula"),
            ("transit", "GTM", "Coatepeque"),
            ("exploitation", "MEX", "Tapachula"),
        ],
    ),
    (5, "forced_labour", [("recruitment", "GTM", "Quetzaltenango"), ("exploitation", "MEX", "Ciudad de México")]),
    (2, "forced_labour", [("recruitment", "SLV", "San Miguel"), ("exploitation", "MEX", "Monterrey")]),
]


def demo_routes() -> None:
    """Route data for the authority's map (issue 11): fictional cases with trafficking events in
    the first demo organisation, which shares route aggregates (only) with the police unit under
    an agreement; then the route tables are rebuilt. Created once."""
    import datetime

    from django.utils import timezone

    from amparo.accounts.models import AgreementStatus, SharingAgreement
    from amparo.accounts.sharing import FIELD_SETS_VERSION, OrganisationPurpose
    from amparo.cases import services as case_services
    from amparo.places import gazetteer
    from amparo.routes.legs import rebuild_all

    first = Organisation.objects.get(name=DEMO_ORGANISATIONS[0]["name"])
    police = Organisation.objects.get(name=DEMO_ORGANISATIONS[2]["name"])
    if SharingAgreement.objects.filter(proposer=first, receiver=police).exists():
        return
    today = timezone.localdate()
    SharingAgreement.objects.create(
        proposer=first,
        receiver=police,
        purposes=[OrganisationPurpose.ROUTE_AGGREGATES],
        field_sets=["shelter_intake"],
        field_sets_version=FIELD_SETS_VERSION,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=365),
        status=AgreementStatus.ACTIVE,
        decided_at=timezone.now(),
    )
    worker = User.objects.get(email=demo_email(DEMO_ORGANISATIONS[0]["slug"], Role.CASE_WORKER))
    worker.is_verified = lambda: True  # type: ignore[attr-defined]  # seeding acts as a signed-in worker
    month = today.replace(day=1)
    number = 0
    for people, exploitation, stops in DEMO_ROUTES:
        for person in range(people):
            number += 1
            case = case_services.case_create(
                actor=worker,
                given_name="Demo",
                family_name=f"Ruta {number:02d}",
                gender="feminine" if person % 3 else "masculine",
                estimated_age=19 + person,
                summary="Demo: persona ficticia para el mapa de rutas.",
                duplicates_reviewed=True,
            )
            case.exploitation_types = [exploitation]
            case.save(update_fields=["exploitation_types"])
            for stage, country, city in stops:
                found = gazetteer.lookup(city, country=country)
                point = found[0] if found else None
                case_services.event_add(
                    actor=worker,
                    case=case,
                    event_type=stage,
                    month=month,
                    country=country,
                    city=city,
                    latitude=Decimal(f"{point.lat:.4f}") if point and point.lat is not None else None,
                    longitude=Decimal(f"{point.lon:.4f}") if point and point.lon is not None else None,
                )
    rebuild_all()


def org_slug(org: Organisation) -> str:
    return next(spec["slug"] for spec in DEMO_ORGANISATIONS if spec["name"] == org.name)


def demo_email(slug: str, role: str) -> str:
    return f"{role.replace('_', '-')}@{slug}.example"


#: A few directory services per demo organisation (fictional): (type, name, fields).
#: Amanecer's shelter is a confidential safe house: other organisations see only its intake contact.
DEMO_SERVICES: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "amanecer": [
        (
            "legal_aid",
            "Clínica jurídica universitaria, fuera de Amparo (demo)",
            {
                "on_amparo": False,
                "provider_name": "Universidad Ficticia (demo)",
                "countries": ",MEX,",
                "languages": ",SPA,",
                "cost": "Gratuito",
                "intake_contact": "intake@clinica.example (demo)",
            },
        ),
        (
            "shelter",
            "Casa Refugio Amanecer (demo)",
            {
                "countries": ",MEX,",
                "regions": ",MX-CMX,",
                "languages": ",SPA,",
                "genders": ",F,",
                "min_age": 18,
                "accepts_children_with_parent": True,
                "hours": "24 h",
                "cost": "Gratuito",
                "intake_contact": "+52 55 0000 0199 (24 h)",
                "address": "Calle Ficticia 1, CDMX (demo)",
                "latitude": Decimal("19.41234"),
                "longitude": Decimal("-99.16789"),
                "confidential_location": True,
            },
        ),
        (
            "psychosocial",
            "Acompañamiento psicosocial (demo)",
            {
                "countries": ",MEX,",
                "languages": ",SPA,ENG,",
                "hours": "Lunes a viernes, 9 a 18 h",
                "cost": "Gratuito",
                "intake_contact": "psico@amanecer.example",
                "address": "Av. Demo 200, CDMX",
                "latitude": Decimal("19.43260"),
                "longitude": Decimal("-99.13320"),
            },
        ),
    ],
    "harbour": [
        (
            "legal_aid",
            "Harbour Light legal clinic (demo)",
            {
                "countries": ",GBR,",
                "regions": ",GB-ENG,",
                "languages": ",ENG,POL,RON,",
                "hours": "Mon-Fri 10:00-16:00",
                "cost": "Free",
                "intake_contact": "legal@harbour.example",
                "address": "1 Demo Quay, Bristol",
                "latitude": Decimal("51.44960"),
                "longitude": Decimal("-2.58000"),
            },
        ),
        (
            "hotline",
            "Harbour Light 24h line (demo)",
            {
                "countries": ",GBR,IRL,",
                "languages": ",ENG,SPA,",
                "hours": "24/7",
                "cost": "Free",
                "intake_contact": "0800 000 0000 (demo)",
            },
        ),
    ],
    "unidad": [
        (
            "law_enforcement",
            "Denuncias de trata, Policía (demo)",
            {
                "countries": ",COL,",
                "regions": ",CO-DC,",
                "languages": ",SPA,",
                "hours": "24 h",
                "cost": "Gratuito",
                "intake_contact": "Línea 000 (demo)",
                "address": "Carrera Demo 10, Bogotá",
                "latitude": Decimal("4.60971"),
                "longitude": Decimal("-74.08175"),
            },
        ),
    ],
}


def demo_services(org: Organisation, slug: str, creator: User) -> None:
    from amparo.referrals.models import Service, ServiceType
    from amparo.referrals.services import load_global_types

    load_global_types()
    for code, name, fields in DEMO_SERVICES.get(slug, []):
        if not Service.objects.filter(organisation=org, name=name).exists():
            Service.objects.create(
                organisation=org,
                name=name,
                service_type=ServiceType.objects.get(organisation=None, code=code),
                created_by=creator,
                **fields,
            )


def demo_shelter(org: Organisation, slug: str) -> None:
    """Amanecer's safe house behind its directory entry (fictional): beds, one stay that ended,
    one person staying and one waiting, so the shelter manager's home and the occupancy
    chart show something. Created once."""
    import datetime

    from amparo.referrals.models import Service
    from amparo.shelters import services as shelters
    from amparo.shelters.models import BedType, Shelter

    service = Service.objects.filter(organisation=org, name="Casa Refugio Amanecer (demo)").first()
    if slug != "amanecer" or service is None or Shelter.objects.filter(service=service).exists():
        return
    manager = User.objects.get(email=demo_email(slug, Role.SHELTER_MANAGER))
    worker = User.objects.get(email=demo_email(slug, Role.CASE_WORKER))
    for user in (manager, worker):
        user.is_verified = lambda: True  # type: ignore[attr-defined]  # seeding acts as signed-in staff
    shelter = shelters.shelter_create(
        actor=manager,
        service=service,
        name="Casa Refugio Amanecer (demo)",
        street_address="Calle Ficticia 1, CDMX (demo)",
        coordinates="19.41234, -99.16789",
        show_free_beds=True,
        capacities={BedType.WOMEN: 8, BedType.CHILDREN: 4, BedType.FAMILIES: 2},
    )
    today = shelters.today()
    first, second = Case.objects.filter(organisation=org).order_by("reference")[:2]
    for case, days_ago, discharged_days_ago in ((first, 40, 12), (second, 9, None)):
        entry = shelters.waiting_add(
            actor=worker, shelter=shelter, case_reference=case.reference, bed_type=BedType.WOMEN, priority=2
        )
        stay = shelters.admission_create(
            actor=manager,
            shelter=shelter,
            case=case,
            bed_type=BedType.WOMEN,
            admitted_on=today - datetime.timedelta(days=days_ago),
            expected_days=60,
            entry=entry,
        )
        if discharged_days_ago is not None:
            shelters.admission_discharge(
                actor=manager,
                admission=stay,
                discharged_on=today - datetime.timedelta(days=discharged_days_ago),
                destination="family",
                reason="Demo: volvió con su familia.",
            )
    shelters.waiting_add(
        actor=worker, shelter=shelter, case_reference=first.reference, bed_type=BedType.FAMILIES, priority=1
    )


def demo_awareness_pages(org: Organisation) -> None:
    """The default awareness texts, published, for a demo organisation (shown at /help/pages/)."""
    from amparo.findhelp.defaults import DEFAULT_PAGES
    from amparo.findhelp.services import awareness_seed

    awareness_seed(organisation_id=org.pk, pages=DEFAULT_PAGES)


class Command(BaseCommand):
    help = "Create the demo organisations, one demo user per role in each, and a few fictional cases."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is only for development (DEBUG on): demo accounts cannot sign in otherwise.")
        password = settings.AMPARO_DEMO_PASSWORD
        rows = []
        recovery_keys: list[tuple[str, str]] = []
        with transaction.atomic():
            for spec in DEMO_ORGANISATIONS:
                org, _created = Organisation.objects.get_or_create(
                    name=spec["name"],
                    defaults={k: spec[k] for k in ("org_type", "country", "region", "city")},
                )
                for role in Role.values:
                    email = demo_email(spec["slug"], role)
                    user = User.objects.filter(email=email).first()
                    if user is None:
                        user = User.objects.create_user(
                            email,
                            password,
                            full_name=f"Demo {Role(role).label}",
                            organisation=org,
                            role=role,
                            language=spec["language"],
                            is_demo=True,
                        )
                    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
                    if device is None:
                        device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
                    sealing.staff_key_open(user=user, password=password)
                    rows.append((org.name, Role(role).label, email))
                recovery = demo_organisation_keys(org)
                if recovery:
                    recovery_keys.append((org.name, recovery))
                creator = User.objects.get(email=demo_email(spec["slug"], Role.CASE_WORKER))
                demo_cases(org, creator, spec["language"])
                demo_services(org, spec["slug"], User.objects.get(email=demo_email(spec["slug"], Role.ORG_ADMIN)))
                demo_shelter(org, spec["slug"])
                if spec["org_type"] == OrganisationType.NGO:
                    demo_awareness_pages(org)
                # Who receives public reports: each organisation its own country; Harbour
                # Light, as the demo's international line, everything else too.
                for country in (spec["country"], "") if spec["slug"] == "harbour" else (spec["country"],):
                    RoutingRule.objects.get_or_create(
                        organisation=org, country=country, region="", exploitation_type=""
                    )
            demo_sharing_agreement()
            demo_referral()
            demo_external_referral()
            demo_routes()
        self.stdout.write("Demo organisations and accounts (all fictional):")
        width = max(len(email) for _org, _role, email in rows)
        for org_name, role_label, email in rows:
            self.stdout.write(f"  {email.ljust(width)}  {role_label}  [{org_name}]")
        self.stdout.write(f"Demo password for every account: {password}  (accepted only while DEBUG is on)")
        for org_name, recovery in recovery_keys:
            self.stdout.write(f"Recovery key of {org_name} (demo; shown once): {recovery}")
        self.stdout.write("Two-factor code for a demo account: .venv/bin/python manage.py demo_code <e-mail>")
        self.stdout.write(
            "Operations: /health/live and /health/ready (JSON); /metrics with AMPARO_METRICS_TOKEN set, e.g. "
            "curl -H 'Authorization: Bearer <token>' http://127.0.0.1:8000/metrics"
        )
