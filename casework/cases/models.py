"""Cases and everything under them. The only door to case data is ``restrict``."""

import uuid

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from casework.access.models import LOADED_WITH_MEMBERSHIP, Membership, Role
from casework.accounts.models import empty_workspace_condition, workspace_is_empty
from casework.audit.guard import AuditedQuerySet
from casework.cases import codes
from casework.cases.choices import (
    AgeBand,
    AssignmentRole,
    CaseStatus,
    ConsentGiver,
    ConsentMethod,
    ContactChannel,
    ContactPurpose,
    Gender,
    IntakeSource,
    JourneyStage,
    Language,
    Nationality,
    NeedStatus,
    ReferralStatus,
    Region,
    RiskLevel,
    ServiceType,
    ShareCategory,
    Urgency,
    values_of,
)
from casework.keystore import services as keystore
from casework.keystore.fields import SealedModel, SealedTextField

# What a caller asks to do → the guardian permission that allows it.
ACTIONS = {
    "view": "view_case",
    "change": "change_case",
    "reveal": "reveal_identity",
    "manage": "manage_case",
}


# Where ``CaseQuerySet.with_actions`` puts what it found: for whom, and each action's answer.
_ACTIONS_USER = "actions_loaded_for"
_ACTION_FLAG = "may_"


def _check(name, condition):
    return models.CheckConstraint(condition=condition, name=name)


def _in_choices(field, choices):
    return Q(**{f"{field}__in": values_of(choices)})


