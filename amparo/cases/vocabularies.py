"""HTCDS 2.0 vocabularies used by case files, as TextChoices.

The stored values are stable English codes; the labels are translated. Lists follow the
Human Trafficking Case Data Standard 2.0 (IOM, 2021) as summarised in docs/domain.md.
Codes that are not in a list are refused by `validate_codes` (multi-valued fields) or by
the field's `choices` (single values).
"""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from functools import lru_cache

import pycountry
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from amparo.core.countries import LANGUAGE_NAMES, sorted_by_name


class Gender(models.TextChoices):
    FEMININE = "feminine", _("Feminine")
    MASCULINE = "masculine", _("Masculine")
    TRANSGENDER_FEMININE = "transgender_feminine", _("Transgender feminine")
    TRANSGENDER_MASCULINE = "transgender_masculine", _("Transgender masculine")
    NON_CONFORMING = "non_conforming", _("Non-conforming")
    NOT_SPECIFIED = "not_specified", _("Not specified or unknown")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married")
    CIVIL_UNION = "civil_union", _("Civil union or cohabiting")
    SEPARATED = "separated", _("Separated")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")
    NOT_SPECIFIED = "not_specified", _("Not specified or unknown")


class DocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    NATIONAL_ID = "national_id", _("National identity card")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    OTHER = "other", _("Other document")


class AgeBand(models.TextChoices):
    """CTDC's broad age groups, computed at registration."""

    A0_8 = "0-8", "0–8"
    A9_17 = "9-17", "9–17"
    A18_20 = "18-20", "18–20"
    A21_23 = "21-23", "21–23"
    A24_26 = "24-26", "24–26"
    A27_29 = "27-29", "27–29"
    A30_38 = "30-38", "30–38"
    A39_47 = "39-47", "39–47"
    A48 = "48+", "48+"


def age_band(age: int) -> str:
    """The CTDC age band of an age in whole years."""
    for band in AgeBand:
        low, _sep, high = band.value.rstrip("+").partition("-")
        if int(low) <= age and (not high or age <= int(high)):
            return band.value
    raise ValueError(age)


class TraffickingStatus(models.TextChoices):
    POSSIBLE = "possible", _("Possible victim of trafficking")
    ACTUAL = "actual", _("Victim of trafficking")
    NOT_A_VICTIM = "not_a_victim", _("Not a victim of trafficking")


class DecidingOrganisationType(models.TextChoices):
    POLICE = "police", _("Police")
    NGO = "ngo", _("Non-governmental organisation")
    COURT = "court", _("Court or prosecution")
    GOVERNMENT = "government", _("Government body other than police")
    OTHER = "other", _("Other")


class RelationshipToTrafficker(models.TextChoices):
    FAMILIAL = "familial", _("Family member")
    ACQUAINTED = "acquainted", _("Acquaintance")
    UNACQUAINTED = "unacquainted", _("Not known to the person before")


class RecruitmentMethod(models.TextChoices):
    PLACE_OF_BUSINESS = "place_of_business", _("Place of business")
    EDUCATIONAL_INSTITUTION = "educational_institution", _("Educational institution")
    AT_WORK = "at_work", _("At work")
    ONLINE_SOCIAL_NETWORKS = "online_social_networks", _("Online social networks")
    ONLINE_ADVERTISEMENT = "online_advertisement", _("Online advertisement")
    TV = "tv", _("Television")
    NEWSPAPER = "newspaper", _("Newspaper")
    FAMILY = "family", _("Family")
    FRIENDS_SOCIAL_EVENTS = "friends_social_events", _("Friends or social events")
    OTHER = "other", _("Other")


