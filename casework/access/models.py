"""Organisations, teams, memberships and grants: who may reach which case.

The guardian permission rows on Case are derived from these models by
casework.access.services; nothing else writes them.
"""

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.audit.guard import AuditedQuerySet


class Organisation(models.Model):
    """A tenant. Nothing crosses organisations except an accepted referral packet."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # A partner that runs its own server: known here by name and public keys only, with
    # no members, teams or cases; packets reach it as files (casework.partners.exchange).
    is_remote = models.BooleanField(_("runs its own server"), default=False, editable=False)
    # Whether a supervisor approves each packet before it leaves for a partner organisation.
    packets_need_approval = models.BooleanField(_("packets need a supervisor's approval"), default=True)
    # Whether erasing a case waits for a second supervisor of its team (casework.retention).
    erasure_needs_second_supervisor = models.BooleanField(_("erasing a case needs a second supervisor"), default=False)
    # The organisation left and was erased at the server (casework.retention): nobody signs in.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    def get_additional_data(self):
        return {"organisation_id": self.pk}


class Team(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="teams", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50)
    # The guardian group whose members supervise this team; it holds the
    # object permissions on every case of the team.
    supervisor_group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="supervised_team")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="team_slug_unique_in_org"),
        ]

    def __str__(self):
        return self.name

    def get_additional_data(self):
        return {"organisation_id": self.organisation_id}


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")
    # The organisation's reports, aggregates only: never a case page, never a case's record.
    REPORTING = "reporting", _("Reporting")


class MembershipQuerySet(AuditedQuerySet):
    def active(self):
        """The one meaning of "active": the membership and the account both."""
        return self.filter(is_active=True, user__is_active=True)


def active_member(prefix=""):
    """The same meaning of "active", for a query over users (``prefix`` leads to the user)."""
    return Q(**{f"{prefix}is_active": True, f"{prefix}membership__is_active": True})


# Set on a user the authentication backend loaded for a request, together with her membership.
LOADED_WITH_MEMBERSHIP = "_casework_loaded_with_membership"


def active_membership(user):
    """``user``'s membership if she and it are active, else None.

    No query for the user of a request: the authentication backend loaded her membership
    with her (``casework.accounts.backends``), and ``request.membership`` is this, taken
    once per request (``casework.web.middleware``). Any other user object (a command's, a
    test's, one kept from earlier) may hold an old copy, so it is asked of the database.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not getattr(user, LOADED_WITH_MEMBERSHIP, False):
        return Membership.objects.active().select_related("organisation").filter(user_id=user.pk).first()
    try:
        membership = user.membership
    except Membership.DoesNotExist:
        return None
    return membership if membership.is_active else None


class Membership(models.Model):
    """A user's place in her one organisation: one role, the teams she works in or supervises.

    One-to-one with the user: one organisation per person keeps "which organisation is this
    request about" unambiguous.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organisation")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="members", verbose_name=_("teams"))
    supervised_teams = models.ManyToManyField(
        Team, blank=True, related_name="supervisors", verbose_name=_("supervised teams")
    )
    supervises_all_teams = models.BooleanField(_("supervises every team"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    # Set when an administrator creates the account with a temporary password: until she
    # chooses her own, every page sends her to the password change.
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # Named by a supervisor to work the partner intake inbox (supervisors always may).
    receives_packets = models.BooleanField(_("works the partner intake"), default=False)
    # Set when a supervisor vouched for her (met her, saw her enrol her own authenticator),
    # or by an operator at the server (vouched_by None). Until then restrict() gives her
    # nothing: an account an administrator created or reset could be the administrator's.
    vouched_at = models.DateTimeField(_("vouched"), null=True, blank=True)
    vouched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("vouched by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(supervises_all_teams=False) | Q(role="supervisor"),
                name="membership_only_supervisors_supervise_all",
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    def get_additional_data(self):
        return {"organisation_id": self.organisation_id}

    @property
    def is_vouched(self):
        return self.vouched_at is not None


class GrantLevel(models.TextChoices):
    VIEW = "view", _("View")
    EDIT = "edit", _("View and edit")
    REVEAL = "reveal", _("View and reveal identity")


class GrantQuerySet(AuditedQuerySet):
    def current(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class Grant(models.Model):
    """Explicit access for one user to one case, with a reason and an optional expiry.

    Revoked grants stay as history; the guardian rows are what the permission layer reads.
    """

    # What URLs name a grant by: a sequential id would tell how many grants the organisation
    # has made, and when, to anyone who can see one.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="grants", verbose_name=_("case"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_grants", verbose_name=_("user")
    )
    level = models.CharField(_("level"), max_length=10, choices=GrantLevel.choices)
    reason = models.CharField(_("reason"), max_length=500)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="grant_reason_required"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False),
                name="grant_revocation_attributed",
            ),
        ]

    def __str__(self):
        return f"{self.get_level_display()}: {self.user}"

    def get_additional_data(self):
        return self.case.get_additional_data()


class RequestKind(models.TextChoices):
    ROLE = "role", _("Becomes a supervisor")
    SUPERVISION = "supervision", _("Supervises more teams")
    REVEAL = "reveal", _("Reveal grant")


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for a supervisor")
    CONFIRMED = "confirmed", _("Confirmed")
    REFUSED = "refused", _("Refused")


class AccessRequestQuerySet(AuditedQuerySet):
    def pending(self):
        return self.filter(state=RequestState.PENDING)


class AccessRequest(models.Model):
    """A change an administrator asked for that would give someone case content: it changes
    no permission row until a supervisor whose reach covers it confirms it.

    ``teams``/``all_teams``: the teams she would supervise in addition to those she does
    (ROLE, SUPERVISION); ``case``/``expires_at``: the reveal grant (REVEAL).
    """

    # Opaque: the confirmation page's URL names a request without counting them.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="access_requests", verbose_name=_("organisation")
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="access_requests", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="+", verbose_name=_("teams"))
    all_teams = models.BooleanField(_("every team"), default=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices, default=RequestState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="reveal") | Q(case__isnull=False), name="access_request_reveal_has_case"
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False), name="access_request_decision_dated"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.membership.user}"

    def get_additional_data(self):
        return {"organisation_id": self.organisation_id}
