"""Case files with the HTCDS 2.0 person and victim context.

Identifying fields (names, contacts, address, document number, date of birth, narratives,
notes) are vault-encrypted; phones, the document number and the date of birth also keep a
blind index for exact-match search, and each word of the name keeps the blind index of its
phonetic key (`NameKey`). Categorical HTCDS fields stay in clear so exports are queries.

Rows are read through `Case.objects.visible_to(user)`; child rows (decisions, events,
notes, screenings) through their visible case.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import CaseAccess, validate_country
from amparo.cases.vocabularies import (
    AgeBand,
    ClosureReason,
    ConsentGivenBy,
    ConsentPurpose,
    DecidingOrganisationType,
    DocumentType,
    ErasureReason,
    EventType,
    ExploitationType,
    Gender,
    IsicSection,
    LawfulBasis,
    LegalAssistanceType,
    MaritalStatus,
    MeansOfControl,
    PerpetratorRole,
    ProceedingKind,
    ProceedingOutcome,
    ProceedingRole,
    ProceedingStage,
    RecruitmentMethod,
    RelationshipToTrafficker,
    ServiceStatus,
    ServiceType,
    SexualExploitationType,
    SupportPlanType,
    TraffickingStatus,
    validate_codes,
    validate_country_codes,
    validate_language,
)
from amparo.core.fields import (
    EncryptedTextField,
    index_for,
    latitude_field,
    longitude_field,
    random_primary_key,
    row_context,
)
from amparo.core.permissions import Perm, can
from amparo.core.scoping import OrgScoped, OrgScopedQuerySet, ScopedThroughQuerySet

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
USER = settings.AUTH_USER_MODEL


def new_reference() -> str:
    return "C-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def not_in_future(value: datetime.date) -> None:
    if value > timezone.localdate():
        raise ValidationError(_("The date cannot be in the future."), code="future")


class CaseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FOLLOW_UP = "follow_up", _("Follow up")
    CLOSED = "closed", _("Closed")
    CLOSED_REFERRED = "closed_referred", _("Closed and referred")


OPEN_STATUSES = (CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)


class CaseQuerySet(OrgScopedQuerySet["Case"]):
    def visible_to(self, user: Any) -> CaseQuerySet:
        """For those with case.view: the organisation's cases when it chose team access;
        when it chose assigned staff only (Organisation.case_access), the cases assigned to
        the user (as case worker or legal adviser) and, for those who edit cases, the cases
        without an active case worker. Otherwise only the cases the user opened with an
        unexpired emergency access (break the glass); otherwise none."""
        if can(user, Perm.CASE_VIEW):
            mine = (
                Q(organisation__case_access=CaseAccess.TEAM) | Q(assigned_to_id=user.pk) | Q(legal_adviser_id=user.pk)
            )
            if can(user, Perm.CASE_EDIT):
                mine |= Q(assigned_to__isnull=True) | Q(assigned_to__is_active=False)
            return super().visible_to(user).filter(mine)  # type: ignore[return-value]
        if can(user, Perm.CASE_BREAK_GLASS):
            granted = BreakGlassAccess.objects.filter(
                case=OuterRef("pk"), user_id=user.pk, expires_at__gt=timezone.now()
            )
            return self.filter(Exists(granted), organisation_id=user.organisation_id)
        return self.none()

    def assigned_to_user(self, user: Any) -> CaseQuerySet:
        """The cases `user` is assigned to, as case worker or legal adviser (after visible_to)."""
        return self.filter(Q(assigned_to_id=user.pk) | Q(legal_adviser_id=user.pk))

    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def consenting_to(self, purpose: str) -> CaseQuerySet:
        """Cases whose data may be used for `purpose`: the same rule as services.consent_allows."""
        latest = ConsentGrant.objects.filter(consent__case=OuterRef("pk"), purpose=purpose).order_by(
            "-consent__recorded_at", "-consent_id"
        )
        override = ConsentOverride.objects.filter(case=OuterRef("pk"), purpose=purpose, expires_at__gt=timezone.now())
        return self.annotate(
            _consent_ok=Subquery(latest.values("effective")[:1]),
            _consent_withdrawn=Subquery(latest.values("withdrawn_at")[:1]),
        ).filter(Q(_consent_ok=True, _consent_withdrawn__isnull=True) | Q(Exists(override)))


class Case(OrgScoped):
    view_permission = Perm.CASE_VIEW

    id = random_primary_key()
    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACTIVE)
    # Person (HTCDS): identifying fields encrypted.
    person_name = EncryptedTextField(_("name of the person"))
    given_name = EncryptedTextField(_("given name"), blank=True)
    family_name = EncryptedTextField(_("family name"), blank=True)
    other_names = EncryptedTextField(_("other names"), blank=True, help_text=_("Nicknames and names used before."))
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    other_phone = EncryptedTextField(_("other phone"), blank=True)
    other_phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    email = EncryptedTextField(_("e-mail"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    document_type = models.CharField(_("identity document"), max_length=20, choices=DocumentType.choices, blank=True)
    document_number = EncryptedTextField(_("document number"), blank=True)
    document_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    birth_date = EncryptedTextField(_("date of birth"), blank=True, help_text=_("Stored as YYYY-MM-DD."))
    birth_date_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    age_band = models.CharField(_("age group at registration"), max_length=8, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=24, choices=Gender.choices, blank=True)
    citizenship = models.JSONField(_("citizenship"), default=list, blank=True, validators=[validate_country_codes])
    primary_language = models.CharField(_("primary language"), max_length=3, blank=True, validators=[validate_language])
    marital_status = models.CharField(_("marital status"), max_length=16, choices=MaritalStatus.choices, blank=True)
    number_of_children = models.PositiveSmallIntegerField(
        _("number of children"), null=True, blank=True, validators=[MaxValueValidator(30)]
    )
    summary = EncryptedTextField(_("summary"), blank=True)
    # Victim context (HTCDS). The status is the latest human decision (TraffickingStatusDecision).
    trafficking_status = models.CharField(
        _("trafficking status"), max_length=16, choices=TraffickingStatus.choices, blank=True, editable=False
    )
    relationship_to_trafficker = models.CharField(
        _("relationship to the trafficker"), max_length=16, choices=RelationshipToTrafficker.choices, blank=True
    )
    age_when_trafficked = models.PositiveSmallIntegerField(
        _("age when trafficked"), null=True, blank=True, validators=[MaxValueValidator(110)]
    )
    recruitment_method = models.CharField(
        _("method of recruitment"), max_length=32, choices=RecruitmentMethod.choices, blank=True
    )
    means_of_control = models.JSONField(
        _("means of control"), default=list, blank=True, validators=[validate_codes(MeansOfControl)]
    )
    exploitation_types = models.JSONField(
        _("types of exploitation"), default=list, blank=True, validators=[validate_codes(ExploitationType)]
    )
    forced_labour_industries = models.JSONField(
        _("forced-labour industries"), default=list, blank=True, validators=[validate_codes(IsicSection)]
    )
    sexual_exploitation_types = models.JSONField(
        _("types of sexual exploitation"), default=list, blank=True, validators=[validate_codes(SexualExploitationType)]
    )
    perpetrator_roles = models.JSONField(
        _("perpetrators' roles"), default=list, blank=True, validators=[validate_codes(PerpetratorRole)]
    )
    # Team work.
    assigned_to = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("case worker")
    )
    legal_adviser = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("legal adviser")
    )
    closure_reason = models.CharField(_("reason for closure"), max_length=24, choices=ClosureReason.choices, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["organisation", "-created_at", "-id"], name="case_list_newest_first")]
        constraints = [
            models.CheckConstraint(
                condition=Q(number_of_children__isnull=True) | Q(number_of_children__lte=30),
                name="case_children_plausible",
            ),
            models.CheckConstraint(
                condition=Q(age_when_trafficked__isnull=True) | Q(age_when_trafficked__lte=110),
                name="case_age_trafficked_plausible",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.phone_index = index_for(Case, "phone", self.phone) if self.phone else ""
        self.other_phone_index = index_for(Case, "phone", self.other_phone) if self.other_phone else ""
        self.document_index = index_for(Case, "document_number", self.document_number) if self.document_number else ""
        self.birth_date_index = index_for(Case, "birth_date", self.birth_date) if self.birth_date else ""
        super().save(*args, **kwargs)

    @property
    def birth_date_value(self) -> datetime.date | None:
        return datetime.date.fromisoformat(self.birth_date) if self.birth_date else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class NameKey(models.Model):
    """The blind index of the phonetic key of one word of a case's names (never the key)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="name_keys")
    key_index = models.CharField(max_length=64)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "key_index"], name="namekey_once_per_case")]
        indexes = [models.Index(fields=["key_index", "case"], name="namekey_lookup")]