class MeansOfControl(models.TextChoices):
    DEBT_BONDAGE = "debt_bondage", _("Debt bondage")
    TAKES_EARNINGS = "takes_earnings", _("Takes earnings")
    RESTRICTS_FINANCIAL_ACCESS = "restricts_financial_access", _("Restricts access to money")
    THREATS = "threats", _("Threats")
    PSYCHOLOGICAL_ABUSE = "psychological_abuse", _("Psychological abuse")
    PHYSICAL_ABUSE = "physical_abuse", _("Physical abuse")
    SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
    FALSE_PROMISES = "false_promises", _("False promises")
    PSYCHOACTIVE_SUBSTANCES = "psychoactive_substances", _("Psychoactive substances")
    RESTRICTS_MOVEMENT = "restricts_movement", _("Restricts movement")
    RESTRICTS_MEDICAL_CARE = "restricts_medical_care", _("Restricts medical care")
    EXCESSIVE_WORKING_HOURS = "excessive_working_hours", _("Excessive working hours")
    USES_CHILDREN = "uses_children", _("Uses children")
    THREAT_OF_LAW_ENFORCEMENT = "threat_of_law_enforcement", _("Threat of law enforcement")
    WITHHOLDS_NECESSITIES = "withholds_necessities", _("Withholds necessities")
    WITHHOLDS_DOCUMENTS = "withholds_documents", _("Withholds documents")
    OTHER = "other", _("Other")


class ExploitationType(models.TextChoices):
    FORCED_LABOUR = "forced_labour", _("Forced labour")
    SEXUAL_EXPLOITATION = "sexual_exploitation", _("Sexual exploitation")
    CHILD_LABOUR = "child_labour", _("Child labour")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    SERVITUDE = "servitude", _("Servitude")
    FORCED_MILITARY = "forced_military", _("Forced military service by non-state actors")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    FORCED_BEGGING = "forced_begging", _("Forced begging")
    FORCED_ADOPTION = "forced_adoption", _("Forced adoption")
    SURROGACY = "surrogacy", _("Surrogacy")
    OTHER = "other", _("Other")


class IsicSection(models.TextChoices):
    """ISIC revision 4 sections (UN Statistics Division)."""

    A = "A", _("Agriculture, forestry and fishing")
    B = "B", _("Mining and quarrying")
    C = "C", _("Manufacturing")
    D = "D", _("Electricity, gas, steam and air conditioning supply")
    E = "E", _("Water supply, sewerage, waste management and remediation")
    F = "F", _("Construction")
    G = "G", _("Wholesale and retail trade; repair of motor vehicles and motorcycles")
    H = "H", _("Transportation and storage")
    I = "I", _("Accommodation and food service activities")  # noqa: E741 (the ISIC code)
    J = "J", _("Information and communication")
    K = "K", _("Financial and insurance activities")
    L = "L", _("Real estate activities")
    M = "M", _("Professional, scientific and technical activities")
    N = "N", _("Administrative and support service activities")
    O = "O", _("Public administration and defence; compulsory social security")  # noqa: E741
    P = "P", _("Education")
    Q = "Q", _("Human health and social work activities")
    R = "R", _("Arts, entertainment and recreation")
    S = "S", _("Other service activities")
    T = "T", _("Activities of households as employers")
    U = "U", _("Activities of extraterritorial organisations and bodies")


class SexualExploitationType(models.TextChoices):
    PROSTITUTION = "prostitution", _("Prostitution")
    PORNOGRAPHY = "pornography", _("Pornography")
    REMOTE_INTERACTIVE = "remote_interactive", _("Remote interactive sexual services")
    PRIVATE_SEXUAL_SERVICES = "private_sexual_services", _("Private sexual services")


class PerpetratorRole(models.TextChoices):
    TRAVELLING_PARTNER = "travelling_partner", _("Travelling partner")
    TRANSPORTER = "transporter", _("Transporter")
    RECRUITER = "recruiter", _("Recruiter or intermediary")
    BROKER = "broker", _("Broker or travel agent")
    CONTROLLER = "controller", _("Transferred, harboured, sold, bought, received or controlled the person")
    SMUGGLER = "smuggler", _("Smuggler")
    ABUSER = "abuser", _("Abuser")
    KIDNAPPER = "kidnapper", _("Kidnapper")
    EXPLOITER = "exploiter", _("Exploiter")
    OTHER = "other", _("Other")


class EventType(models.TextChoices):
    RECRUITMENT = "recruitment", _("Recruitment")
    TRANSIT = "transit", _("Transit")
    EXPLOITATION = "exploitation", _("Exploitation")


