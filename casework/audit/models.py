"""The audit entry: auditlog's log entry plus what casework needs to answer "who did what, to which case".

Model changes arrive through auditlog's registry (casework.audit.registry); reads,
denials, logins, grants and exports are written by casework.audit.services.record.
"""

import hmac
from contextvars import ContextVar

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.audit import chain
from casework.audit.context import receivers_done

# The request's audit context (actor, address hash), set by AuditContextMiddleware for the
# length of one request and reset after it. auditlog's own context variable is never reset
# after a request, so it cannot tell a later entry whether it is still inside one.
request_context = ContextVar("casework_audit_request_context", default=None)


def request_cid():
    """auditlog's correlation id (AUDITLOG_CID_GETTER): the one this request was given, never a client's header."""
    context = request_context.get()
    return context.get("cid") if context else None


class AuditEntryQuerySet(models.QuerySet):
    """Entries are appended one by one through save(), never changed in bulk."""

    def update(self, **kwargs):
        raise AuditImmutable("Audit entries are never changed.")

    def delete(self):
        raise AuditImmutable("Audit entries are never deleted.")

    def bulk_create(self, *args, **kwargs):
        raise AuditImmutable("Audit entries are appended one at a time, each linked into the chain.")

    def bulk_update(self, *args, **kwargs):
        raise AuditImmutable("Audit entries are never changed.")


class AuditImmutable(Exception):
    pass