class TraffickingStatusDecision(models.Model):
    """A human decision on the person's trafficking status; the latest one is the case's status."""

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="decisions")
    status = models.CharField(_("trafficking status"), max_length=16, choices=TraffickingStatus.choices)
    deciding_organisation_type = models.CharField(
        _("decided by (type of organisation)"), max_length=16, choices=DecidingOrganisationType.choices
    )
    decided_on = models.DateField(_("date of the decision"), validators=[not_in_future])
    decided_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    note = EncryptedTextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-recorded_at", "-id"]


class TraffickingEvent(models.Model):
    """One step of the route: recruitment, transit or exploitation, with month and place."""

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(_("type"), max_length=16, choices=EventType.choices)
    month = models.DateField(_("month"), null=True, blank=True, help_text=_("Stored as the first day of the month."))
    country = models.CharField(_("country"), max_length=3, validators=[validate_country])
    region = models.CharField(_("state or region"), max_length=120, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    description = EncryptedTextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["month", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="event_coordinates_valid",
            )
        ]

    def clean(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."), code="coordinates")
        if self.month and self.month > timezone.localdate():
            raise ValidationError({"month": _("The date cannot be in the future.")}, code="future")


class Consent(OrgScoped):
    """The consent conversation, recorded before the case exists and attached to it after.

    One row per conversation (who agreed, which text in which language); one
    ConsentGrant row per purpose with its lawful basis.
    """

    view_permission = Perm.CASE_VIEW

    registration = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField(_("who gave consent"), max_length=16, choices=ConsentGivenBy.choices)
    child_assent = models.BooleanField(_("the child assented"), default=False)
    text_version = models.CharField(_("version of the consent text"), max_length=20)
    text_language = models.CharField(_("language of the consent text"), max_length=3)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_by=ConsentGivenBy.GUARDIAN) | Q(child_assent=True), name="guardian_needs_assent"
            )
        ]