class ConsentPurpose(models.TextChoices):
    SERVICES = "services", _("Providing services")
    REFERRAL = "referral", _("Referral to other organisations")
    LAW_ENFORCEMENT = "law_enforcement", _("Sharing with law enforcement")
    RESEARCH = "research", _("Research and statistics (without names)")
    TRACING = "tracing", _("Family tracing")


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    CONTRACT = "contract", _("Contract")
    VITAL_INTERESTS = "vital_interests", _("Vital interests")
    PERSONS_INTERESTS = "persons_interests", _("The person's interests")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Other legitimate interests")


class ConsentGivenBy(models.TextChoices):
    PERSON = "person", _("The person")
    GUARDIAN = "guardian", _("A guardian, with the child's assent")


class ClosureReason(models.TextChoices):
    SERVICES_COMPLETED = "services_completed", _("Support plan completed")
    DECLINED = "declined", _("The person declined further support")
    LOST_CONTACT = "lost_contact", _("Contact lost")
    REFERRED = "referred", _("Referred to another organisation")
    RELOCATED = "relocated", _("The person moved away")
    DECEASED = "deceased", _("The person died")
    DUPLICATE = "duplicate", _("Duplicate record")
    OTHER = "other", _("Other")


@deconstructible
class CodesValidator:
    """Validates a list of codes drawn from a TextChoices class, without repeats."""

    def __init__(self, choices_path: str) -> None:
        self.choices_path = choices_path

    def __call__(self, values: Iterable[str]) -> None:
        allowed = set(import_string(self.choices_path).values)
        values = list(values or [])
        if any(v not in allowed for v in values) or len(set(values)) != len(values):
            raise ValidationError(_("Choose only values from the list."), code="unknown_code")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodesValidator) and other.choices_path == self.choices_path

    def __hash__(self) -> int:
        return hash(self.choices_path)


def validate_codes(choices: type[models.TextChoices]) -> CodesValidator:
    """A validator for a list of codes drawn from `choices`, without repeats."""
    return CodesValidator(f"{choices.__module__}.{choices.__qualname__}")


def validate_country_codes(values: Iterable[str]) -> None:
    """ISO 3166-1 alpha-3 codes, each once."""
    values = list(values or [])
    if any(not isinstance(v, str) or pycountry.countries.get(alpha_3=v) is None for v in values) or len(
        set(values)
    ) != len(values):
        raise ValidationError(_("Choose countries from the list."), code="country")


#: Languages spoken in the region that ISO 639-1 has no two-letter code for.
REGIONAL_LANGUAGES = ["mam", "quc", "kek", "cak", "yua", "tzo", "tzh", "guc", "miq", "cab", "nhe", "ctu", "mxt"]


def validate_language(value: str) -> None:
    """An ISO 639-3 language code."""
    if pycountry.languages.get(alpha_3=value) is None:
        raise ValidationError(_("Choose a language from the list."), code="language")


def language_name(code: str, language: str | None = None) -> str:
    """The language's name in `language` (default: the active one)."""
    found = pycountry.languages.get(alpha_3=code) if code else None
    if found is None:
        return code
    lang = (language or get_language() or "en").split("-")[0]
    fixed = LANGUAGE_NAMES.get(lang, {}).get(found.alpha_3)
    if fixed:
        return fixed
    name = _language_translator(lang).gettext(found.name)
    return name[:1].upper() + name[1:]  # the catalogue writes some in lower case ("valón")


@lru_cache(maxsize=8)
def _language_translator(language: str) -> gettext.NullTranslations:
    return gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=[language], fallback=True)


@lru_cache(maxsize=8)
def _language_choices(language: str) -> list[tuple[str, str]]:
    codes = {lang.alpha_3 for lang in pycountry.languages if hasattr(lang, "alpha_2")}
    codes |= {code for code in REGIONAL_LANGUAGES if pycountry.languages.get(alpha_3=code)}
    return sorted_by_name([(code, language_name(code, language)) for code in codes], language)


