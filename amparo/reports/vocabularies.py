"""The reporting vocabularies: choices with plain-language labels a witness understands.

Exploitation types follow Polaris' typology of 25 types (docs/domain.md); the labels say
what a person saw rather than the analyst's term. Indicators are plain-language readings
of the ILO forced-labour indicators.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ExploitationType(models.TextChoices):
    NOT_SURE = "not_sure", _("I am not sure")
    ESCORT_SERVICES = "escort_services", _("Sex work arranged through escort services or online adverts")
    ILLICIT_MASSAGE = "illicit_massage", _("Massage parlours or beauty salons that sell sex")
    OUTDOOR_SOLICITATION = "outdoor_solicitation", _("Selling sex on the street")
    RESIDENTIAL = "residential", _("Sex sold in a private house or flat")
    DOMESTIC_WORK = "domestic_work", _("Domestic work: cleaning, cooking or caring in a home")
    BARS_CANTINAS = "bars_cantinas", _("Bars, strip clubs or cantinas")
    PORNOGRAPHY = "pornography", _("Pornography")
    TRAVELLING_SALES = "travelling_sales", _("Travelling sales crews (selling door to door)")
    RESTAURANTS = "restaurants", _("Restaurants and food service")
    PEDDLING_BEGGING = "peddling_begging", _("Street selling or begging")
    AGRICULTURE = "agriculture", _("Farms, fields or animal care")
    PERSONAL_SEXUAL_SERVITUDE = "personal_sexual_servitude", _("Forced to serve one person sexually")
    HEALTH_BEAUTY = "health_beauty", _("Nail salons or other beauty services")
    CONSTRUCTION = "construction", _("Construction")
    HOTELS = "hotels", _("Hotels and hospitality")
    LANDSCAPING = "landscaping", _("Gardening and landscaping")
    ILLICIT_ACTIVITIES = "illicit_activities", _("Forced to commit crimes, such as selling drugs")
    ARTS_ENTERTAINMENT = "arts_entertainment", _("Arts, music or entertainment")
    COMMERCIAL_CLEANING = "commercial_cleaning", _("Cleaning offices or other businesses")
    FACTORIES = "factories", _("Factories and workshops")
    REMOTE_SEXUAL_ACTS = "remote_sexual_acts", _("Sexual acts in front of a camera or online")
    CARNIVALS = "carnivals", _("Fairs and carnivals")
    FORESTRY = "forestry", _("Forestry and logging")
    HEALTH_CARE = "health_care", _("Health care or caring for the sick or elderly")
    RECREATIONAL = "recreational", _("Sports, leisure or holiday facilities")
    OTHER = "other", _("Something else")


class Indicator(models.TextChoices):
    DECEIVED = "deceived", _("They were lied to about the job or the pay")
    CANNOT_LEAVE = "cannot_leave", _("They cannot leave or move freely")
    ISOLATED = "isolated", _("They are kept apart from other people")
    VIOLENCE = "violence", _("They are hit, hurt or sexually abused")
    THREATS = "threats", _("They or their family are threatened")
    DOCUMENTS_TAKEN = "documents_taken", _("Someone holds their passport or identity papers")
    UNPAID = "unpaid", _("They are not paid, or someone takes their pay")
    DEBT = "debt", _("They owe a debt they can never pay off")
    BAD_CONDITIONS = "bad_conditions", _("They live or work in very bad conditions")
    LONG_HOURS = "long_hours", _("They work extremely long hours")
    VULNERABLE = "vulnerable", _("Someone takes advantage of their situation (age, papers, poverty)")
    CHILD = "child", _("Children are involved")


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent: someone is in immediate danger")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


#: Sort order of urgencies, most urgent first.
URGENCY_ORDER: dict[str, int] = {Urgency.URGENT: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2, Urgency.LOW: 3}


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    APP = "app", _("Mobile app")
    CALL = "call", _("Phone call")
    TEXT = "text", _("Text message")
    CHAT = "chat", _("Chat")
    EMAIL = "email", _("E-mail")
    WALK_IN = "walk_in", _("Walk-in")


#: The channels a hotline advocate logs by hand.
HOTLINE_CHANNELS = [Channel.CALL, Channel.TEXT, Channel.CHAT, Channel.EMAIL, Channel.WALK_IN]


class SignalStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_REVIEW = "in_review", _("In review")
    NEEDS_INFO = "needs_info", _("Needs information")
    REFERRED = "referred", _("Referred")
    LINKED = "linked", _("Linked to a case")
    CLOSED = "closed", _("Closed")
    SPAM = "spam", _("Spam")


class Danger(models.TextChoices):
    YES = "yes", _("Yes, someone is in danger right now")
    NO = "no", _("No")
    UNSURE = "unsure", _("I do not know")


class AgeGroup(models.TextChoices):
    CHILD = "child", _("Children (under 18)")
    ADULT = "adult", _("Adults")
    UNKNOWN = "unknown", _("I do not know")


class Gender(models.TextChoices):
    WOMEN = "women", _("Women or girls")
    MEN = "men", _("Men or boys")
    OTHER = "other", _("Transgender or non-binary people")
    UNKNOWN = "unknown", _("I do not know")


class CallerType(models.TextChoices):
    VICTIM = "victim", _("The person affected")
    FAMILY = "family", _("Family or friend")
    WITNESS = "witness", _("Witness or member of the public")
    PROFESSIONAL = "professional", _("Professional (teacher, doctor, social worker, other)")
    UNKNOWN = "unknown", _("Did not say")


class MessageAuthor(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    STAFF = "staff", _("Organisation")


class MessageKind(models.TextChoices):
    TEXT = "text", _("Message")
    CONTACT = "contact", _("Contact details")
