"""Roles and what each may do: the one place the mapping lives, read by `can()`.

Every check in views, API, commands and templates goes through `can(user, perm)`.
The mapping is data (a dict of frozensets) so the permission-matrix test and the
documentation can be generated from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from amparo.accounts.models import User


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation administrator")
    CASE_WORKER = "case_worker", _("Case worker")
    HOTLINE_ADVOCATE = "hotline_advocate", _("Hotline advocate")
    SHELTER_MANAGER = "shelter_manager", _("Shelter manager")
    LEGAL_ADVISER = "legal_adviser", _("Legal adviser")
    ANALYST = "analyst", _("Analyst")
    AUTHORITY = "authority", _("Authority (police, labour inspector, prosecutor)")
    PREVENTION_OFFICER = "prevention_officer", _("Prevention and advocacy officer")


class Perm(models.TextChoices):
    ORG_VIEW = "org.view", _("See the organisation's profile")
    ORG_EDIT = "org.edit", _("Edit the organisation's profile")
    STAFF_VIEW = "staff.view", _("See the organisation's staff")
    STAFF_MANAGE = "staff.manage", _("Invite staff and change their roles")
    AUDIT_VIEW = "audit.view", _("Read the organisation's audit log")
    CASE_VIEW = "case.view", _("Read case files")
    CASE_EDIT = "case.edit", _("Create and change case files")
    REPORT_VIEW = "report.view", _("Open sealed reports and signals")
    REPORT_TRIAGE = "report.triage", _("Triage signals: reply, assign, change status, mark spam")
    REPORT_INTAKE = "report.intake", _("Log hotline calls, texts, chats and walk-ins as signals")
    REPORT_ROUTING = "report.routing", _("Choose which reports the organisation receives")
    CASE_NOTE = "case.note", _("Add notes to case files")
    CASE_CLOSE_APPROVE = "case.close_approve", _("Approve or reject the closure of case files")
    CASE_BREAK_GLASS = "case.break_glass", _("Open one case file in an emergency, giving a reason")
    CASE_CONSENT_OVERRIDE = "case.consent_override", _("Authorise a use of case data without consent, giving a reason")
    CASE_LEGAL = "case.legal", _("Record legal assistance and proceedings in case files")
    CASE_ERASE = "case.erase", _("Erase a case file at the person's request")
    CASE_TRANSFER_DECIDE = "case.transfer_decide", _("Accept or reject case files transferred to the organisation")
    AGREEMENT_VIEW = "agreement.view", _("See the organisation's data-sharing agreements")
    AGREEMENT_MANAGE = (
        "agreement.manage",
        _("Propose, accept, decline and end data-sharing agreements, and record emergency sharing"),
    )
    DIRECTORY_VIEW = "directory.view", _("Search the service directory of all organisations")
    SERVICE_MANAGE = "service.manage", _("Publish and edit the organisation's services in the directory")
    SERVICE_EXTERNAL = "service.external", _("Enter services of providers that are not on Amparo")
    SHELTER_VIEW = "shelter.view", _("See the organisation's shelters, their occupancy and waiting lists")
    SHELTER_MANAGE = "shelter.manage", _("Create shelters and set their beds, address and what other organisations see")
    SHELTER_ADMIT = "shelter.admit", _("Admit people to shelters, discharge them and manage waiting lists")
    SHELTER_WAITLIST = "shelter.waitlist", _("Put people on a shelter's waiting list")
    AWARENESS_EDIT = "awareness.edit", _("Write and publish the organisation's public awareness pages")
    REFERRAL_VIEW = "referral.view", _("See the referrals the organisation sent and received")
    REFERRAL_SEND = "referral.send", _("Refer people from case files to other organisations' services")
    REFERRAL_DECIDE = "referral.decide", _("Accept, decline and report the outcome of referrals received")
    REFERRAL_SEND_SIGNAL = (
        "referral.send_signal",
        _("Refer triaged signals (anonymous tips) to other organisations' services and authorities"),
    )
    NETWORK_FIGURES = (
        "network.figures",
        _("See referral figures across all organisations, in aggregate with small counts hidden"),
    )
    ROUTES_VIEW = "routes.view", _("See trafficking routes and hotspots, in aggregate with small counts hidden")
    ROUTES_EXPORT = "routes.export", _("Export route aggregates (CSV, GeoJSON, KML), small counts hidden")
    PLACE_CONFIRM = (
        "place.confirm",
        _("Confirm, correct or reject the places suggested from reports, signals and case files"),
    )


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset(
        {
            Perm.ORG_VIEW,
            Perm.ORG_EDIT,
            Perm.STAFF_VIEW,
            Perm.STAFF_MANAGE,
            Perm.AUDIT_VIEW,
            Perm.REPORT_VIEW,
            Perm.REPORT_ROUTING,
            Perm.CASE_CLOSE_APPROVE,
            Perm.CASE_BREAK_GLASS,
            Perm.CASE_ERASE,
            Perm.CASE_TRANSFER_DECIDE,
            Perm.AGREEMENT_VIEW,
            Perm.AGREEMENT_MANAGE,
            Perm.SERVICE_MANAGE,
            Perm.SERVICE_EXTERNAL,
            Perm.SHELTER_VIEW,
            Perm.SHELTER_MANAGE,
            Perm.AWARENESS_EDIT,
        }
    ),
    Role.CASE_WORKER: frozenset(
        {Perm.ORG_VIEW, Perm.CASE_VIEW, Perm.CASE_EDIT, Perm.REPORT_VIEW, Perm.REPORT_TRIAGE, Perm.REPORT_INTAKE}
        | {Perm.CASE_NOTE, Perm.CASE_LEGAL, Perm.AGREEMENT_VIEW}
        | {Perm.SHELTER_VIEW, Perm.SHELTER_WAITLIST}
    ),
    Role.HOTLINE_ADVOCATE: frozenset({Perm.ORG_VIEW, Perm.REPORT_VIEW, Perm.REPORT_TRIAGE, Perm.REPORT_INTAKE})
    | {Perm.CASE_BREAK_GLASS},
    Role.SHELTER_MANAGER: frozenset({Perm.ORG_VIEW, Perm.SERVICE_MANAGE})
    | {Perm.SHELTER_VIEW, Perm.SHELTER_MANAGE, Perm.SHELTER_ADMIT, Perm.SHELTER_WAITLIST},
    Role.LEGAL_ADVISER: frozenset({Perm.ORG_VIEW, Perm.CASE_VIEW, Perm.CASE_NOTE, Perm.CASE_CONSENT_OVERRIDE})
    | {Perm.CASE_LEGAL},
    Role.ANALYST: frozenset({Perm.ORG_VIEW}),
    Role.AUTHORITY: frozenset({Perm.ORG_VIEW}),
    Role.PREVENTION_OFFICER: frozenset({Perm.ORG_VIEW, Perm.AWARENESS_EDIT}),
}

# The service directory is shared: every staff role may search it (decision 0018).
ROLE_PERMISSIONS = {role: perms | {Perm.DIRECTORY_VIEW} for role, perms in ROLE_PERMISSIONS.items()}

# Referrals between organisations (decision 0020): case workers send and decide; shelter
# managers and authorities (for their law-enforcement services) decide; administrators see.
# Case workers (who triage signals too) refer a triaged signal on a legal basis (decision 0034).
_REFERRALS: dict[str, set[str]] = {
    Role.CASE_WORKER: {Perm.REFERRAL_VIEW, Perm.REFERRAL_SEND, Perm.REFERRAL_DECIDE, Perm.REFERRAL_SEND_SIGNAL},
    Role.SHELTER_MANAGER: {Perm.REFERRAL_VIEW, Perm.REFERRAL_DECIDE},
    Role.AUTHORITY: {Perm.REFERRAL_VIEW, Perm.REFERRAL_DECIDE},
    Role.ORG_ADMIN: {Perm.REFERRAL_VIEW},
}
ROLE_PERMISSIONS = {role: perms | _REFERRALS.get(role, set()) for role, perms in ROLE_PERMISSIONS.items()}

# Network-level referral figures, in aggregate only (decision 0035): the roles that coordinate
# or take part in a national referral mechanism as a whole (an authority, an organisation's
# administrator), not those who work with people's files day to day.
_NETWORK: dict[str, set[str]] = {Role.AUTHORITY: {Perm.NETWORK_FIGURES}, Role.ORG_ADMIN: {Perm.NETWORK_FIGURES}}
ROLE_PERMISSIONS = {role: perms | _NETWORK.get(role, set()) for role, perms in ROLE_PERMISSIONS.items()}

# Route aggregates (decision 0043): flows and hotspots counted in people, small cells hidden,
# over the organisation's own data and that of organisations sharing route aggregates with it.
_ROUTES: set[str] = {Perm.ROUTES_VIEW, Perm.ROUTES_EXPORT}
ROLE_PERMISSIONS = {
    role: perms | (_ROUTES if role in (Role.AUTHORITY, Role.ORG_ADMIN, Role.ANALYST) else set())
    for role, perms in ROLE_PERMISSIONS.items()
}
# Places named in reports, signals and case files (decision 0041): the roles that already read
# those sources confirm or correct the suggested places, or reject them; only confirmed places
# feed route maps.
_PLACES: dict[str, set[str]] = {
    Role.CASE_WORKER: {Perm.PLACE_CONFIRM},
    Role.HOTLINE_ADVOCATE: {Perm.PLACE_CONFIRM},
    Role.ORG_ADMIN: {Perm.PLACE_CONFIRM},
}
ROLE_PERMISSIONS = {role: perms | _PLACES.get(role, set()) for role, perms in ROLE_PERMISSIONS.items()}


#: Roles whose part of Amparo is not built yet: what the role will do (docs/mission.md,
#: "Who uses it"). Their home page says so instead of showing an almost empty menu.
ROLES_NOT_BUILT_YET: dict[str, Any] = {
    Role.ANALYST: _(
        "As an analyst you will work with statistics and dashboards in Amparo, and prepare "
        "anonymised and synthetic datasets (compatible with CTDC), never files that identify a person."
    ),
    Role.PREVENTION_OFFICER: _(
        "As a prevention and advocacy officer you will record in Amparo campaigns, trainings, "
        "workshops, public talks and marches, and follow bills, laws, councils, forums and working groups."
    ),
}


def permissions_of(user: User | Any) -> frozenset[str]:
    """Return the permissions the user holds now, or none.

    Refuses (returns the empty set) for anonymous users, inactive users, users
    without an organisation and users who have not passed two-factor verification
    in this session: nothing about people is reachable before that.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if not getattr(user, "organisation_id", None):
        return frozenset()
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None or not is_verified():
        return frozenset()
    return ROLE_PERMISSIONS.get(user.role, frozenset())


def can(user: User | Any, perm: str) -> bool:
    """True only if the user's role grants `perm` and the session is two-factor verified."""
    return perm in permissions_of(user)


def least_privileged_role() -> str:
    """The role granting the fewest permissions (the first such role in `Role`'s order):
    what a form offers until someone chooses a role on purpose."""
    return min(Role.values, key=lambda role: len(ROLE_PERMISSIONS.get(role, frozenset())))


def roles_with(perm: str) -> set[str]:
    """The roles whose permissions include `perm`."""
    return {role for role, perms in ROLE_PERMISSIONS.items() if perm in perms}