class ConsentGrant(models.Model):
    """The lawful basis for one purpose; `effective` is true when the purpose may be served."""

    #: The grant's tokens are bound to its consent record (it has no case column).
    vault_scope = "consent_id"
    id = random_primary_key()
    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="purposes")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    lawful_basis = models.CharField(_("lawful basis"), max_length=24, choices=LawfulBasis.choices)
    agreed = models.BooleanField(_("agreed"), default=False)
    effective = models.BooleanField(default=False, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    withdrawal_note = EncryptedTextField(blank=True)

    scope_through = "consent"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consent", "purpose"], name="consent_purpose_once")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.effective = self.agreed or self.lawful_basis != LawfulBasis.CONSENT
        super().save(*args, **kwargs)


class ConsentOverride(models.Model):
    """An authorised use of a purpose without consent (a court order, a danger to life)."""

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="consent_overrides")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    lawful_basis = models.CharField(_("lawful basis"), max_length=24, choices=LawfulBasis.choices)
    reason = EncryptedTextField(_("reason"))
    authorised_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    authorised_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-authorised_at"]


class Screening(models.Model):
    """A run of a versioned indicator list; a suggestion for the human decision, never one."""

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="screenings")
    tool = models.CharField(max_length=40)
    version = models.CharField(max_length=20)
    answers = models.JSONField(default=dict)
    present = models.PositiveSmallIntegerField()
    total = models.PositiveSmallIntegerField()
    # What the list's combination rule suggested when it was saved (screening.Assessment.as_json);
    # empty for lists without one (the ILO forced-labour indicators).
    result = models.JSONField(_("suggestion"), default=dict, blank=True)
    screened_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    screened_at = models.DateTimeField(auto_now_add=True)
    note = EncryptedTextField(_("note"), blank=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-screened_at", "-id"]


class Note(models.Model):
    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    body = EncryptedTextField(_("note"))

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]


