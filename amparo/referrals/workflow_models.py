"""Referrals between organisations (issue 9, part 4; decision 0020).

A referral is a two-party row (sender, receiver), scoped by the same `TwoPartyQuerySet` as
data-sharing agreements. Only metadata is stored in clear: the two organisations, the
service, the status and its times, the field-set key, the basis and the SLA. What is shared
about the person is sealed to the receiving organisation's key pair (`sealed_content`); what
the receiver writes back for the sender (a decline or outcome note) is sealed to the
sender's key pair. The host operator, holding the database and the key file, opens neither.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.core.fields import random_primary_key
from amparo.core.permissions import Perm
from amparo.core.scoping import ScopedThroughQuerySet, TwoPartyQuerySet

#: Hours a receiver has to answer, per service type code; others get the default.
SLA_HOURS: dict[str, int] = {"shelter": 24, "medical": 24, "hotline": 24, "law_enforcement": 48}
DEFAULT_SLA_HOURS = 72


def sla_for(service_type_code: str) -> timedelta:
    return timedelta(hours=SLA_HOURS.get(service_type_code, DEFAULT_SLA_HOURS))


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent, waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    REVOKED = "revoked", _("Revoked by the sender")
    EXPIRED = "expired", _("Expired without an answer")  # computed from due_at, never stored


#: Statuses in which the receiver may still read the shared content (if nothing else cut it).
OPEN_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No capacity now")
    NOT_ELIGIBLE = "not_eligible", _("The person is not eligible for this service")
    OUT_OF_AREA = "out_of_area", _("Outside the area we cover")
    NOT_REACHABLE = "not_reachable", _("We could not reach the person")
    PERSON_DECLINED = "person_declined", _("The person did not want the service")
    OTHER = "other", _("Other reason")


class Outcome(models.TextChoices):
    SERVICE_PROVIDED = "provided", _("Service provided")
    PARTLY_PROVIDED = "partly", _("Service partly provided")
    PERSON_LEFT = "person_left", _("The person left before the end")
    REFERRED_ON = "referred_on", _("Referred on to another service")
    NOT_PROVIDED = "not_provided", _("Service not provided")


class RevokeReason(models.TextChoices):
    CONSENT_WITHDRAWN = "consent", _("The person withdrew consent")
    NO_LONGER_NEEDED = "not_needed", _("No longer needed")
    SENT_IN_ERROR = "error", _("Sent in error")
    SAFETY = "safety", _("A safety concern")
    OTHER = "other", _("Other reason")


class Basis(models.TextChoices):
    AGREEMENT = "agreement", _("Data-sharing agreement")
    EMERGENCY = "emergency", _("Emergency basis")


class LegalBasis(models.TextChoices):
    """Why a triaged signal may be passed on (decision 0034): an anonymous tip has no consenting
    person, so the sender records the ground it acts on. Blank for a referral from a case,
    which rests on the person's consent."""

    REPORTER_CONSENT = "reporter_consent", _("The reporter agreed to pass the report on")
    VITAL_INTERESTS = "vital_interests", _("Someone is in immediate danger (vital interests)")
    LEGAL_DUTY = "legal_duty", _("A legal duty to report (for example, children are involved)")
    PUBLIC_TASK = "public_task", _("Preventing and investigating trafficking (a public task)")


#: Legal bases that stand even if the reporter refused to have the report passed on.
OVERRIDING_BASES = (LegalBasis.VITAL_INTERESTS, LegalBasis.LEGAL_DUTY)


