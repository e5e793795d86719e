"""The audit entry: auditlog's log entry plus what casework needs to answer "who did what, to which case".

Model changes arrive through auditlog's registry (casework.audit.registry); reads,
denials, logins, grants and exports are written by casework.audit.services.record.
"""

from auditlog.models import AbstractLogEntry
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    OK = "ok", _("Allowed")
    DENIED = "denied", _("Denied")
    ERROR = "error", _("Error")


_ACTION_VERBS = {
    AbstractLogEntry.Action.CREATE: "create",
    AbstractLogEntry.Action.UPDATE: "update",
    AbstractLogEntry.Action.DELETE: "delete",
    AbstractLogEntry.Action.ACCESS: "access",
}


class AuditEntry(AbstractLogEntry):
    event = models.CharField(_("event"), max_length=64, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OK)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    case_code = models.CharField(_("case code"), max_length=10, blank=True, db_index=True)
    organisation = models.ForeignKey(
        "access.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    # HMAC of the client address under CASEWORK_INDEX_KEY: lets a reviewer see
    # "same place" without the trail ever holding an IP address.
    ip_hash = models.CharField(_("address (keyed hash)"), max_length=64, blank=True)

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["case_code", "-timestamp"], name="audit_case_time"),
            models.Index(fields=["actor", "-timestamp"], name="audit_actor_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=["ok", "denied", "error"]), name="audit_outcome_valid"
            ),
        ]

    def save(self, *args, **kwargs):
        if not self.event:
            # A model change from auditlog's registry: "<model>.<verb>", scoped from the instance.
            self.event = f"{self.content_type.model}.{_ACTION_VERBS.get(self.action, 'change')}"
            scope = self.additional_data or {}
            self.case_code = self.case_code or scope.get("case_code", "")
            self.organisation_id = self.organisation_id or scope.get("organisation_id")
        super().save(*args, **kwargs)
