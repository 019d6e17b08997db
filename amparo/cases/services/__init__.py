"""Use cases for case files. Each checks permission first and writes the audit entry inside
its transaction. Audit reasons carry codes only, never what identifies a person.

By area: `registration` (opening, search, duplicates), `consent`, `victim_context`
(context, decisions, route, screening), `support` (the support plan), `legal`, `team`
(notes, attachments, assignment, closure, reopening, transfers), `access` (reading a case,
break the glass), `rights` (the survivor's export and erasure), `decisions` (what an administrator sees
before deciding, and the case worker's notice of the decision); `common` holds the
permission check they share.
"""

from amparo.cases.services.access import (
    break_glass_open,
    case_read,
    emergency_notices,
)
from amparo.cases.services.consent import (
    CONSENT_OVERRIDE_HOURS,
    consent_allows,
    consent_override,
    consent_record,
    consent_withdraw,
)
from amparo.cases.services.decisions import (
    decision_summary,
    notify_decision,
)
from amparo.cases.services.legal import (
    PROCEEDING_FIELDS,
    legal_assistance_add,
    proceeding_add,
    proceeding_update,
)
from amparo.cases.services.registration import (
    PERSON_FIELDS,
    case_create,
    case_search,
    case_update_person,
    duplicate_dismiss,
    likely_duplicates,
    unseen_duplicates,
)
from amparo.cases.services.rights import (
    CODE_LISTS,
    ERASURE_KEEPS,
    EXPORT_LANGUAGES,
    EXPORT_SECTIONS,
    case_erase,
    case_export_subject,
    case_for_erasure,
)
from amparo.cases.services.support import (
    FOLLOW_UP_SERVICES,
    overdue_services,
    service_plan,
    service_update,
)
from amparo.cases.services.team import (
    assignable_legal_advisers,
    assignable_staff,
    attachment_add,
    attachment_content,
    attachment_read,
    case_assign,
    case_reopen,
    closure_decide,
    closure_request,
    note_add,
    transfer_decide,
    transfer_destinations,
    transfer_request,
)
from amparo.cases.services.victim_context import (
    CONTEXT_FIELDS,
    case_update_context,
    decision_record,
    event_add,
    screening_read,
    screening_record,
)

__all__ = [
    "CODE_LISTS",
    "CONSENT_OVERRIDE_HOURS",
    "CONTEXT_FIELDS",
    "ERASURE_KEEPS",
    "EXPORT_LANGUAGES",
    "EXPORT_SECTIONS",
    "FOLLOW_UP_SERVICES",
    "PERSON_FIELDS",
    "PROCEEDING_FIELDS",
    "assignable_legal_advisers",
    "assignable_staff",
    "attachment_add",
    "attachment_content",
    "attachment_read",
    "break_glass_open",
    "case_assign",
    "case_create",
    "case_erase",
    "case_export_subject",
    "case_for_erasure",
    "case_read",
    "case_reopen",
    "case_search",
    "case_update_context",
    "case_update_person",
    "closure_decide",
    "closure_request",
    "consent_allows",
    "consent_override",
    "consent_record",
    "consent_withdraw",
    "decision_record",
    "decision_summary",
    "duplicate_dismiss",
    "emergency_notices",
    "event_add",
    "legal_assistance_add",
    "likely_duplicates",
    "note_add",
    "notify_decision",
    "overdue_services",
    "proceeding_add",
    "proceeding_update",
    "screening_read",
    "screening_record",
    "service_plan",
    "service_update",
    "transfer_decide",
    "transfer_destinations",
    "transfer_request",
    "unseen_duplicates",
]
