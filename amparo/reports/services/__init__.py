"""Use cases of reporting: submit, follow up, triage, hotline intake, routing, retention.

Public use cases (`report_submit`, `followup_*`, `receipt_change`, `receipt_claim`) take no actor: the
reporter is anonymous, and they write no audit entry, because an audit entry carries a
precise time that would date the reporter's action to the second. Every staff use case
checks the permission first and writes an audit entry without any content in it.
"""

from amparo.reports.services.claim import SecretRefused, receipt_claim
from amparo.reports.services.common import (
    CapReached,
    DeviceKeys,
    PuzzleNeeded,
    ReceiptRefused,
    ReportingUnavailable,
    Throttled,
    fingerprint,
    routing_rule_create,
    routing_rule_delete,
    routing_targets,
    today,
    urgency_from,
)
from amparo.reports.services.housekeeping import (
    reporter_storage_reorder,
    signals_purge_expired,
    urgent_signals_notify,
)
from amparo.reports.services.links import (
    case_exploitation_type,
    case_signals,
    case_summary_from,
    signal_link_case,
    signal_unlink_case,
)
from amparo.reports.services.recipients import (
    Holding,
    Recipient,
    followup_holders,
    followup_report,
    recipient_names,
    report_recipients,
    signal_co_recipients,
)
from amparo.reports.services.reporter import (
    Opened,
    Submitted,
    followup_open,
    followup_reply,
    followup_thread,
    receipt_change,
    report_submit,
)
from amparo.reports.services.staff import (
    ConsentMissing,
    OpenedSignal,
    StatusNeedsCase,
    assignable_staff,
    attachment_open,
    hotline_signal_create,
    signal_consent_record,
    signal_open,
    signal_reply,
    signal_update,
    signals_mark_spam,
)

__all__ = [
    "CapReached",
    "ConsentMissing",
    "Holding",
    "Recipient",
    "StatusNeedsCase",
    "DeviceKeys",
    "Opened",
    "OpenedSignal",
    "PuzzleNeeded",
    "ReceiptRefused",
    "ReportingUnavailable",
    "SecretRefused",
    "Submitted",
    "Throttled",
    "assignable_staff",
    "case_exploitation_type",
    "case_signals",
    "case_summary_from",
    "attachment_open",
    "fingerprint",
    "followup_holders",
    "followup_open",
    "followup_report",
    "followup_reply",
    "followup_thread",
    "hotline_signal_create",
    "receipt_change",
    "reporter_storage_reorder",
    "receipt_claim",
    "recipient_names",
    "report_recipients",
    "report_submit",
    "routing_rule_create",
    "routing_rule_delete",
    "routing_targets",
    "signal_co_recipients",
    "signal_consent_record",
    "signal_link_case",
    "signal_open",
    "signal_reply",
    "signal_unlink_case",
    "signal_update",
    "signals_mark_spam",
    "signals_purge_expired",
    "today",
    "urgency_from",
    "urgent_signals_notify",
]