class AuditEntryManager(LogEntryManager.from_queryset(AuditEntryQuerySet)):
    pass


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
    # auditlog's fields, as it declares them but without the single-column indexes it gives
    # seven of them: no query here asks for one alone, and every index is written on each
    # audited request. The table's indexes are the named ones in Meta, each serving a query.
    content_type = models.ForeignKey(
        "contenttypes.ContentType",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("content type"),
        db_index=False,
    )
    object_pk = models.CharField(_("object pk"), max_length=255)
    object_id = models.BigIntegerField(_("object id"), blank=True, null=True)
    action = models.PositiveSmallIntegerField(_("action"), choices=AbstractLogEntry.Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        blank=True,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    cid = models.CharField(_("Correlation ID"), max_length=255, blank=True, null=True)  # noqa: DJ001 (auditlog's column)
    timestamp = models.DateTimeField(_("timestamp"), default=timezone.now)
    event = models.CharField(_("event"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OK)
    # Room for a reason of 500 characters sealed under its case's key (casework.audit.reasons).
    reason = models.CharField(_("reason"), max_length=3000, blank=True)
    case_code = models.CharField(_("case code"), max_length=10, blank=True)
    organisation = models.ForeignKey(
        "access.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        db_index=False,
    )
    # HMAC of the client address under a key derived from CASEWORK_INDEX_KEY: lets a reviewer see
    # "same place" without the trail ever holding an IP address.
    ip_hash = models.CharField(_("address (keyed hash)"), max_length=64, blank=True)
    # The chain (casework.audit.chain): position, the previous entry's hash, this one's.
    # Unique, so indexed: the chain's head, verification's walk and the export read by seq.
    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    entry_hash = models.CharField(_("hash"), max_length=64, editable=False)
    # Which chain key hashed this entry (its fingerprint, never the key): "" before the chain was keyed.
    chain_key = models.CharField(_("chain key"), max_length=12, blank=True, editable=False)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        # Every index here is written on each audited request (a GET too): one per query
        # that needs it, named after it. tests/audit/test_indexes.py holds the list.
        indexes = [
            # /audit/ unfiltered, newest first within her organisation (the scope is tested
            # row by row on the way down: review.entries_for).
            models.Index(fields=["organisation", "-seq"], name="audit_trail_org_newest"),
            # A case's timeline, and /audit/?code=.
            models.Index(fields=["case_code", "-seq"], name="audit_case_timeline"),
            # A person's activity, /audit/?user=, and the home page's recently touched cases.
            models.Index(fields=["actor", "-seq"], name="audit_person_activity"),
            # /audit/?user= for an administrator, who sees only access events: the few of a
            # busy caseworker's entries she may read, without visiting every other one.
            models.Index(fields=["actor", "event", "-seq"], name="audit_person_events"),
            # /audit/?event=, the verification alarm (audit.verify entries), flags of one kind.
            models.Index(fields=["event", "-seq"], name="audit_event_newest"),
            # A window of time: the week under review, the flags' days, the home page's reveals.
            models.Index(fields=["timestamp"], name="audit_time_window"),
            # A contact's history on its case page: auditlog's entries for one object.
            models.Index(fields=["content_type", "object_pk"], name="audit_object_history"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=["ok", "denied", "error"]), name="audit_outcome_valid"
            ),
            # The chain starts at 1: an entry below it would lie outside every walk.
            models.CheckConstraint(condition=models.Q(seq__gte=1), name="audit_seq_in_chain"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None or not self._state.adding:
            raise AuditImmutable("Audit entries are never changed.")
        self._complete()
        if chain.defer(self):
            return  # linked and written at the end of the request's transaction
        # savepoint=False: no extra savepoint inside a request's transaction; an entry that
        # cannot be written fails the act it records.
        with transaction.atomic(savepoint=False):
            chain.link(self)
            self.write_linked()

    def write_linked(self):
        """Insert the entry that chain.link() has just linked, and make sure nothing changed it on the way."""
        with receivers_done():
            super().save()
        chain.check_linked(self)

    def _complete(self):
        """Give every field its final value before the entry is linked: the hash covers the
        row exactly as stored."""
        if not self.event:
            # A model change from auditlog's registry: "<model>.<verb>", scoped from the instance.
            self.event = f"{self.content_type.model}.{_ACTION_VERBS.get(self.action, 'change')}"
            scope = self.additional_data or {}
            self.case_code = self.case_code or scope.get("case_code", "")
            self.organisation_id = self.organisation_id or scope.get("organisation_id")
        self.object_pk = str(self.object_pk)  # as it comes back from the column, for the hash
        # The receivers that fill fields during save() (auditlog's request context sets the
        # actor and the address hash) run now, before linking; during the save that follows
        # they find those fields set and change nothing, which check_linked() makes sure of.
        pre_save.send(sender=type(self), instance=self, raw=False, using=self._state.db, update_fields=None)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("Audit entries are never deleted.")


class FlagKind(models.TextChoices):
    CASES_PER_HOUR = "cases_per_hour", _("Many cases opened in one hour")
    DENIALS_PER_HOUR = "denials_per_hour", _("Many refusals in one hour")
    REVEAL_OUT_OF_HOURS = "reveal_out_of_hours", _("Identity revealed outside working hours")
    EXPORT = "export", _("Data exported")
    IDENTITY_IN_TEXT = "identity_in_text", _("Identity details typed by someone who may not see them")
    IDENTITY_WRITES_PER_HOUR = "identity_writes_per_hour", _("Many identity changes in one hour")
    # Someone signed in with her duress password (casework.accounts.protection): for her supervisors.
    DURESS_SIGN_IN = "duress_sign_in", _("Duress sign-in")


class FlagReview(models.Model):
    """A reviewer's note that a flag (casework.audit.flags) was looked at. Flags themselves
    are computed from the trail each time; only the review is stored, under the flag's key."""

    organisation = models.ForeignKey(
        "access.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    key = models.CharField(_("flag"), max_length=120)
    kind = models.CharField(_("kind"), max_length=32, choices=FlagKind.choices)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500)

    class Meta:
        verbose_name = _("flag review")
        verbose_name_plural = _("flag reviews")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="flag_review_once_per_flag"),
            models.CheckConstraint(condition=~models.Q(note=""), name="flag_review_note_required"),
        ]

    def __str__(self):
        return self.key


class ChainVerification(models.Model):
    """One run of ``audit_verify``: how far the chain was found intact, or where it broke.

    ``--incremental`` resumes from the last intact position (``up_to_seq``, whose entry
    must still carry ``up_to_hash``). Each row carries a MAC under the chain key, so a row
    written by someone without the key is ignored, never trusted.
    """

    class Kind(models.TextChoices):
        FULL = "full", _("full")
        INCREMENTAL = "incremental", _("incremental")

    ran_at = models.DateTimeField(_("ran at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    from_seq = models.PositiveBigIntegerField(_("from entry"))
    up_to_seq = models.PositiveBigIntegerField(_("intact up to entry"))
    up_to_hash = models.CharField(_("hash at that entry"), max_length=64)
    entries = models.PositiveBigIntegerField(_("entries read"))
    ok = models.BooleanField(_("intact"))
    problem_seq = models.PositiveBigIntegerField(_("broken at entry"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=200, blank=True)
    mac = models.CharField(max_length=64, editable=False)

    class Meta:
        verbose_name = _("audit chain verification")
        verbose_name_plural = _("audit chain verifications")
        ordering = ["-ran_at", "-pk"]

    def __str__(self):
        return f"{self.kind} {self.up_to_seq}"

    def expected_mac(self, key=None):
        text = "|".join(
            str(value)
            for value in (
                chain._plain(self.ran_at),
                self.kind,
                self.from_seq,
                self.up_to_seq,
                self.up_to_hash,
                self.entries,
                self.ok,
                self.problem_seq,
                self.problem,
            )
        )
        return chain.mac("chain verification", text, key)

    def seal(self):
        self.mac = self.expected_mac()

    def is_genuine(self):
        """Sealed with the chain key, current or retired (a rotation keeps older runs genuine)."""
        if not self.mac:
            return False
        return any(hmac.compare_digest(self.mac, self.expected_mac(key)) for key in chain.known_keys().values())


class WeekReview(models.Model):
    """A supervisor's mark that she reviewed one week (Monday to Sunday, local time) of the
    trail within her scope: the teams she supervised when she marked it, with a note."""

    organisation = models.ForeignKey(
        "access.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    week = models.DateField(_("week starting"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    all_teams = models.BooleanField(_("all teams"), default=False)
    teams = models.ManyToManyField("access.Team", blank=True, related_name="+", verbose_name=_("teams"))
    note = models.CharField(_("note"), max_length=500)

    class Meta:
        verbose_name = _("week review")
        verbose_name_plural = _("week reviews")
        constraints = [
            models.UniqueConstraint(fields=["reviewed_by", "week"], name="week_review_once_per_person"),
            models.CheckConstraint(condition=~models.Q(note=""), name="week_review_note_required"),
        ]

    def __str__(self):
        return f"{self.week:%Y-%m-%d}"