ATTACHMENT_MAX_BYTES = 8 * 1024 * 1024


class CaseAttachment(models.Model):
    """A file kept with the case, cleaned of its metadata before it was stored.

    The file name and the content (base64 of the cleaned bytes) are vault-encrypted; the
    type and size stay in clear. Read through the visible case (`case.attachments`).
    When attachments are kept in a storage backend (amparo.core.blobs), `content` is empty
    and the object `object_key` (SHA-256 `object_sha256`) holds the content as a vault token
    bound to this row (`object_context`).
    """

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    note = models.ForeignKey(Note, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_on = models.DateField(_("uploaded on"), default=timezone.localdate)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    file_name = EncryptedTextField(_("file name"))
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size"), validators=[MaxValueValidator(ATTACHMENT_MAX_BYTES)])
    content = EncryptedTextField(_("content"), blank=True)
    object_key = models.CharField(max_length=64, blank=True, default="")
    object_sha256 = models.CharField(max_length=64, blank=True, default="")

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=ATTACHMENT_MAX_BYTES), name="attachment_at_most_8_mb")
        ]

    def object_context(self) -> str:
        """The vault's associated data for this row's object: it opens in no other row or case."""
        return row_context("cases.CaseAttachment.object", self.pk, "case_id", self.case_id)


class ClosureDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Not approved")


class CaseClosure(OrgScoped):
    """A request to close a case; an organisation administrator approves or rejects it."""

    view_permission = Perm.CASE_CLOSE_APPROVE

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="closures")
    reason = models.CharField(_("reason for closure"), max_length=24, choices=ClosureReason.choices)
    note = EncryptedTextField(_("note"), blank=True)
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=10, choices=ClosureDecision.choices, default=ClosureDecision.PENDING)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(decision="pending"), name="one_pending_closure_per_case"
            )
        ]


class CaseReopening(models.Model):
    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reopenings")
    reason = EncryptedTextField(_("reason"))
    reopened_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reopened_at = models.DateTimeField(auto_now_add=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()


class EmergencyReason(models.TextChoices):
    SAFETY = "safety", _("The person's safety is at risk now")
    OUT_OF_HOURS = "out_of_hours", _("The person asks for help and their case worker is unavailable")
    CONTINUITY = "continuity", _("Urgent service that cannot wait for the case worker")
    OTHER = "other", _("Other urgent reason")


BREAK_GLASS_HOURS = 4


class BreakGlassAccess(OrgScoped):
    """An emergency opening of one case by staff whose role cannot read cases. Expires."""

    view_permission = Perm.CASE_VIEW

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="emergency_accesses")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=EmergencyReason.choices)
    explanation = EncryptedTextField(_("explanation"))
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at", "-id"]

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()


OPEN_SERVICE_STATUSES = (ServiceStatus.PLANNED, ServiceStatus.IN_PROGRESS)


class SupportService(models.Model):
    """One action of the support plan: a service with a provider and a due date.

    An open service past its due date is an overdue task for the case's worker.
    """

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    plan_type = models.CharField(_("support plan"), max_length=24, choices=SupportPlanType.choices)
    service_type = models.CharField(_("service"), max_length=24, choices=ServiceType.choices)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    objective = EncryptedTextField(_("objective"), blank=True)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=ServiceStatus.choices, default=ServiceStatus.PLANNED)
    completed_on = models.DateField(_("done on"), null=True, blank=True, validators=[not_in_future])
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_on__isnull=False), name="done_service_has_a_date"
            )
        ]

    def clean(self) -> None:
        if self.status == ServiceStatus.DONE and not self.completed_on:
            raise ValidationError({"completed_on": _("Give the date the service was done.")})

    @property
    def is_overdue(self) -> bool:
        return self.status in OPEN_SERVICE_STATUSES and self.due_on < timezone.localdate()