def language_choices() -> list[tuple[str, str]]:
    """ISO 639-3 codes of the languages with a two-letter code, plus regional ones."""
    return _language_choices((get_language() or "en").split("-")[0])


class SupportPlanType(models.TextChoices):
    """HTCDS support-plan types."""

    EDUCATION = "education", _("Education")
    FINANCIAL = "financial", _("Financial")
    HEALTH = "health", _("Health")
    LABOUR_REHABILITATION = "labour_rehabilitation", _("Labour exploitation rehabilitation")
    LEGAL = "legal", _("Legal")
    LIVELIHOOD = "livelihood", _("Livelihood")
    RIGHTS_TRAINING = "rights_training", _("Rights-based training")
    SEXUAL_REHABILITATION = "sexual_rehabilitation", _("Sexual exploitation rehabilitation")
    SOCIAL_CARE = "social_care", _("Social care")


class ServiceType(models.TextChoices):
    """Services (Primero's list, extended)."""

    SHELTER = "shelter", _("Safe house or shelter")
    MEDICAL = "medical", _("Health or medical care")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    LEGAL = "legal", _("Legal assistance")
    LAW_ENFORCEMENT = "law_enforcement", _("Police or law enforcement")
    LIVELIHOODS = "livelihoods", _("Livelihoods")
    EDUCATION = "education", _("Education")
    FAMILY_MEDIATION = "family_mediation", _("Family mediation")
    FAMILY_REUNIFICATION = "family_reunification", _("Family reunification")
    RETURN = "return", _("Return")
    REINTEGRATION = "reintegration", _("Reintegration")
    RESETTLEMENT = "resettlement", _("Resettlement")
    INTERPRETATION = "interpretation", _("Interpretation")
    DOCUMENTATION = "documentation", _("Documentation")
    FOOD = "food", _("Food")
    NON_FOOD_ITEMS = "non_food_items", _("Non-food items")
    OTHER = "other", _("Other")


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class LegalAssistanceType(models.TextChoices):
    ADVICE = "advice", _("Legal advice")
    REPRESENTATION = "representation", _("Representation before a court or authority")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment to hearings or interviews")
    IMMIGRATION = "immigration", _("Immigration status or residence permit")
    DOCUMENTS = "documents", _("Identity or civil documents")
    COMPENSATION = "compensation", _("Claim for compensation")
    OTHER = "other", _("Other")


class ProceedingKind(models.TextChoices):
    CRIMINAL = "criminal", _("Criminal")
    CIVIL = "civil", _("Civil")
    LABOUR = "labour", _("Labour")
    ADMINISTRATIVE = "administrative", _("Administrative")


class ProceedingStage(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint filed")
    INVESTIGATION = "investigation", _("Investigation")
    CHARGES = "charges", _("Charges or claim admitted")
    TRIAL = "trial", _("Trial or hearing")
    JUDGMENT = "judgment", _("Judgment or decision")
    APPEAL = "appeal", _("Appeal")
    CLOSED = "closed", _("Closed")


class ProceedingOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONVICTION = "conviction", _("Conviction")
    ACQUITTAL = "acquittal", _("Acquittal")
    FOUND_FOR = "found_for", _("Decided in the person's favour")
    FOUND_AGAINST = "found_against", _("Decided against the person")
    SETTLEMENT = "settlement", _("Settlement")
    DISMISSED = "dismissed", _("Dismissed or archived")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ProceedingRole(models.TextChoices):
    """The person's role in the proceeding."""

    WITNESS = "witness", _("Witness")
    COMPLAINANT = "complainant", _("Complainant")
    VICTIM_WITNESS = "victim_witness", _("Victim-witness")
    PLAINTIFF = "plaintiff", _("Plaintiff")


class ErasureReason(models.TextChoices):
    """Why a case was erased: a code, never free text."""

    SUBJECT_REQUEST = "subject_request", _("The person asked for erasure")
    GUARDIAN_REQUEST = "guardian_request", _("The person's guardian asked for erasure")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent was withdrawn and no other lawful basis remains")
    COURT_ORDER = "court_order", _("A court or data-protection authority ordered it")