def _reach(user, action, prefix=""):
    """The condition that ``user`` may ``action`` a case (reached through ``prefix``), or
    None if she may do nothing at all.

    In an organisation where she is an active member for whom a supervisor has vouched, and
    whose workspace is not emptied (frozen, in travel mode, signed in under duress):
    every case of the teams she supervises (supervision gives every action), and the cases
    her own permission rows give ``action`` (an assignment or a grant; expired rows give
    nothing). Each part is a small question about her, never a set of every case she may
    see, so that the database checks one case in constant time and walks a list in the
    page's order, stopping after one page. Superusers and global permissions get nothing extra.
    """
    try:
        codename = ACTIONS[action]
    except KeyError:
        raise ValueError(f"Unknown case action {action!r}; expected one of {sorted(ACTIONS)}.") from None
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    # By id, found in a subquery the database runs once: no join by codename for each row.
    permission = Permission.objects.filter(
        codename=codename, content_type__app_label="cases", content_type__model="case"
    ).values("pk")[:1]
    own = CaseUserObjectPermission.objects.filter(
        user_id=user.pk, permission_id=Subquery(permission), content_object_id=OuterRef(f"{prefix}pk")
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    # About this case (the planner may read her own rows once for a long walk): never a team's rows.
    mine = Q(Exists(own))
    if getattr(user, LOADED_WITH_MEMBERSHIP, False):
        return _reach_of_loaded(user, mine, prefix)
    # Only once a supervisor has vouched for her: an account an administrator created
    # or reset gets nothing, whatever its role, assignments or grants.
    member = Membership.objects.filter(user_id=user.pk, is_active=True, vouched_at__isnull=False)
    member = member.exclude(role=Role.REPORTING)  # aggregates only: no case, whatever her rows say
    # Frozen, travelling or under duress: nothing, exactly like someone with no case at all.
    member = member.exclude(empty_workspace_condition("user__"))
    supervisor = member.filter(role=Role.SUPERVISOR)
    return Q(**{f"{prefix}organisation_id": Subquery(member.values("organisation_id")[:1])}) & (
        Q(Exists(supervisor.filter(supervises_all_teams=True)))
        | Q(**{f"{prefix}team_id__in": supervisor.values("supervised_teams")})
        | mine
    )


def _reach_of_loaded(user, mine, prefix):
    """``_reach`` for the user of a request, who came with her membership as it was when
    the request began (``casework.accounts.backends``): the same rule, with what is known
    of her written in, so that the database plans for her (a caseworker's few cases, a
    supervisor's whole organisation) rather than for anyone."""
    try:
        membership = user.membership
    except Membership.DoesNotExist:
        return None
    if not membership.is_active or membership.vouched_at is None or membership.role == Role.REPORTING:
        return None
    if workspace_is_empty(user):  # her protections came with her too: no query
        return None
    organisation = Q(**{f"{prefix}organisation_id": membership.organisation_id})
    if membership.role != Role.SUPERVISOR:
        return organisation & mine
    if membership.supervises_all_teams:
        return organisation
    supervised = Membership.supervised_teams.through.objects.filter(membership_id=membership.pk)
    return organisation & (Q(**{f"{prefix}team_id__in": supervised.values("team_id")}) | mine)


# Risk levels in the order they are declared (low → critical), for sorting by risk.
RISK_RANK = models.Case(
    *[models.When(risk_level=value, then=models.Value(rank)) for rank, value in enumerate(RiskLevel.values)],
    output_field=models.IntegerField(),
)
# The case list's orders (the first is the default); case_org_* below serve each.
SORTS = {
    "opened": ("-opened_on", "code"),
    "oldest": ("opened_on", "code"),
    "code": ("code",),
    "risk": ("-risk_rank", "-opened_on", "code"),
}


class CaseQuerySet(AuditedQuerySet):
    def restrict(self, user, action="view"):
        """The cases ``user`` may ``action`` (view, change, reveal, manage): one query.

        A supervisor may do everything on every case of the teams she supervises (all of
        them with ``supervises_all_teams``); anyone may do what her own guardian rows on a
        case give (assignments, grants, with their expiry); only in an organisation where
        she is an active, vouched member. An inactive or anonymous user gets nothing.
        """
        reach = _reach(user, action)
        return self.none() if reach is None else self.filter(reach)

    def with_actions(self, user):
        """Each case annotated with what ``user`` may do on it, in the same query, so that
        ``case.allows(user, action)`` answers without one (``Case.actions``)."""
        flags = {}
        for action in ACTIONS:
            reach = _reach(user, action)
            flags[_ACTION_FLAG + action] = Value(False) if reach is None else ExpressionWrapper(reach, BooleanField())
        return self.annotate(
            **flags, **{_ACTIONS_USER: Value(getattr(user, "pk", None), output_field=models.IntegerField())}
        )

    def access_directory(self, user):
        """The cases whose access ``user`` manages, for the access directory (codes, teams,
        statuses, assignments and grants: never content): every case of an administrator's
        organisation, the cases of a supervisor's teams, nothing for anyone else.

        The second door, and only for casework.access.views: ``restrict`` stays the only
        one to case content, and gives an administrator nothing.
        """
        if user is None or not user.is_authenticated or not user.is_active or workspace_is_empty(user):
            return self.none()  # frozen, travelling, under duress: a directory with nothing in it
        administers = Membership.objects.active().filter(user_id=user.pk, role=Role.ADMIN).values("organisation_id")
        return self.filter(organisation_id__in=administers) | self.restrict(user, "manage")

    def sorted_as(self, sort):
        """Ordered as the case list's ``sort`` (a key of ``SORTS``)."""
        cases = self.annotate(risk_rank=RISK_RANK) if sort == "risk" else self
        return cases.order_by(*SORTS[sort])

    def open(self):
        return self.exclude(status=CaseStatus.CLOSED)

    def follow_up_overdue(self, today=None):
        return self.open().filter(follow_up_on__lt=today or timezone.localdate())


class Case(SealedModel):
    code = models.CharField(
        _("case code"), max_length=codes.LENGTH, unique=True, default=codes.generate, editable=False
    )
    organisation = models.ForeignKey(
        "access.Organisation", on_delete=models.PROTECT, related_name="cases", verbose_name=_("organisation")
    )
    team = models.ForeignKey("access.Team", on_delete=models.PROTECT, related_name="cases", verbose_name=_("team"))
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_on = models.DateField(_("opened"), default=timezone.localdate)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    risk_level = models.CharField(_("risk"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    gender = models.CharField(_("gender"), max_length=12, choices=Gender.choices, default=Gender.FEMALE)
    nationality = models.CharField(
        _("nationality"), max_length=10, choices=Nationality.choices, default=Nationality.DPRK
    )
    region = models.CharField(_("current region"), max_length=10, choices=Region.choices, default=Region.UNKNOWN)
    # Where she is along her journey: the stage of her latest journey step (JourneyStep),
    # derived by the service that records one, kept here for the case list's filter.
    stage = models.CharField(
        _("journey stage"), max_length=20, choices=JourneyStage.choices, blank=True, default="", editable=False
    )
    exploitation_types = models.JSONField(_("exploitation types"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    intake_source = models.CharField(
        _("intake source"), max_length=10, choices=IntakeSource.choices, default=IntakeSource.OTHER
    )
    # The follow-up set by the latest contact: the next time someone should be in touch.
    follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True, editable=False)
    summary = SealedTextField(
        _("summary"),
        max_length=1000,
        blank=True,
        help_text=_("Short and non-identifying: no names, places, phone numbers or dates of birth."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Which key of the key store (casework.keystore) opens this case's encrypted values: a
    # random reference, so that the store knows neither codes nor anything else of a case.
    key_ref = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Whether a lead caseworker is assigned: derived from the assignments (which are audited)
    # by the access services, kept here so that "open cases without a lead" is read from a
    # small index instead of testing every open case of the organisation for a lead.
    has_lead = models.BooleanField(_("has a lead caseworker"), default=False, editable=False)
    # Opened by accepting a partner organisation's packet (casework.partners): its page then
    # asks for the packet's answers and notices. Never which case it came from.
    from_packet = models.BooleanField(_("opened from a partner's packet"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "code"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        default_permissions = ("add", "change", "view")
        permissions = [
            ("reveal_identity", "Can reveal the identity of the case"),
            ("manage_case", "Can assign, close and grant access to the case"),
        ]
        indexes = [
            models.Index(fields=["organisation", "team", "status"], name="case_org_team_status"),
            # One for each order the case list offers (SORTS), within an organisation: a page is
            # read in order and the database stops after it, never sorting every case.
            models.Index(fields=["organisation", "-opened_on", "code"], name="case_org_newest"),
            models.Index(fields=["organisation", "opened_on", "code"], name="case_org_oldest"),
            models.Index(fields=["organisation", "code"], name="case_org_code"),
            models.Index(
                models.F("organisation"),
                RISK_RANK.desc(),
                models.F("opened_on").desc(),
                models.F("code"),
                name="case_org_risk",
            ),
            # "Follow-ups due" on the home page: open cases by their next follow-up.
            models.Index(
                fields=["organisation", "follow_up_on", "code"],
                condition=Q(follow_up_on__isnull=False) & ~Q(status=CaseStatus.CLOSED),
                name="case_org_follow_up",
            ),
            # The supervisors' "open cases without a lead", oldest first.
            models.Index(
                fields=["organisation", "opened_on", "code"],
                condition=Q(has_lead=False) & ~Q(status=CaseStatus.CLOSED),
                name="case_org_unassigned",
            ),
            # The case list filtered by journey stage, newest first.
            models.Index(fields=["organisation", "stage", "-opened_on", "code"], name="case_org_stage"),
        ]
        constraints = [
            _check("case_status_valid", _in_choices("status", CaseStatus)),
            _check("case_risk_valid", _in_choices("risk_level", RiskLevel)),
            _check("case_stage_valid", Q(stage="") | _in_choices("stage", JourneyStage)),
            _check(
                "case_closed_has_date",
                Q(status=CaseStatus.CLOSED, closed_on__isnull=False)
                | (~Q(status=CaseStatus.CLOSED) & Q(closed_on=None)),
            ),
            _check("case_closed_after_opened", Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on"))),
            _check("case_version_positive", Q(version__gte=1)),
        ]

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.sealing_key(create=True)  # every case has its key from the start
        super().save(*args, **kwargs)

    def __str__(self):
        return self.display_code

    @property
    def display_code(self):
        return codes.display(self.code)

    def languages_display(self):
        return [label for value, label in Language.choices if value in (self.languages or [])]

    def allows(self, user, action):
        """Whether ``user`` may ``action`` this case: restrict(), asked about one case, or
        what the query that loaded it found for the same user (``with_actions``)."""
        loaded = self.loaded_actions(user)
        if loaded is None:
            return Case.objects.restrict(user, action).filter(pk=self.pk).exists()
        if action not in ACTIONS:
            raise ValueError(f"Unknown case action {action!r}; expected one of {sorted(ACTIONS)}.")
        return action in loaded

    def actions(self, user):
        """Every action ``user`` may take on this case (a frozenset of ``ACTIONS`` keys), in one query."""
        if getattr(user, "pk", None) is None:
            return frozenset()  # anonymous: nothing, without asking
        loaded = self.loaded_actions(user)
        if loaded is None:
            case = Case.objects.filter(pk=self.pk).with_actions(user).only("pk").first()
            loaded = frozenset() if case is None else case.loaded_actions(user)
        return loaded

    def loaded_actions(self, user):
        """What ``with_actions`` found for ``user`` when this case was loaded; None if it was
        loaded without them, or for someone else."""
        pk = getattr(user, "pk", None)
        if pk is None or getattr(self, _ACTIONS_USER, None) != pk:
            return None
        return frozenset(action for action in ACTIONS if getattr(self, _ACTION_FLAG + action))

    @classmethod
    def from_db(cls, db, field_names, values):
        case = super().from_db(db, field_names, values)
        if "key_ref" in case.__dict__ and "organisation_id" in case.__dict__:
            keystore.remember_case(case.pk, case.key_ref, case.organisation_id)
        return case

    def sealing_key(self, *, create):
        # A key is made only while the case's row is being inserted: never again for a case
        # whose key was destroyed (a write racing its erasure fails instead).
        return keystore.case_key(self.key_ref, self.organisation_id, create=create and self._state.adding)

    def seal_context(self, name):
        return f"case:{self.key_ref}:{name}:v{self.version}"

    def get_additional_data(self):
        """Scope for auditlog's entries about this case: the code, never content."""
        return {"case_code": self.code, "organisation_id": self.organisation_id}


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A user's permission on one case, from an assignment or a grant (``expires_at`` for grants)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta(UserObjectPermissionBase.Meta):
        pass  # guardian's unique (user, permission, content_object) is the lookup index restrict() uses


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """A team-supervisor group's permission on one case of that team.

    Still written (casework.access.services) but no longer read by ``restrict``, which
    takes supervision from the memberships: team scope is what supervision means.
    """

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        pass  # unique (group, permission, content_object) serves restrict()


class CaseAssignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("case"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=10, choices=AssignmentRole.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["-role", "assigned_at"]  # the lead first, then co-workers in the order they joined
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="assignment_once_per_user"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(role=AssignmentRole.LEAD), name="assignment_one_lead_per_case"
            ),
            _check("assignment_role_valid", _in_choices("role", AssignmentRole)),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.user}"

    def get_additional_data(self):
        return self.case.get_additional_data()


class CaseChildQuerySet(AuditedQuerySet):
    def restrict(self, user, action="view"):
        """Records of the cases ``user`` may ``action``: always through the case."""
        reach = _reach(user, action, prefix="case__")
        return self.none() if reach is None else self.filter(reach)


class CaseChild(SealedModel):
    """A record that lives under a case and is looked up only through it, by an opaque id."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = CaseChildQuerySet.as_manager()

    class Meta:
        abstract = True

    def get_additional_data(self):
        return self.case.get_additional_data()

    def sealing_key(self, *, create):
        return keystore.key_of_record(self)  # the case's key, made with the case: never here

    def seal_context(self, name):
        return f"{self._meta.label_lower}:{self.uid}:{name}:v{self.version}"


class ServiceProvider(models.Model):
    organisation = models.ForeignKey(
        "access.Organisation", on_delete=models.PROTECT, related_name="providers", verbose_name=_("organisation")
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    services = models.JSONField(_("services"), default=list, blank=True)
    region = models.CharField(_("region"), max_length=10, choices=Region.choices, default=Region.UNKNOWN)
    secure_channel = models.CharField(_("secure contact channel"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="provider_name_unique_in_org")]

    def __str__(self):
        return self.name

    def get_additional_data(self):
        return {"organisation_id": self.organisation_id}


UNRESOLVED_NEED = (NeedStatus.IDENTIFIED, NeedStatus.IN_PROGRESS)


class SupportNeedQuerySet(CaseChildQuerySet):
    def unresolved(self):
        return self.filter(status__in=UNRESOLVED_NEED)

    def overdue(self, today=None):
        return self.unresolved().filter(due_on__lt=today or timezone.localdate())


class SupportNeed(CaseChild):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs", verbose_name=_("case"))
    category = models.CharField(_("category"), max_length=20, choices=ServiceType.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(_("status"), max_length=12, choices=NeedStatus.choices, default=NeedStatus.IDENTIFIED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    identified_on = models.DateField(_("identified"), default=timezone.localdate)
    due_on = models.DateField(_("due"), null=True, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    outcome_notes = SealedTextField(_("outcome notes"), max_length=2000, blank=True)

    objects = SupportNeedQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_on", "created_at"]
        verbose_name = _("support need")
        verbose_name_plural = _("support needs")
        indexes = [
            # "Urgent needs" on the home page: open high and urgent needs, soonest due first.
            models.Index(
                fields=["due_on", "created_at"],
                condition=Q(status__in=UNRESOLVED_NEED, urgency__in=[Urgency.HIGH, Urgency.URGENT]),
                name="need_open_urgent_by_due",
            ),
        ]
        constraints = [
            _check("need_category_valid", _in_choices("category", ServiceType)),
            _check("need_urgency_valid", _in_choices("urgency", Urgency)),
            _check("need_status_valid", _in_choices("status", NeedStatus)),
            _check("need_due_after_identified", Q(due_on__isnull=True) | Q(due_on__gte=models.F("identified_on"))),
        ]

    def __str__(self):
        return f"{self.get_category_display()} ({self.get_status_display()})"

    @property
    def is_unresolved(self):
        return self.status in UNRESOLVED_NEED

    @property
    def is_overdue(self):
        return self.is_unresolved and self.due_on is not None and self.due_on < timezone.localdate()


class Referral(CaseChild):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("case"))
    provider = models.ForeignKey(
        ServiceProvider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("provider"),
    )
    external_provider = SealedTextField(_("other provider"), max_length=200, blank=True, single_line=True)
    # A partner organisation on this server (or a remote one it knows): what is shared
    # travels as a packet (casework.partners), never by hand.
    partner = models.ForeignKey(
        "access.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner organisation"),
    )
    service_type = models.CharField(_("service"), max_length=20, choices=ServiceType.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT)
    needs = models.ManyToManyField(SupportNeed, blank=True, related_name="referrals", verbose_name=_("needs"))
    sent_on = models.DateField(_("sent"), null=True, blank=True)
    responded_on = models.DateField(_("answered"), null=True, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    # The consent the referral rests on. Nothing is sent without it.
    consent_given_by = models.CharField(_("consent given by"), max_length=20, choices=ConsentGiver.choices, blank=True)
    consent_given_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_method = models.CharField(_("consent method"), max_length=20, choices=ConsentMethod.choices, blank=True)
    # What she agreed may be shared: categories of data (ShareCategory), which the server
    # checks a packet against. Referrals recorded before categories kept it as text.
    consent_scope = models.JSONField(_("consent to share"), default=list, blank=True)
    consent_scope_note = SealedTextField(
        _("consent to share (as written before categories)"),
        max_length=500,
        blank=True,
        editable=False,
        single_line=True,
    )
    consent_recipient = SealedTextField(_("consent to share with"), max_length=200, blank=True, single_line=True)
    consent_expires_on = models.DateField(_("consent expires"), null=True, blank=True)
    consent_witness = SealedTextField(
        _("witness"),
        max_length=200,
        blank=True,
        single_line=True,
        help_text=_("For verbal consent: the witness's role, never a name (for example: interpreter)."),
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )
    consent_withdrawn_on = models.DateField(_("consent withdrawn"), null=True, blank=True)
    next_step = SealedTextField(_("next step"), max_length=200, blank=True, single_line=True)
    data_shared = SealedTextField(_("data shared"), max_length=500, blank=True, single_line=True)
    outcome = SealedTextField(_("outcome"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            # "Awaiting an answer" on the home page: sent referrals, longest waiting first.
            models.Index(
                fields=["sent_on", "created_at"], condition=Q(status=ReferralStatus.SENT), name="referral_sent_waiting"
            ),
        ]
        constraints = [
            _check("referral_status_valid", _in_choices("status", ReferralStatus)),
            _check("referral_service_valid", _in_choices("service_type", ServiceType)),
            _check(
                "referral_one_provider",
                (Q(provider__isnull=False) & Q(external_provider="") & Q(partner__isnull=True))
                | (Q(provider__isnull=True) & ~Q(external_provider="") & Q(partner__isnull=True))
                | (Q(provider__isnull=True) & Q(external_provider="") & Q(partner__isnull=False)),
            ),
            _check(
                "referral_sent_needs_consent",
                Q(status=ReferralStatus.DRAFT)
                | (Q(consent_given_on__isnull=False) & ~Q(consent_given_by="") & ~Q(consent_method="")),
            ),
            _check(
                "referral_verbal_consent_has_witness",
                ~Q(consent_method=ConsentMethod.VERBAL_WITNESSED) | ~Q(consent_witness=""),
            ),
            _check(
                "referral_consent_expiry_after_given",
                Q(consent_expires_on__isnull=True) | Q(consent_expires_on__gte=models.F("consent_given_on")),
            ),
        ]

    def __str__(self):
        return f"{self.get_service_type_display()} ({self.get_status_display()})"

    @property
    def recipient_name(self):
        """Whom it goes to: the provider, the other provider named, or the partner organisation."""
        if self.partner_id is not None:
            return self.partner.name
        return self.provider.name if self.provider_id is not None else self.external_provider

    def consent_covers(self):
        """The categories of her consent, as labels, in the catalogue's order."""
        return [label for value, label in ShareCategory.choices if value in (self.consent_scope or [])]


class ReferralStep(SealedModel):
    """One move of a referral through its workflow: to which status, on which day, by whom
    (a person of the case's organisation, or a partner organisation answering a packet)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # what its note is bound to
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="steps", verbose_name=_("referral"))
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices)
    on = models.DateField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    by_organisation = models.ForeignKey(
        "access.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by the partner organisation"),
    )
    at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    note = SealedTextField(_("note"), max_length=300, blank=True, single_line=True)

    objects = AuditedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("referral step")
        verbose_name_plural = _("referral steps")
        constraints = [
            _check("referral_step_status_valid", _in_choices("status", ReferralStatus)),
            _check(
                "referral_step_one_author",
                (Q(by__isnull=False) & Q(by_organisation__isnull=True))
                | (Q(by__isnull=True) & Q(by_organisation__isnull=False)),
            ),
        ]

    def __str__(self):
        return self.get_status_display()

    @property
    def author(self):
        """Who made the move: a person, or the partner organisation that answered."""
        return self.by if self.by_id is not None else self.by_organisation

    def get_additional_data(self):
        return self.referral.get_additional_data()

    def sealing_key(self, *, create):
        return self.referral.sealing_key(create=False)

    def seal_context(self, name):
        # A step is never edited: bound to itself and its field.
        return f"cases.referralstep:{self.uid}:{name}"


class Contact(CaseChild):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("case"))
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=ContactChannel.choices)
    place = SealedTextField(
        _("place"),
        max_length=100,
        blank=True,
        single_line=True,
        help_text=_("Coarse only: a region or a kind of place, never an address."),
    )
    participants = models.JSONField(_("who took part"), default=list, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=ContactPurpose.choices)
    notes = SealedTextField(_("notes"), max_length=5000, blank=True)
    safety_concern = models.BooleanField(_("safety concern"), default=False)
    follow_up_on = models.DateField(_("follow-up due"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]  # newest first; a tie never skips or repeats one across pages
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            _check("contact_channel_valid", _in_choices("channel", ContactChannel)),
            _check("contact_purpose_valid", _in_choices("purpose", ContactPurpose)),
            _check(
                "contact_duration_sane",
                Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=24 * 60),
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} ({self.get_purpose_display()})"


class JourneyStep(CaseChild):
    """A dated step along her journey: the stage she reached, on which day, in which region
    (a province or a country, never finer). Steps are added, never edited: the journey is
    their list in date order, and the case's ``stage`` and ``region`` are its latest."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="journey", verbose_name=_("case"))
    stage = models.CharField(_("stage"), max_length=20, choices=JourneyStage.choices)
    region = models.CharField(_("region"), max_length=10, choices=Region.choices, default=Region.UNKNOWN)
    started_on = models.DateField(_("from"))

    class Meta:
        ordering = ["-started_on", "-pk"]  # newest first
        verbose_name = _("journey step")
        verbose_name_plural = _("journey steps")
        indexes = [
            models.Index(fields=["case", "-started_on"], name="journey_case_newest"),
            # Reports: the steps reached in a period, by stage.
            models.Index(fields=["stage", "started_on"], name="journey_stage_on"),
        ]
        constraints = [
            _check("journey_stage_valid", _in_choices("stage", JourneyStage)),
            _check("journey_region_valid", _in_choices("region", Region)),
        ]

    def __str__(self):
        return self.get_stage_display()