class ReferralQuerySet(TwoPartyQuerySet["Referral"]):
    def received_by(self, organisation_id: int | None) -> ReferralQuerySet:
        return self.filter(receiver_id=organisation_id)

    def sent_by(self, organisation_id: int | None) -> ReferralQuerySet:
        return self.filter(sender_id=organisation_id)

    def waiting(self) -> ReferralQuerySet:
        """Sent and not yet answered (expired ones included: they are the overdue)."""
        return self.filter(status=ReferralStatus.SENT)

    def overdue(self, now: Any = None) -> ReferralQuerySet:
        return self.filter(status=ReferralStatus.SENT, due_at__lt=now or timezone.now())

    def network_metadata(self) -> ReferralQuerySet:
        """Every organisation's referrals, for the network-level figures only (decision 0035):
        not `visible_to`. The caller selects metadata (type, month, status, times, decline
        reason, whether the viewer is a party) in grouped counts, never a row, never a
        sealed column, and suppresses small cells before anything is shown."""
        return self.order_by()


class Referral(models.Model):
    """A referral of a person from the sender's case to the receiver's service."""

    id = random_primary_key()
    sender = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("referring organisation")
    )
    receiver = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("receiving organisation")
    )
    service = models.ForeignKey("referrals.Service", on_delete=models.PROTECT, related_name="+")
    #: The service's type when sent: filters and the SLA, without a join.
    service_type_code = models.CharField(max_length=40)
    #: The sender's case (never shown to the receiver); null once the case is erased.
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: The sender's triaged signal, for a referral of a tip (decision 0034; never shown to the
    #: receiver); null for a referral from a case, and once the signal is purged.
    signal = models.ForeignKey("reports.Signal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: The ground a signal is passed on (blank for a referral from a case: the person's consent).
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices, blank=True)
    purpose = models.CharField(max_length=20, default="referral")
    field_set = models.CharField(_("field set"), max_length=32)
    field_sets_version = models.CharField(max_length=20)
    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    agreement = models.ForeignKey(
        "accounts.SharingAgreement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    emergency_basis = models.ForeignKey(
        "accounts.EmergencySharingBasis", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: The shared fields and the note, as JSON, sealed to the receiver's key pair.
    sealed_content = models.BinaryField()
    status = models.CharField(_("status"), max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    #: The receiver's free text for the sender (decline or outcome note), sealed to the sender.
    sealed_reply = models.BinaryField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=20, choices=RevokeReason.choices, blank=True)
    #: The receiver's own case opened from this referral (the receiver's record).
    receiver_case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    view_permission = Perm.REFERRAL_VIEW
    party_fields = ("sender_id", "receiver_id")
    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            # "Waiting for us": receiver + status, in due order (id breaks ties), read in index order.
            models.Index(fields=["receiver", "status", "due_at", "id"], name="referral_inbox"),
            # "Sent by us": sender, newest first (a backward scan of this index).
            models.Index(fields=["sender", "sent_at", "id"], name="referral_sent"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(sender=models.F("receiver")), name="referral_two_parties"),
            # From a case or from a signal, never both.
            models.CheckConstraint(
                condition=models.Q(signal__isnull=True) | models.Q(case__isnull=True), name="referral_one_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.receiver}"

    def current_status(self, now: Any = None) -> str:
        """The status now: a referral still waiting past its due time is expired."""
        if self.status == ReferralStatus.SENT and self.due_at < (now or timezone.now()):
            return ReferralStatus.EXPIRED
        return self.status

    def current_status_label(self) -> str:
        return str(ReferralStatus(self.current_status()).label)

    def is_overdue(self) -> bool:
        return self.current_status() == ReferralStatus.EXPIRED

    @property
    def from_signal(self) -> bool:
        """A referral of a triaged signal (it always names a legal basis), not of a case."""
        return bool(self.legal_basis)

    def other_party_id(self, organisation_id: int | None) -> int:
        return self.receiver_id if organisation_id == self.sender_id else self.sender_id  # type: ignore[return-value]


class ReferralUpdate(models.Model):
    """An update the sender appends to a referral: sealed to the receiver, with the sender's own
    copy sealed to the sender."""

    id = random_primary_key()
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="updates")
    sealed_for_receiver = models.BinaryField()
    #: The sender's copy; empty when the sender has no key pair yet (the text then stays unread).
    sealed_for_sender = models.BinaryField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    scope_through = "referral"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "id"]
