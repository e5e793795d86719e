"""Controlled vocabularies for cases and their records. Values are stored; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class AgeBand(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    UNDER_14 = "0-13", _("Under 14")
    TEEN = "14-17", _("14–17")
    YOUNG_ADULT = "18-24", _("18–24")
    ADULT = "25-34", _("25–34")
    MIDDLE = "35-49", _("35–49")
    OLDER = "50+", _("50 and over")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Another gender")
    UNDISCLOSED = "undisclosed", _("Not disclosed")


class Nationality(models.TextChoices):
    DPRK = "KP", _("North Korean")
    CHINA = "CN", _("Chinese")
    SOUTH_KOREA = "KR", _("South Korean")
    OTHER = "other", _("Other")
    STATELESS = "stateless", _("Stateless or undocumented")
    UNKNOWN = "unknown", _("Unknown")


class Region(models.TextChoices):
    """Province level at most: never a city, a village or an address."""

    JILIN = "CN-JL", _("Jilin")
    LIAONING = "CN-LN", _("Liaoning")
    HEILONGJIANG = "CN-HL", _("Heilongjiang")
    SHANDONG = "CN-SD", _("Shandong")
    HEBEI = "CN-HE", _("Hebei")
    BEIJING = "CN-BJ", _("Beijing")
    INNER_MONGOLIA = "CN-NM", _("Inner Mongolia")
    YUNNAN = "CN-YN", _("Yunnan")
    GUANGXI = "CN-GX", _("Guangxi")
    OTHER_CHINA = "CN-other", _("Elsewhere in China")
    TRANSIT = "transit", _("In transit (third country)")
    # Third countries on the routes out, whole countries only.
    MONGOLIA = "MN", _("Mongolia")
    RUSSIA = "RU", _("Russia")
    VIETNAM = "VN", _("Vietnam")
    LAOS = "LA", _("Laos")
    CAMBODIA = "KH", _("Cambodia")
    THAILAND = "TH", _("Thailand")
    MYANMAR = "MM", _("Myanmar")
    SOUTH_KOREA = "KR", _("South Korea")
    OTHER = "other", _("Elsewhere")
    UNKNOWN = "unknown", _("Unknown")


class JourneyStage(models.TextChoices):
    """Where a survivor is along her journey, in the order the journey usually runs."""

    EXPLOITATION = "exploitation", _("In exploitation")
    HIDING = "hiding", _("Rescued, in hiding")
    TRANSIT = "transit", _("In transit (third country)")
    EMBASSY = "embassy", _("At an embassy or immigration")
    RESETTLED = "resettled", _("Resettled")
    INTEGRATING = "integrating", _("Integrating")


class ExploitationType(models.TextChoices):
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    SEXUAL = "sexual", _("Sexual exploitation")
    CYBERSEX = "cybersex", _("Cybersex den")
    LABOUR = "labour", _("Forced labour")
    DOMESTIC = "domestic", _("Domestic servitude")
    OTHER = "other", _("Other")


class IntakeSource(models.TextChoices):
    SELF = "self", _("Self-referral")
    FAMILY = "family", _("Family member")
    PARTNER = "partner", _("Partner organisation")
    BROKER = "broker", _("Safe-passage network")
    HOTLINE = "hotline", _("Hotline")
    OTHER = "other", _("Other")


class ServiceType(models.TextChoices):
    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    LEGAL = "legal", _("Legal")
    DOCUMENTS = "documents", _("Documents")
    SAFE_PASSAGE = "safe_passage", _("Safe passage")
    LIVELIHOOD = "livelihood", _("Livelihood")
    EDUCATION = "education", _("Education")
    FAMILY_TRACING = "family_tracing", _("Family tracing")
    CHILD_CARE = "child_care", _("Child care")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    STARTED = "started", _("Service started")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Language(models.TextChoices):
    KOREAN = "ko", _("Korean")
    CHINESE = "zh", _("Chinese")
    ENGLISH = "en", _("English")
    RUSSIAN = "ru", _("Russian")
    MONGOLIAN = "mn", _("Mongolian")
    VIETNAMESE = "vi", _("Vietnamese")
    LAO = "lo", _("Lao")
    THAI = "th", _("Thai")
    OTHER = "other", _("Another language")


class ShareCategory(models.TextChoices):
    """What a survivor's consent may cover, one category of data at a time: the server
    checks a packet for a partner organisation against these, never against free text.
    The identity categories are the identity record's field names."""

    NEEDS = "needs", _("Needs (category and urgency)")
    RISK = "risk", _("Risk level")
    AGE_BAND = "age_band", _("Age band")
    LANGUAGES = "languages", _("Languages")
    NATIONALITY = "nationality", _("Nationality")
    REGION = "region", _("Region")
    NOTE = "note", _("A handover note")
    LEGAL_NAME = "legal_name", _("Legal name")
    OTHER_NAMES = "other_names", _("Other names and aliases")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    APPROXIMATE_AGE = "approximate_age", _("Approximate age")
    PHONES = "phones", _("Phone numbers")
    MESSENGERS = "messengers", _("Messenger handles")
    ADDRESSES = "addresses", _("Addresses")
    LAST_LOCATION = "last_location", _("Last known location")
    FAMILY_CONTACTS = "family_contacts", _("Family contacts")
    DOCUMENTS = "documents", _("Identity documents")


# The categories that are identity fields (travel encrypted, stored in the receiver's vault).
IDENTITY_CATEGORIES = (
    ShareCategory.LEGAL_NAME,
    ShareCategory.OTHER_NAMES,
    ShareCategory.DATE_OF_BIRTH,
    ShareCategory.APPROXIMATE_AGE,
    ShareCategory.PHONES,
    ShareCategory.MESSENGERS,
    ShareCategory.ADDRESSES,
    ShareCategory.LAST_LOCATION,
    ShareCategory.FAMILY_CONTACTS,
    ShareCategory.DOCUMENTS,
)


class ConsentGiver(models.TextChoices):
    SURVIVOR = "survivor", _("The survivor")
    GUARDIAN = "guardian", _("Parent or guardian")
    REPRESENTATIVE = "representative", _("Legal representative")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written")
    VERBAL_WITNESSED = "verbal_witnessed", _("Verbal, with a witness")


class ContactChannel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    SECURE_MESSENGER = "secure_messenger", _("Secure messenger")
    INTERMEDIARY = "intermediary", _("Via intermediary")


class ContactPurpose(models.TextChoices):
    CHECK_IN = "check_in", _("Check-in")
    ASSESSMENT = "assessment", _("Assessment")
    SAFETY_PLANNING = "safety_planning", _("Safety planning")
    REFERRAL = "referral", _("Referral follow-up")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment")
    CRISIS = "crisis", _("Crisis response")
    OTHER = "other", _("Other")


class ParticipantRole(models.TextChoices):
    SURVIVOR = "survivor", _("Survivor")
    CASEWORKER = "caseworker", _("Caseworker")
    FAMILY = "family", _("Family member")
    INTERMEDIARY = "intermediary", _("Intermediary")
    PARTNER_STAFF = "partner_staff", _("Partner staff")
    INTERPRETER = "interpreter", _("Interpreter")
    OTHER = "other", _("Other")


class NeedStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    IN_PROGRESS = "in_progress", _("In progress")
    MET = "met", _("Met")
    UNMET = "unmet", _("Unmet")
    DECLINED = "declined", _("Declined")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead caseworker")
    COWORKER = "coworker", _("Co-worker")


def values_of(choices):
    return [value for value, _label in choices.choices]
