"""The words of erasure and retention: why a case is erased, which rule, why it is held.

Choices only, never free text: whatever goes into the trail about an erasure is one of these.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ErasureReason(models.TextChoices):
    FORGET_ME = "forget_me", _("The survivor asked to be forgotten")
    RETENTION_ENDED = "retention", _("The end of a retention period")
    SAFETY = "safety", _("A safety decision")
    # Only the operator's command (erase_organisation) gives this one.
    ORGANISATION_LEFT = "organisation", _("The organisation left")


# What a supervisor may choose on the erasure page.
CHOSEN_REASONS = [ErasureReason.FORGET_ME, ErasureReason.RETENTION_ENDED, ErasureReason.SAFETY]


class RetentionRuleKind(models.TextChoices):
    AFTER_CLOSURE = "after_closure", _("Months after closure")
    WITHOUT_CONTACT = "without_contact", _("Months without contact")


class HoldReason(models.TextChoices):
    LEGAL_PROCEEDINGS = "proceedings", _("Legal proceedings (court case, investigation)")
    AUTHORITY_REQUEST = "authority", _("A request from an authority we must answer")
    SURVIVOR_REQUEST = "survivor", _("The survivor asked us to keep it")
    SAFEGUARDING = "safeguarding", _("A safeguarding review")
