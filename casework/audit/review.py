"""Who may review which audit entries: the one door to the trail, as restrict() is to cases.

A supervisor reviews her teams: entries about the cases she manages and the acts of the
people who work in the teams she supervises. An administrator reviews access management,
sign-ins and exports, never case reads or reveals. Which events each of them reviews is
the catalogue's ``reviewer`` (casework.audit.events). Nobody sees another organisation.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast
from django.utils import timezone

from casework import keys
from casework.access.models import Membership, Role, Team, active_membership
from casework.accounts.models import workspace_is_empty
from casework.audit import describe, events
from casework.audit.describe import MODEL_CHANGES
from casework.audit.models import AuditEntry, Outcome, WeekReview
from casework.cases.models import Case

# What someone's act told the system about data she may not see (her text quoted an
# identity, her typing matched another case): never shown back to her, in any view.
QUIET_EVENTS = (events.IDENTITY_IN_TEXT.name, events.IDENTITY_DUPLICATE.name, "duplicatealert.create")
# Who joins the organisation and who gains reach over cases: in EVERY supervisor's trail,
# whatever team it is about (or none), so that an account an administrator makes cannot
# stay out of sight by belonging to no team.
SUPERVISOR_ORGANISATION_EVENTS = (
    events.USER_CREATE.name,
    events.MEMBERSHIP_ADD.name,
    events.MEMBERSHIP_ROLE.name,
    events.MEMBERSHIP_TEAMS.name,
    events.ACCESS_REQUEST.name,
    events.ACCESS_CONFIRM.name,
    events.ACCESS_REFUSE.name,
    events.ACCESS_VOUCH.name,
    events.ACCESS_UNVOUCH.name,
    events.ACCESS_BOOTSTRAP_SUPERVISOR.name,
)
# Switching a supervisor off and on again (her whole reach comes back at once): in every
# supervisor's trail too, when the entry says the person was a supervisor then. Other
# people's are for the supervisors of their teams (``about_members``).
SUPERVISOR_SWITCH_EVENTS = (
    events.MEMBERSHIP_DEACTIVATE.name,
    events.MEMBERSHIP_REACTIVATE.name,
    events.MEMBERSHIP_OFFBOARD.name,
)
# What protects an account (casework.accounts.protection), each about the person protected.
PROTECTION_EVENTS = (
    events.ACCOUNT_FREEZE.name,
    events.ACCOUNT_UNFREEZE.name,
    events.ACCOUNT_TRAVEL.name,
    events.ACCOUNT_TRAVEL_END.name,
    events.ACCOUNT_DURESS.name,
    events.ACCOUNT_DURESS_PASSWORD.name,
    events.ACCOUNT_DEVICE_LOST.name,
    events.ACCOUNT_CHANGE_REFUSED.name,
    events.ACCOUNT_SESSION_ENDED.name,
)
PAGE_SIZE = 50
# Details that repeat a column are left out of the export.
HIDDEN_DETAILS = {"organisation_id", "case_code"}


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

    def fellow_supervisors(self):
        """The organisation's other supervisors and its administrators: neither is a member of
        a team, yet what protects their accounts (a duress sign-in above all) must reach
        someone, and who may lift it depends on who else supervises
        (casework.accounts.protection.may_protect): every other supervisor hears of it."""
        roles = (Role.SUPERVISOR, Role.ADMIN)
        supervisors = Membership.objects.filter(organisation_id=self.organisation_id, role__in=roles)
        return supervisors.exclude(pk=self.membership_id).values("user_id")


def reviewer(user, *, as_offered=False):
    """The review role of ``user`` (an active supervisor or administrator), or None.

    Read from her membership, which came with the user of a request (no query then).
    ``as_offered``: the role the navigation offers, which does not change when her
    workspace is emptied (frozen, travelling, under duress): the menu of a supervisor stays
    a supervisor's, and only the pages themselves answer as for someone with nothing.
    """
    membership = active_membership(user)
    if membership is None or membership.role not in (Role.SUPERVISOR, Role.ADMIN):
        return None
    if membership.role == Role.SUPERVISOR and not membership.is_vouched:
        return None  # a supervisor nobody has vouched for yet reviews nothing
    if not as_offered and workspace_is_empty(user):
        return None  # frozen, travelling, under duress: no trail, her own protections least of all
    return Reviewer(
        user_id=user.pk,
        organisation_id=membership.organisation_id,
        role=membership.role,
        supervises_all_teams=membership.supervises_all_teams,
        membership_id=membership.pk,
    )


def entries_for(user):
    """The audit entries ``user`` may review, or None if she reviews nothing (then every
    review page answers 404); none at all while her workspace is emptied (frozen, travelling,
    under duress: her pages open as on any day, with an empty trail). Lazy: the scope is
    subqueries inside the one entry query."""
    role = reviewer(user, as_offered=True)
    if role is None:
        return None
    if workspace_is_empty(user):
        return AuditEntry.objects.none()
    # The catalogue says who reviews each event; a name it does not know is shown to nobody.
    entries = AuditEntry.objects.filter(
        organisation_id=role.organisation_id, event__in=events.names(reviewer=role.role)
    ).exclude(event__in=QUIET_EVENTS, actor_id=role.user_id)
    if role.is_admin:
        return entries
    # Each entry is tested on its own (correlated EXISTS: one index probe each), never against
    # the list of every case she manages or every member of her teams: the trail is then
    # walked newest first within the organisation and stops after one page.
    managed = about_one_of(Case.objects.restrict(user, "manage"))
    by_member = Exists(role.team_members().filter(user_id=OuterRef("actor_id")))
    # What administrators did to her people (role, teams, deactivation ...): the entry's subject is the person.
    members = role.team_members().annotate(pk_text=Cast("user_id", CharField())).values("pk_text")
    about_members = Q(content_type=ContentType.objects.get_for_model(get_user_model()), object_pk__in=members)
    # A fellow supervisor's protections (frozen, travelling, a duress sign-in): her supervisors' too.
    fellows = role.fellow_supervisors().annotate(pk_text=Cast("user_id", CharField())).values("pk_text")
    about_members |= Q(
        event__in=PROTECTION_EVENTS,
        content_type=ContentType.objects.get_for_model(get_user_model()),
        object_pk__in=fellows,
    )
    # Not a request about a case outside her teams: that one is in its case's supervisors' trail.
    organisation_wide = Q(event__in=SUPERVISOR_ORGANISATION_EVENTS, case_code="")
    organisation_wide |= Q(event__in=SUPERVISOR_SWITCH_EVENTS, case_code="", additional_data__role=Role.SUPERVISOR)
    # What a hit of the guard or of duplicate detection says is about the case: only its own
    # supervisors hear of it, never the writer's (with her, they would have an oracle).
    # (The case is tested once: "in scope and not (quiet and not managed)" is this.)
    return entries.filter(
        Q(managed) | (~Q(event__in=QUIET_EVENTS) & (Q(by_member) | about_members | organisation_wide))
    )


def about_one_of(cases):
    """Entries about one of ``cases`` (a case queryset), as an EXISTS on the entry's case
    code: asked entry by entry, so that a query over the trail can stop after a page
    whatever the number of cases, instead of listing them all first."""
    return Exists(cases.filter(code=OuterRef("case_code")))


def manageable_codes(user, case_codes):
    """Which of ``case_codes`` ``user`` may manage (and so follow to their timeline): one query."""
    case_codes = {code for code in case_codes if code}
    if not case_codes:
        return set()
    return set(Case.objects.restrict(user, "manage").filter(code__in=case_codes).values_list("code", flat=True))


def withhold_outside_teams(user, entries, inside=None):
    """``entries`` as a supervisor may read them: for a case outside the teams she manages
    (a member of hers acting on another team's case under a grant), that the act happened,
    by whom, when and with what outcome, but not its reason nor its details (a reveal's
    purpose is that other team's business). ``inside``: the manageable codes, if known.

    Administrators review access management in their whole organisation: left as they are.
    The entries are changed in memory only (an entry is never saved twice)."""
    role = reviewer(user)
    if role is None or role.is_admin:
        return entries
    if inside is None:
        inside = manageable_codes(user, {entry.case_code for entry in entries})
    offboarded = [entry for entry in entries if entry.event == events.MEMBERSHIP_OFFBOARD.name]
    listed = manageable_codes(user, {code for entry in offboarded for code in _offboard_codes(entry)})
    for entry in entries:
        if entry.case_code and entry.case_code not in inside:
            entry.reason, entry.additional_data = "", None
    for entry in offboarded:
        # An off-boarding lists her cases: a supervisor hears only of those she manages.
        if _offboard_codes(entry):
            kept = [code for code in _offboard_codes(entry) if code in listed]
            entry.additional_data = {**entry.additional_data, "cases": kept}
    return entries


def _offboard_codes(entry):
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    codes = data.get("cases")
    return [code for code in codes if isinstance(code, str)] if isinstance(codes, list) else []


def may_review_case(user, code):
    role = reviewer(user)
    if role is None or role.is_admin or not code:
        return False
    return Case.objects.restrict(user, "manage").filter(code=code).exists()


def person_in_scope(user, username):
    """The member of her organisation whose activity ``user`` may review, or None: for a
    supervisor someone working in a team she supervises, for an administrator any member.
    While her workspace is emptied, nobody: an administrator herself alone (her People list
    holds only her, and her page opens with nothing in it)."""
    role = reviewer(user, as_offered=True)
    if role is None:
        return None
    if workspace_is_empty(user):
        return user if role.is_admin and username == user.get_username() else None
    people = get_user_model().objects.filter(username=username, membership__organisation_id=role.organisation_id)
    if not role.is_admin:
        people = people.filter(pk__in=role.team_members())
    return people.first()


def filtered(entries, *, user=None, code=None, event=None, outcome=None, date_from=None, date_to=None):
    """``entries`` narrowed by the trail's filters (each optional); dates are local dates."""
    if user:
        # Her id first (usernames are unique), so that her entries are read by her index.
        entries = entries.filter(actor_id=Subquery(get_user_model().objects.filter(username=user).values("pk")))
    if code:
        entries = entries.filter(case_code=code)
    if event:
        entries = entries.filter(event=event)
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
    """Newest first, ``size`` entries older than seq ``before``; and a sealed cursor to
    continue from (None on the last page). Keyset pagination: no OFFSET, no COUNT over the
    whole trail. The cursor never shows the seq (see casework.keys.seal_number)."""
    if before:
        entries = entries.filter(seq__lt=before)
    rows = list(entries.select_related("actor").order_by("-seq")[: size + 1])
    older = keys.seal_number(keys.AUDIT_REFERENCE, rows[size - 1].seq) if len(rows) > size else None
    return rows[:size], older


def export_details(entry):
    """The details of an entry for the CSV: as stored, without the changed values."""
    data = {key: value for key, value in (entry.additional_data or {}).items() if key not in HIDDEN_DETAILS}
    # Model-change entries (auditlog's registry) carry a diff; only its field names are ever exported.
    if entry.action in MODEL_CHANGES:
        data["changed"] = sorted(describe.changed_fields(entry))
    return data


def activity_counts(entries, since, until=None):
    """What someone did from ``since`` (until ``until``), counted by kind in one query: cases
    opened (distinct), identities revealed, exports, records changed, other acts, and refusals."""
    ok = Q(outcome=Outcome.OK)
    reads = (events.CASE_VIEW.name, events.IDENTITY_REVEAL.name)
    if until is not None:
        entries = entries.filter(timestamp__lt=until)
    return entries.filter(timestamp__gte=since).aggregate(
        opened=Count("case_code", distinct=True, filter=ok & Q(event=events.CASE_VIEW.name)),
        revealed=Count("pk", filter=ok & Q(event=events.IDENTITY_REVEAL.name)),
        exported=Count("pk", filter=ok & Q(event__in=events.names(kind=events.EXPORT))),
        changed=Count("pk", filter=ok & Q(action__in=MODEL_CHANGES)),
        other=Count("pk", filter=ok & Q(action=AuditEntry.Action.ACCESS) & ~Q(event__in=reads)),
        refused=Count("pk", filter=Q(outcome=Outcome.DENIED)),
    )


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: the unit a supervisor marks reviewed."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date) -> tuple[datetime, datetime]:
    """The week starting ``monday``, local time, as [start, end)."""
    return local_midnight(monday), local_midnight(monday + timedelta(days=7))


def last_week_unreviewed(user) -> date | None:
    """The Monday of last week if ``user`` (a supervisor: the caller knows) has not marked
    it reviewed, else None: her home page reminds her. One query. While her workspace is
    emptied she has marked nothing, as the week's page then says too."""
    monday = week_start(timezone.localdate()) - timedelta(days=7)
    if workspace_is_empty(user):
        return monday
    marked = WeekReview.objects.filter(reviewed_by_id=user.pk, week=monday).exists()
    return None if marked else monday
