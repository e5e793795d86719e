"""What erasure leaves behind and what decides it: the content-free stub of an erased case,
legal holds, requests that wait for a second supervisor, each organisation's retention
rules and the cases they have warned about, and the confirmations that an organisation is
to be erased."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases import codes
from casework.cases.choices import CaseStatus
from casework.retention.choices import ErasureReason, HoldReason, RetentionRuleKind


class ErasedCase(models.Model):
    """All that is left of an erased case: counts for statistics and a code never issued
    again. No region, age, nationality, team, person or date finer than a month."""

    organisation = models.ForeignKey(
        "access.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    code = models.CharField(_("case code"), max_length=codes.LENGTH, unique=True, editable=False)
    opened_month = models.DateField(_("opened (month)"))
    closed_month = models.DateField(_("closed (month)"), null=True, blank=True)
    # The case status reached when it was erased. Journey stages (issue 20) will extend this
    # with the furthest stage reached.
    status_reached = models.CharField(_("status reached"), max_length=10, choices=CaseStatus.choices)
    needs_met = models.JSONField(_("categories of needs met"), default=list, blank=True)
    erased_month = models.DateField(_("erased (month)"))
    # Which key of the key store the case had (a random reference, no content): the nightly
    # sweep destroys it should destroying it at the erasure have failed.
    key_ref = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["organisation", "erased_month", "code"]
        verbose_name = _("erased case")
        verbose_name_plural = _("erased cases")

    def __str__(self):
        return self.code


class LegalHold(models.Model):
    """A case kept against erasure, by hand or by the retention rules, until lifted."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="legal_hold")
    reason = models.CharField(_("reason"), max_length=20, choices=HoldReason.choices)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)

    class Meta:
        verbose_name = _("legal hold")

    def __str__(self):
        return f"hold {self.pk}"


class ErasureRequest(models.Model):
    """A supervisor's erasure that waits for a different supervisor of the team to confirm
    it (the organisation's ``erasure_needs_second_supervisor``). Gone with the case, or
    when cancelled. It holds a reason from a list, never a note."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="erasure_request")
    reason = models.CharField(_("reason"), max_length=20, choices=ErasureReason.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("erasure request")

    def __str__(self):
        return f"erasure request {self.uid}"


# The shortest warning period: a case due shows this long on its own supervisors' home page,
# whoever set the rules, so that no supervisor can erase another team's cases unseen.
MIN_WARNING_DAYS = 14


class RetentionRule(models.Model):
    """An organisation's retention rules, set by its supervisors: erase N months after
    closure, and/or after N months without contact, each after a warning period."""

    organisation = models.OneToOneField("access.Organisation", on_delete=models.CASCADE, related_name="retention")
    months_after_closure = models.PositiveSmallIntegerField(
        _("erase this many months after closure"), null=True, blank=True
    )
    months_without_contact = models.PositiveSmallIntegerField(
        _("erase after this many months without contact"), null=True, blank=True
    )
    warning_days = models.PositiveSmallIntegerField(_("warning period (days)"), default=30)
    # A supervisor asked to stop needing a second supervisor for erasures: it takes a
    # different supervisor asking the same, or one person could switch it off and erase alone.
    second_supervisor_off_asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("retention rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(months_after_closure__isnull=True) | models.Q(months_after_closure__gte=1),
                name="retention_closure_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(months_without_contact__isnull=True) | models.Q(months_without_contact__gte=1),
                name="retention_contact_positive",
            ),
        ]

    def __str__(self):
        return f"retention rules {self.pk}"

    @property
    def is_set(self):
        return self.months_after_closure is not None or self.months_without_contact is not None

    def months(self, rule):
        return self.months_after_closure if rule == RetentionRuleKind.AFTER_CLOSURE else self.months_without_contact


class RetentionNotice(models.Model):
    """A case the retention rules will erase: shown to its supervisors from ``warned_on``,
    erased on ``due_on`` (never before ``warned_on`` + the warning period) unless held
    or postponed. Kept by ``apply_retention``; gone when the case leaves the rule."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="retention_notice")
    organisation = models.ForeignKey("access.Organisation", on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(_("rule"), max_length=20, choices=RetentionRuleKind.choices)
    rule_date = models.DateField(_("past its rule on"))
    warned_on = models.DateField(_("first warned"))
    due_on = models.DateField(_("due for erasure on"))
    # A supervisor postponed it by the rule's period: not erased before this day.
    postponed_to = models.DateField(_("postponed to"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("retention notice")
        indexes = [models.Index(fields=["organisation", "due_on"], name="retention_notice_due")]

    def __str__(self):
        return f"retention notice {self.pk}"


class OrganisationErasure(models.Model):
    """One supervisor's confirmation that her organisation is to be erased; the operator's
    command needs two, from different supervisors."""

    organisation = models.ForeignKey("access.Organisation", on_delete=models.CASCADE, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("organisation erasure confirmation")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "confirmed_by"], name="organisation_erasure_once_each")
        ]

    def __str__(self):
        return f"organisation erasure confirmation {self.pk}"
