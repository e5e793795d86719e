"""Who may review which audit entries: the one door to the trail, as restrict() is to cases.

A supervisor reviews her teams: entries about the cases she manages and the acts of the
people who work in the teams she supervises. An administrator reviews access management
and sign-ins, never case reads, reveals or exports. Nobody sees another organisation.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import CharField, Count, Q
from django.db.models.functions import Cast
from django.utils import timezone

from casework.access.models import Membership, Role, Team
from casework.audit.models import AuditEntry, Outcome
from casework.cases import codes
from casework.cases.models import Case

# Access-management and sign-in events: what an administrator reviews.
ADMIN_EVENT_PREFIXES = (
    "login.",
    "logout",
    "session.",
    "otp.",
    "password.",
    "membership.",
    "team.",
    "organisation.",
    "grant.",
    "user.",
    "access.",
    # Exports hold no identity and no free text; that they happened is for admins to see.
    "export.",
)
ADMIN_EVENTS = (
    "case.assign",
    "case.unassign",
    "caseassignment.create",
    "caseassignment.update",
    "caseassignment.delete",
)
# Who joins the organisation and who gains reach over cases: in EVERY supervisor's trail,
# whatever team it is about (or none), so that an account an administrator makes cannot
# stay out of sight by belonging to no team.
SUPERVISOR_ORGANISATION_EVENTS = (
    "user.create",
    "membership.add",
    "membership.role",
    "membership.teams",
    "access.request",
    "access.confirm",
    "access.refuse",
    "access.vouch",
    "access.unvouch",
    "access.bootstrap_supervisor",
)
PAGE_SIZE = 50
# Model-change entries (auditlog's registry) carry a diff; only its field names are ever shown.
MODEL_CHANGES = (AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE)
# Details that repeat a column, or a whole list of codes, are summarised or left out.
HIDDEN_DETAILS = {"organisation_id", "case_code"}
LIST_SHOWN = 5


@dataclass(frozen=True)
class Reviewer:
    user_id: int
    organisation_id: int
    role: str
    supervises_all_teams: bool
    membership_id: int

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    def supervised_teams(self):
        """The teams she supervises, as a subquery."""
        if self.supervises_all_teams:
            return Team.objects.filter(organisation_id=self.organisation_id).values("pk")
        return Team.objects.filter(supervisors__pk=self.membership_id).values("pk")

    def team_members(self):
        """Everyone who works (or worked: memberships active or not) in a team she supervises."""
        return Membership.objects.filter(
            organisation_id=self.organisation_id, teams__in=self.supervised_teams()
        ).values("user_id")


def reviewer(user):
    """The review role of ``user`` (an active supervisor or administrator), or None.

    One query, remembered on the user object for the rest of the request.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, "_casework_reviewer"):
        membership = (
            Membership.objects.active()
            .filter(user_id=user.pk, role__in=[Role.SUPERVISOR, Role.ADMIN])
            .values("pk", "organisation_id", "role", "supervises_all_teams", "vouched_at")
            .first()
        )
        if membership and membership["role"] == Role.SUPERVISOR and membership["vouched_at"] is None:
            membership = None  # a supervisor nobody has vouched for yet reviews nothing
        user._casework_reviewer = (
            Reviewer(
                user_id=user.pk,
                organisation_id=membership["organisation_id"],
                role=membership["role"],
                supervises_all_teams=membership["supervises_all_teams"],
                membership_id=membership["pk"],
            )
            if membership
            else None
        )
    return user._casework_reviewer


def admin_events():
    condition = Q(event__in=ADMIN_EVENTS)
    for prefix in ADMIN_EVENT_PREFIXES:
        condition |= Q(event__startswith=prefix)
    return condition


def entries_for(user):
    """The audit entries ``user`` may review, or None if she reviews nothing (then every
    review page answers 404). Lazy: the scope is subqueries inside the one entry query."""
    role = reviewer(user)
    if role is None:
        return None
    entries = AuditEntry.objects.filter(organisation_id=role.organisation_id)
    if role.is_admin:
        return entries.filter(admin_events())
    managed = Case.objects.restrict(user, "manage").values("code")
    # What administrators did to her people (role, teams, deactivation ...): the entry's subject is the person.
    members = role.team_members().annotate(pk_text=Cast("user_id", CharField())).values("pk_text")
    about_members = Q(content_type__app_label="auth", content_type__model="user", object_pk__in=members)
    # Not a request about a case outside her teams: that one is in its case's supervisors' trail.
    organisation_wide = Q(event__in=SUPERVISOR_ORGANISATION_EVENTS, case_code="")
    return entries.filter(
        Q(case_code__in=managed) | Q(actor_id__in=role.team_members()) | about_members | organisation_wide
    )


