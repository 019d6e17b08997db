"""What each audit action code means, in words a member of staff reads in their language.

The codes stay in the chain (they are what `verify_audit` covers); pages show these labels.
tests/test_audit_log.py fails when the code records an action that has no label here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # Cases
    "case.create": _("Opened a case"),
    "case.view": _("Read a case file"),
    "case.list": _("Listed cases"),
    "case.person_update": _("Changed the person's details"),
    "case.context_update": _("Changed the victim context"),
    "case.decision_record": _("Recorded a decision on trafficking status"),
    "case.event_add": _("Added a step of the route"),
    "case.screen": _("Recorded a screening"),
    "case.screening_view": _("Read a screening"),
    "case.note_add": _("Added a note"),
    "case.attachment_add": _("Attached a file"),
    "case.attachment_view": _("Opened an attached file"),
    "case.assign": _("Assigned a case"),
    "case.close_request": _("Asked to close a case"),
    "case.close_approved": _("Approved the closure of a case"),
    "case.close_rejected": _("Did not approve the closure of a case"),
    "case.reopen": _("Reopened a case"),
    "case.service_plan": _("Planned a service"),
    "case.service_update": _("Updated a service"),
    "case.legal_assistance_add": _("Recorded legal assistance"),
    "case.proceeding_add": _("Linked a legal proceeding"),
    "case.proceeding_update": _("Updated a legal proceeding"),
    "case.consent_record": _("Recorded consent"),
    "case.consent_attach": _("Attached consent to a case"),
    "case.consent_withdraw": _("Recorded a withdrawal of consent"),
    "case.consent_override": _("Authorised a use without consent"),
    "case.break_glass": _("Opened a case in an emergency"),
    "case.duplicate_check": _("Checked for duplicates"),
    "case.duplicate_check_unseen": _("Checked for duplicates among cases they cannot open"),
    "case.duplicate_alert": _("Flagged a possible duplicate"),
    "case.duplicate_dismiss": _("Dismissed a duplicate alert"),
    "case.export_subject": _("Exported the person's data for them"),
    "case.erase": _("Erased a case at the person's request"),
    "case.summary_view": _("Read a case summary to decide on it"),
    "case.transfer_request": _("Offered a case to another organisation"),
    "case.transfer_offered": _("Received the offer of a case"),
    "case.transfer_accepted": _("Accepted the transfer of a case"),
    "case.transfer_rejected": _("Rejected the transfer of a case"),
    # Reports and signals
    "report.view": _("Opened a report"),
    "report.attachment_view": _("Opened a report's attachment"),
    "report.intake": _("Logged a signal"),
    "report.reply": _("Replied to a reporter"),
    "report.status": _("Changed the status of a signal"),
    "report.assign": _("Assigned a signal"),
    "report.urgency": _("Changed the urgency of a signal"),
    "report.release": _("Released a held signal"),
    "report.spam": _("Marked a signal as spam"),
    "report.link_case": _("Linked a signal to a case"),
    "report.unlink_case": _("Unlinked a signal from its case"),
    "report.consent": _("Recorded the reporter's consent to share"),
    "case.signal_link": _("A signal was linked to this case"),
    "report.routing_add": _("Added a routing rule"),
    "report.routing_remove": _("Removed a routing rule"),
    "report.notify_urgent": _("Sent the notice of urgent signals"),
    "report.purge": _("Purged old signals"),
    # Staff and organisation
    "staff.invite": _("Invited a staff member"),
    "staff.invite_revoke": _("Withdrew an invitation"),
    "staff.join": _("Joined the organisation"),
    "staff.update": _("Changed a staff member's role or access"),
    "staff.unlock": _("Lifted a sign-in lock"),
    "staff.password_change": _("Changed their password"),
    "staff.two_factor_setup": _("Set up their two-factor sign-in"),
    "organisation.create": _("Created the organisation"),
    "organisation.update": _("Changed the organisation's profile"),
    # Data-sharing agreements (recorded in both organisations' logs)
    "agreement.propose": _("Proposed a data-sharing agreement"),
    "agreement.accept": _("Accepted a data-sharing agreement"),
    "agreement.decline": _("Declined a data-sharing agreement"),
    "agreement.end": _("Ended a data-sharing agreement"),
    "agreement.emergency_basis": _("Recorded an emergency basis to share data without an agreement"),
    # Keys
    "keys.create": _("Created the organisation's keys"),
    "keys.grant": _("Gave colleagues access to the organisation's key"),
    "keys.revoke": _("Took back access to the organisation's key"),
    "keys.rotate": _("Rotated the organisation's key"),
    "keys.recover": _("Used the recovery key"),
    "keys.recover_failed": _("Tried a wrong recovery key"),
    "keys.staff_key_replaced": _("A colleague's key was replaced after a password reset"),
    "vault.rotate": _("Rotated the encryption keys"),
    # Service directory
    "directory.service_create": _("Published a service in the directory"),
    "directory.service_update": _("Changed a service in the directory"),
    "directory.type_add": _("Added a type of service"),
    # Shelters and beds
    "shelter.create": _("Created a shelter"),
    "shelter.update": _("Changed a shelter's beds or details"),
    "shelter.admit": _("Admitted a person to a shelter"),
    "shelter.admit_over_capacity": _("Admitted a person to a shelter over its capacity"),
    "shelter.admission_view": _("Read a shelter admission"),
    "shelter.discharge": _("Discharged a person from a shelter"),
    "case.shelter_admitted": _("The person was admitted to a shelter"),
    "shelter.waiting_add": _("Put a person on a shelter's waiting list"),
    "shelter.waiting_withdraw": _("Took a person off a shelter's waiting list"),
    # Awareness pages (amparo.findhelp)
    "awareness.create": _("Wrote an awareness page"),
    "awareness.update": _("Changed an awareness page"),
    "awareness.publish": _("Published an awareness page"),
    "awareness.unpublish": _("Took an awareness page back to draft"),
    # Referrals between organisations
    "case.refer": _("Referred the person to another organisation's service"),
    "referral.send": _("Sent a referral"),
    "referral.accept": _("Accepted a referral"),
    "referral.decline": _("Declined a referral"),
    "referral.start": _("Started work on a referral"),
    "referral.complete": _("Reported the outcome of a referral"),
    "referral.revoke": _("Revoked a referral"),
    "referral.update": _("Sent an update on a referral"),
    "referral.content_read": _("Read what was shared in a referral"),
    "referral.content_read_by_receiver": _("The receiving organisation read what was shared in a referral"),
    "referral.reply_read": _("Read the receiving organisation's note on a referral"),
    "referral.external_link": _("Created a one-time link for a service not on Amparo"),
    "referral.external_print": _("Printed a referral sheet for a service not on Amparo"),
    "referral.external_revoke": _("Revoked a one-time referral link"),
    "referral.external_opened": _("The provider opened a one-time referral link"),
    "referral.external_burnt": _("A one-time referral link was blocked after wrong passphrases"),
    "referral.overdue": _("A referral passed its answer time"),
    "referral.open_case": _("Opened a case from a referral"),
    "case.from_referral": _("Opened a case from a referral received"),
}


def action_label(code: str) -> str:
    """The label of an action code in the active language; the code itself if unknown."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
