"""Teams: who works in each and who supervises it. Moving a person between teams never
moves her cases by itself; the administrator sees what will change and decides."""

from typing import TypedDict

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from casework.access.models import Membership, Organisation, Role, Team
from casework.access.services.cases import case_unassign
from casework.access.services.people import _require_active, _set_teams, membership_set_teams
from casework.access.services.permissions import require_admin
from casework.audit import events
from casework.audit.services import record
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case, CaseAssignment


class MoveRow(TypedDict):
    """One case of a move preview: her role on it and who else works on it."""

    case: Case
    role: str
    left_without_lead: bool
    others: list[CaseAssignment]


class MovePreview(TypedDict):
    from_team: Team
    to_team: Team
    cases: list[MoveRow]


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the team a name."))
    return name


@transaction.atomic
def team_create(*, by: User | None, organisation: Organisation, name: str, slug: str | None = None) -> Team:
    name = _clean_name(name)
    require_admin(by, organisation.pk)
    slug = slug or slugify(name) or "team"
    if Team.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError(_("There is already a team with that name."))
    base, n = slug[:45], 2
    while Team.objects.filter(organisation=organisation, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    group = Group.objects.create(name=f"team-supervisors:{organisation.slug}:{slug}")
    team = Team.objects.create(organisation=organisation, name=name, slug=slug, supervisor_group=group)
    for membership in Membership.objects.active().filter(organisation=organisation, supervises_all_teams=True):
        membership.user.groups.add(group)
    record(event=events.TEAM_CREATE, actor=by, target=team, organisation=organisation)
    return team


@transaction.atomic
def team_rename(*, by: User | None, team: Team, name: str) -> Team:
    name = _clean_name(name)
    require_admin(by, team.organisation_id)
    if Team.objects.filter(organisation_id=team.organisation_id, name__iexact=name).exclude(pk=team.pk).exists():
        raise ValidationError(_("There is already a team with that name."))
    previous, team.name = team.name, name
    team.save(update_fields=["name"])
    record(
        event=events.TEAM_RENAME,
        actor=by,
        target=team,
        organisation=team.organisation_id,
        details={"from": previous, "to": name},
    )
    return team


@transaction.atomic
def team_supervisor_add(*, by: User | None, team: Team, membership: Membership) -> Membership:
    if membership.role != Role.SUPERVISOR:
        raise ValidationError(_("Only supervisors supervise teams. Change the person's role first."))
    if membership.supervises_all_teams:
        raise ValidationError(_("This person already supervises every team."))
    supervised = set(membership.supervised_teams.all()) | {team}
    return membership_set_teams(
        by=by, membership=membership, teams=list(membership.teams.all()), supervised_teams=list(supervised)
    )


@transaction.atomic
def team_supervisor_remove(*, by: User | None, team: Team, membership: Membership) -> Membership:
    if membership.supervises_all_teams:
        raise ValidationError(_("This person supervises every team; change that on her page."))
    supervised = set(membership.supervised_teams.all()) - {team}
    return membership_set_teams(
        by=by, membership=membership, teams=list(membership.teams.all()), supervised_teams=list(supervised)
    )


@transaction.atomic
def team_member_add(*, by: User | None, team: Team, membership: Membership) -> Membership:
    if membership.role == Role.ADMIN:
        raise ValidationError(_("Administrators do not work in teams."))
    return membership_set_teams(
        by=by,
        membership=membership,
        teams=list(set(membership.teams.all()) | {team}),
        supervised_teams=list(membership.supervised_teams.all()),
        supervises_all_teams=membership.supervises_all_teams,
    )


def move_preview(membership: Membership, from_team: Team, to_team: Team) -> MovePreview:
    """What moving a person from ``from_team`` to ``to_team`` changes, before it happens.

    Her assignments do not follow her: the cases of ``from_team`` she works on stay in that
    team, under its supervisors, and she keeps working on them unless the administrator
    also chooses to take her off them. She gains no case of ``to_team`` by joining it.
    """
    cases = (
        Case.objects.filter(assignments__user=membership.user, team=from_team)
        .prefetch_related("assignments__user")
        .order_by("code")
    )
    rows: list[MoveRow] = []
    for case in cases:
        mine = next(a for a in case.assignments.all() if a.user_id == membership.user_id)
        others = [a for a in case.assignments.all() if a.user_id != membership.user_id]
        rows.append(
            {"case": case, "role": mine.role, "left_without_lead": mine.role == AssignmentRole.LEAD, "others": others}
        )
    return {"from_team": from_team, "to_team": to_team, "cases": rows}


@transaction.atomic
def team_member_move(
    *,
    by: User,
    membership: Membership,
    from_team: Team,
    to_team: Team,
    unassign: bool = False,
    reason: str = "",
) -> list[Case]:
    """Move a person from one team to another. With ``unassign`` she is also taken off the
    cases of ``from_team`` she works on (each recorded as ``case.unassign``), and they are
    returned for reassignment; without it, her assignments stay exactly as they are."""
    require_admin(by, membership.organisation_id)
    _require_active(membership)
    if from_team.organisation_id != membership.organisation_id or to_team.organisation_id != from_team.organisation_id:
        raise ValidationError(_("Teams must belong to the person's organisation."))
    teams = set(membership.teams.all())
    if from_team not in teams:
        raise ValidationError(_("This person is not a member of that team."))
    if from_team == to_team:
        raise ValidationError(_("Choose a different team."))
    preview = move_preview(membership, from_team, to_team)
    _set_teams(
        membership,
        list((teams - {from_team}) | {to_team}),
        list(membership.supervised_teams.all()),
        membership.supervises_all_teams,
    )
    record(
        event=events.MEMBERSHIP_MOVE,
        actor=by,
        target=membership.user,
        organisation=membership.organisation_id,
        reason=reason,
        details={"from": from_team.slug, "to": to_team.slug, "unassign": bool(unassign)},
    )
    if unassign:
        for row in preview["cases"]:
            case_unassign(by=by, case=row["case"], user=membership.user, reason=reason)
    return [row["case"] for row in preview["cases"]] if unassign else []


@transaction.atomic
def team_member_remove(*, by: User | None, team: Team, membership: Membership) -> Membership:
    """Take a person out of a team. Like a move, her case assignments stay."""
    return membership_set_teams(
        by=by,
        membership=membership,
        teams=list(set(membership.teams.all()) - {team}),
        supervised_teams=list(membership.supervised_teams.all()),
        supervises_all_teams=membership.supervises_all_teams,
    )