def manageable_codes(user, case_codes):
    """Which of ``case_codes`` ``user`` may manage (and so follow to their timeline): one query."""
    case_codes = {code for code in case_codes if code}
    if not case_codes:
        return set()
    return set(Case.objects.restrict(user, "manage").filter(code__in=case_codes).values_list("code", flat=True))


def may_review_case(user, code):
    role = reviewer(user)
    if role is None or role.is_admin or not code:
        return False
    return Case.objects.restrict(user, "manage").filter(code=code).exists()


def person_in_scope(user, username):
    """The member of her organisation whose activity ``user`` may review, or None: for a
    supervisor someone working in a team she supervises, for an administrator any member."""
    role = reviewer(user)
    if role is None:
        return None
    people = get_user_model().objects.filter(username=username, memberships__organisation_id=role.organisation_id)
    if not role.is_admin:
        people = people.filter(pk__in=role.team_members())
    return people.first()


def filtered(entries, *, user=None, code=None, event=None, outcome=None, date_from=None, date_to=None):
    """``entries`` narrowed by the trail's filters (each optional); dates are local dates."""
    if user:
        entries = entries.filter(actor__username=user)
    if code:
        entries = entries.filter(case_code=code)
    if event:
        entries = entries.filter(event__startswith=event)
    if outcome:
        entries = entries.filter(outcome=outcome)
    if date_from:
        entries = entries.filter(timestamp__gte=local_midnight(date_from))
    if date_to:
        entries = entries.filter(timestamp__lt=local_midnight(date_to + timedelta(days=1)))
    return entries


def local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def page_of(entries, before=None, size=PAGE_SIZE):
    """Newest first, ``size`` entries older than seq ``before``; and the seq to continue from
    (None on the last page). Keyset pagination: no OFFSET, no COUNT over the whole trail."""
    if before:
        entries = entries.filter(seq__lt=before)
    rows = list(entries.select_related("actor").order_by("-seq")[: size + 1])
    older = rows[size - 1].seq if len(rows) > size else None
    return rows[:size], older


def details(entry):
    """What an entry adds to its columns, compactly: its details' keys and short values,
    and for a model change the names of the changed fields (never their values)."""
    shown = {}
    for key, value in sorted((entry.additional_data or {}).items()):
        if key in HIDDEN_DETAILS:
            continue
        if isinstance(value, list | tuple):
            more = f", … +{len(value) - LIST_SHOWN}" if len(value) > LIST_SHOWN else ""
            value = ", ".join(map(str, value[:LIST_SHOWN])) + more
        elif isinstance(value, dict):
            value = ", ".join(sorted(map(str, value)))
        shown[key] = str(value)
    if entry.action in MODEL_CHANGES:
        shown["changed"] = ", ".join(sorted(changed_fields(entry)))
    return shown


def changed_fields(entry):
    changes = entry.changes_dict if entry.changes else {}
    return list(changes) if isinstance(changes, dict) else []


def export_details(entry):
    """The details of an entry for the CSV: as stored, without the changed values."""
    data = {key: value for key, value in (entry.additional_data or {}).items() if key not in HIDDEN_DETAILS}
    if entry.action in MODEL_CHANGES:
        data["changed"] = sorted(changed_fields(entry))
    return data


def with_details(entries):
    for entry in entries:
        entry.detail_items = details(entry)
        entry.display_code = codes.display(entry.case_code) if entry.case_code else ""
    return entries


def activity_counts(entries, since):
    """What someone did since ``since``, counted by kind in one query: cases opened,
    identities revealed, records changed, other acts, and requests refused."""
    ok = Q(outcome=Outcome.OK)
    reads = ("case.view", "identity.reveal")
    return entries.filter(timestamp__gte=since).aggregate(
        opened=Count("pk", filter=ok & Q(event="case.view")),
        revealed=Count("pk", filter=ok & Q(event="identity.reveal")),
        changed=Count("pk", filter=ok & Q(action__in=MODEL_CHANGES)),
        other=Count("pk", filter=ok & Q(action=AuditEntry.Action.ACCESS) & ~Q(event__in=reads)),
        refused=Count("pk", filter=Q(outcome=Outcome.DENIED)),
    )
