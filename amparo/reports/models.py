"""Signals: anonymous web and app reports and hotline contacts, in one model.

A submission is stored as one `Signal` row per receiving organisation, each sealed to
that organisation's key pair (amparo.core.sealing). Only coarse routing data stays in
clear: country, first-level region, exploitation type, urgency, channel, the *day* of
arrival, the triage status. There is no datetime column on any model here: a precise
time of arrival could identify a reporter.

The reporter's `Receipt` is shared by the rows of one submission: it stores a per-receipt
random salt, Argon2id(secret, salt) and the public half of a key pair derived from the
secret, so messages can be sealed to the reporter too. The secret itself is never stored.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from amparo.core.bulk import RandomIdField
from amparo.core.permissions import Perm
from amparo.core.scoping import OrgScoped, ScopedThroughQuerySet
from amparo.reports.vocabularies import Channel, ExploitationType, MessageAuthor, MessageKind, SignalStatus, Urgency

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_signal_reference() -> str:
    return "S-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class Receipt(models.Model):
    """What lets a reporter come back without an account. Holds no secret and no content."""

    id = RandomIdField()
    public_id = models.CharField(_("public id"), max_length=8, unique=True)
    salt = models.BinaryField(max_length=16)
    verifier = models.BinaryField(max_length=32)
    reporter_public_key = models.BinaryField(max_length=32)
    #: Argon2id cost the verifier was derived with (a device may derive it itself).
    kdf_opslimit = models.PositiveIntegerField(default=2)
    kdf_memlimit = models.PositiveIntegerField(default=16 * 1024 * 1024)
    #: Set when someone else (a hotline advocate) saw the secret: the reporter must change it.
    must_change = models.BooleanField(default=False)
    issued_on = models.DateField(_("issued on"))
    #: The reporter's own copy of what they reported, sealed to the reporter key (never to an
    #: organisation): the follow-up page shows it to whoever holds the receipt, and nobody else.
    sealed_report = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.public_id


class RoutingRule(OrgScoped):
    """ "We receive reports for this country, region and type": one organisation's rule.

    Blank fields match anything. A submission goes to every organisation with a matching
    active rule, or to settings.AMPARO_REPORT_DEFAULT_ORGANISATION when none matches.
    """

    view_permission = Perm.REPORT_ROUTING

    country = models.CharField(_("country"), max_length=3, blank=True)
    region = models.CharField(_("state or region"), max_length=8, blank=True)
    exploitation_type = models.CharField(
        _("type of exploitation"), max_length=32, choices=ExploitationType.choices, blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "region", "exploitation_type", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "country", "region", "exploitation_type"], name="reports_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country or '*'}/{self.region or '*'}/{self.exploitation_type or '*'}"


class Signal(OrgScoped):
    view_permission = Perm.REPORT_VIEW

    #: Random, like the other ids of what a reporter sends (amparo.core.bulk.random_id): an
    #: id never tells in what order, or between which staff actions, a report arrived.
    id = RandomIdField()

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_signal_reference)
    receipt = models.ForeignKey(
        Receipt, null=True, blank=True, on_delete=models.SET_NULL, related_name="signals", verbose_name=_("receipt")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    country = models.CharField(_("country"), max_length=3, blank=True)
    region = models.CharField(_("state or region"), max_length=8, blank=True)
    exploitation_type = models.CharField(
        _("type of exploitation"), max_length=32, choices=ExploitationType.choices, default=ExploitationType.NOT_SURE
    )
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    language = models.CharField(_("language"), max_length=8, blank=True)
    arrived_on = models.DateField(_("arrived on"))
    status = models.CharField(_("status"), max_length=16, choices=SignalStatus.choices, default=SignalStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    #: Submitted without the proof-of-work puzzle (JavaScript off): waits in the held queue.
    held = models.BooleanField(_("held"), default=False)
    consent_police = models.BooleanField(_("consent to share with police"), null=True, blank=True)
    consent_services = models.BooleanField(_("consent to share with services"), null=True, blank=True)
    #: Set once the organisation's staff were told (without content) that an urgent signal arrived.
    urgent_notified = models.BooleanField(default=False, editable=False)
    #: Keyed blind index of the normalised text: groups copy-paste spam, reveals nothing.
    fingerprint = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    #: The questionnaire as JSON, sealed to the organisation.
    sealed = models.BinaryField()
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("case")
    )

    class Meta:
        ordering = ["-arrived_on", "-id"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        indexes = [models.Index(fields=["organisation", "status", "arrived_on"], name="reports_signal_inbox")]
        constraints = [
            # "Linked to a case" names a case: the retention purge keeps exactly the linked ones.
            models.CheckConstraint(
                condition=~models.Q(status=SignalStatus.LINKED) | models.Q(case__isnull=False),
                name="reports_signal_linked_has_case",
            )
        ]

    def __str__(self) -> str:
        return self.reference


class Message(models.Model):
    """One message of the conversation between the reporter and one organisation.

    Sealed twice: to the organisation, and (when the signal has a receipt) to the
    reporter's receipt-derived key, so each side can read it and nobody else.

    The id is random, so a reporter's message cannot be placed in time between two staff
    replies (whose audit entries carry a time); `seq` keeps the order of the conversation.
    """

    id = RandomIdField()
    #: Place in this signal's conversation (1, 2, 3...), set by save() for a new message.
    seq = models.PositiveIntegerField(editable=False)
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=8, choices=MessageAuthor.choices)
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.TEXT)
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sealed_for_org = models.BinaryField()
    sealed_for_reporter = models.BinaryField(null=True, blank=True)
    sent_on = models.DateField()
    read_by_org = models.BooleanField(default=False)

    scope_through = "signal"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["signal", "seq"], name="reports_message_seq")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A new message takes the next place in its conversation; two sent at the same
        moment collide on (signal, seq) and the later one takes the place after."""
        if self.seq is not None:
            super().save(*args, **kwargs)
            return
        for attempt in range(5):
            last = Message.objects.filter(signal_id=self.signal_id).aggregate(last=models.Max("seq"))["last"]
            self.seq = (last or 0) + 1
            try:
                with transaction.atomic():
                    super().save(*args, **kwargs)
                return
            except IntegrityError:
                self.seq = None
                if attempt == 4:
                    raise


class Attachment(models.Model):
    """A cleaned file (images re-encoded without metadata), name and content sealed.

    The sealed content is in `sealed_content`, or (when attachments are kept in a storage
    backend, amparo.core.blobs) in the object `object_key` whose SHA-256 is `object_sha256`,
    and `sealed_content` is empty.
    """

    id = RandomIdField()
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    sealed_name = models.BinaryField()
    sealed_content = models.BinaryField(blank=True)
    object_key = models.CharField(max_length=64, blank=True, default="")
    object_sha256 = models.CharField(max_length=64, blank=True, default="")

    scope_through = "signal"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["id"]


class SubmissionKey(models.Model):
    """A hashed idempotency key: a retried submission with the same key is stored once.

    Kept for settings.AMPARO_IDEMPOTENCY_DAYS days (whole days: no time of day is kept).
    """

    id = RandomIdField()
    key_hash = models.CharField(max_length=64, unique=True)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_on = models.DateField()