class DuplicateAlert(models.Model):
    """Two cases that may be the same person, found after registration (an edit, an import).

    Shown on both cases until someone who can edit cases dismisses it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="duplicate_alerts")
    other = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="duplicate_alerts_as_other")
    reasons = models.JSONField(default=list)
    raised_at = models.DateTimeField(auto_now_add=True)
    dismissed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dismissed_at = models.DateTimeField(null=True, blank=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "other"], name="duplicate_alert_once_per_pair")]


class LegalAssistance(models.Model):
    """Legal help given to the person: when, what, by whom; the notes are encrypted."""

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legal_assistance")
    given_on = models.DateField(_("date"), validators=[not_in_future])
    assistance_type = models.CharField(_("type of assistance"), max_length=20, choices=LegalAssistanceType.choices)
    given_by = models.CharField(
        _("given by"), max_length=200, help_text=_("The lawyer, legal adviser or organisation that helped.")
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on", "-id"]


class LegalProceeding(models.Model):
    """A criminal, civil, labour or administrative proceeding the person takes part in.

    The court's case number identifies the person to anyone with court access: it is
    encrypted, with a blind index for exact-match lookup.
    """

    id = random_primary_key()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="proceedings")
    kind = models.CharField(_("kind of proceeding"), max_length=16, choices=ProceedingKind.choices)
    stage = models.CharField(_("stage"), max_length=16, choices=ProceedingStage.choices)
    court = models.CharField(_("court or authority"), max_length=200)
    case_number = EncryptedTextField(_("case number"), blank=True)
    case_number_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    person_role = models.CharField(_("the person's role"), max_length=16, choices=ProceedingRole.choices)
    started_on = models.DateField(_("started on"), null=True, blank=True, validators=[not_in_future])
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ProceedingOutcome.choices, default=ProceedingOutcome.PENDING
    )
    compensation_awarded = models.DecimalField(
        _("compensation awarded"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    compensation_paid = models.DecimalField(
        _("compensation paid"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, help_text=_("ISO 4217 code, e.g. MXN."))
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(compensation_awarded__isnull=True) | Q(compensation_awarded__gte=0))
                & (Q(compensation_paid__isnull=True) | Q(compensation_paid__gte=0)),
                name="proceeding_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(compensation_awarded__isnull=True) & Q(compensation_paid__isnull=True)) | ~Q(currency=""),
                name="proceeding_amounts_have_currency",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.case_number_index = (
            index_for(LegalProceeding, "case_number", self.case_number.strip().upper()) if self.case_number else ""
        )
        super().save(*args, **kwargs)

    def clean(self) -> None:
        amounts = self.compensation_awarded is not None or self.compensation_paid is not None
        if amounts and not self.currency:
            raise ValidationError({"currency": _("Give the currency of the amounts.")}, code="currency")


class CaseErasure(models.Model):
    """The tombstone of an erased case: when, who and why (a code). Nothing about the person."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="erasure")
    reason = models.CharField(_("reason"), max_length=24, choices=ErasureReason.choices)
    erased_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    erased_at = models.DateTimeField(default=timezone.now)

    scope_through = "case"
    objects = ScopedThroughQuerySet.as_manager()


class TransferDecision(models.TextChoices):
    PENDING = "pending", _("Waiting for the receiving organisation")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class CaseTransfer(OrgScoped):
    """A transfer of a case's ownership to another organisation, with the person's consent
    to referral. `organisation` is the receiving organisation: its administrators see the
    request (the reference only) and accept or reject it; on acceptance the case moves."""

    view_permission = Perm.CASE_TRANSFER_DECIDE

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers")
    from_organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    requested_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=10, choices=TransferDecision.choices, default=TransferDecision.PENDING)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(decision="pending"), name="one_pending_transfer_per_case"
            ),
            models.CheckConstraint(
                condition=~Q(organisation=models.F("from_organisation")), name="transfer_to_another_organisation"
            ),
        ]
