"""Access services: the only code that writes memberships, assignments, grants and the
guardian permission rows derived from them.

The rows are never edited piecemeal. After any change, ``sync_case_user`` recomputes
one user's rows on one case from the facts (assignment, current grants), and team
supervision lives in one guardian group per team that holds every case of the team.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import Grant, GrantLevel, Membership, Role, Team
from casework.accounts.sessions import end_sessions
from casework.audit.services import record
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case, CaseAssignment, CaseGroupObjectPermission, CaseUserObjectPermission

SUPERVISOR_PERMISSIONS = ("view_case", "change_case", "reveal_identity", "manage_case")
ASSIGNMENT_PERMISSIONS = {
    AssignmentRole.LEAD: ("view_case", "change_case", "reveal_identity"),
    AssignmentRole.COWORKER: ("view_case", "change_case"),
}
GRANT_PERMISSIONS = {
    GrantLevel.VIEW: ("view_case",),
    GrantLevel.EDIT: ("view_case", "change_case"),
    GrantLevel.REVEAL: ("view_case", "reveal_identity"),
}


def case_permissions():
    """codename → Permission for the case permissions (a handful of rows, read once per call)."""
    return {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="cases", content_type__model="case")
    }


def _active_membership(user, organisation_id):
    return Membership.objects.active().filter(user=user, organisation_id=organisation_id).first()


def _require_case_worker(user, case):
    membership = _active_membership(user, case.organisation_id)
    if membership is None or membership.role == Role.ADMIN:
        raise ValidationError(_("Only an active caseworker or supervisor of this organisation can work on this case."))
    return membership


def _require_manage(by, case):
    if not Case.objects.restrict(by, "manage").filter(pk=case.pk).exists():
        raise PermissionDenied(_("You may not manage access to this case."))


def wanted_permissions(role, grants):
    """codename → expiry (None: permanent) for one user on one case, from her assignment
    ``role`` (or None) and her current ``grants`` as (level, expiry) pairs.

    A permission held permanently (assignment, grant without expiry) has no expiry;
    otherwise it expires with the latest grant that gives it.
    """
    wanted = dict.fromkeys(ASSIGNMENT_PERMISSIONS[role], None) if role else {}
    for level, expires_at in grants:
        for codename in GRANT_PERMISSIONS[level]:
            if codename in wanted and wanted[codename] is None:
                continue
            wanted[codename] = None if expires_at is None else max(expires_at, wanted.get(codename) or expires_at)
    return wanted


def sync_case_user(*, case, user):
    """Make ``user``'s guardian rows on ``case`` exactly what her assignment and current grants give."""
    assignment = CaseAssignment.objects.filter(case=case, user=user).first()
    grants = Grant.objects.current().filter(case=case, user=user).values_list("level", "expires_at")
    wanted = wanted_permissions(assignment.role if assignment else None, grants)
    permissions = case_permissions()
    existing = {
        row.permission.codename: row
        for row in CaseUserObjectPermission.objects.filter(content_object=case, user=user).select_related("permission")
    }
    for codename, row in existing.items():
        if codename not in wanted:
            row.delete()
        elif row.expires_at != wanted[codename]:
            row.expires_at = wanted[codename]
            row.save(update_fields=["expires_at"])
    for codename, expires_at in wanted.items():
        if codename not in existing:
            CaseUserObjectPermission.objects.create(
                content_object=case, user=user, permission=permissions[codename], expires_at=expires_at
            )


# Cases ---------------------------------------------------------------------------


@transaction.atomic
def case_open(*, by, team, lead=None, **profile):
    """Open a case in ``team``. A caseworker opens it for herself and becomes its lead;
    a supervisor of the team may name a lead from the team, or none."""
    membership = _active_membership(by, team.organisation_id)
    if membership is None or membership.role == Role.ADMIN:
        raise PermissionDenied(_("You may not open cases in this team."))
    if membership.role == Role.CASEWORKER:
        if not membership.teams.filter(pk=team.pk).exists():
            raise PermissionDenied(_("You may only open cases in your own team."))
        lead = by
    elif not _supervises(membership, team):
        raise PermissionDenied(_("You may only open cases in a team you supervise."))
    elif lead is not None and not Membership.objects.active().filter(user=lead, teams=team).exists():
        raise ValidationError(_("The lead caseworker must be a member of the case's team."))
    case = Case(organisation_id=team.organisation_id, team=team, created_by=by, **profile)
    case.full_clean()
    case.save()
    permissions = case_permissions()
    for codename in SUPERVISOR_PERMISSIONS:
        CaseGroupObjectPermission.objects.create(
            content_object=case, group_id=team.supervisor_group_id, permission=permissions[codename]
        )
    if lead is not None:
        _assign(by=by, case=case, user=lead, role=AssignmentRole.LEAD)
    record(event="case.open", actor=by, case=case)
    return case


def _supervises(membership, team):
    return membership.role == Role.SUPERVISOR and (
        membership.supervises_all_teams or membership.supervised_teams.filter(pk=team.pk).exists()
    )


def _assign(*, by, case, user, role):
    _require_case_worker(user, case)
    if role == AssignmentRole.LEAD:
        current = CaseAssignment.objects.filter(case=case, role=AssignmentRole.LEAD).exclude(user=user).first()
        if current is not None:
            current.role = AssignmentRole.COWORKER
            current.save(update_fields=["role"])
            sync_case_user(case=case, user=current.user)
    assignment, created = CaseAssignment.objects.get_or_create(
        case=case, user=user, defaults={"role": role, "assigned_by": by}
    )
    if not created and assignment.role != role:
        assignment.role = role
        assignment.save(update_fields=["role"])
    sync_case_user(case=case, user=user)
    return assignment


@transaction.atomic
def case_assign(*, by, case, user, role=AssignmentRole.COWORKER, reason=""):
    """Assign ``user`` to ``case`` as lead (the previous lead becomes a co-worker) or co-worker."""
    _require_manage(by, case)
    assignment = _assign(by=by, case=case, user=user, role=role)
    record(event="case.assign", actor=by, case=case, reason=reason, details={"user": user.username, "role": role})
    return assignment


@transaction.atomic
def case_unassign(*, by, case, user, reason=""):
    _require_manage(by, case)
    deleted, _rows = CaseAssignment.objects.filter(case=case, user=user).delete()
    if not deleted:
        raise ValidationError(_("This person is not assigned to the case."))
    sync_case_user(case=case, user=user)
    record(event="case.unassign", actor=by, case=case, reason=reason, details={"user": user.username})


@transaction.atomic
def case_move_team(*, by, case, team, reason=""):
    """Move a case to another team of the same organisation: supervision follows the team."""
    _require_manage(by, case)
    membership = _active_membership(by, case.organisation_id)
    if team.organisation_id != case.organisation_id or not _supervises(membership, team):
        raise PermissionDenied(_("You may only move a case to a team you supervise."))
    previous = case.team
    CaseGroupObjectPermission.objects.filter(content_object=case, group_id=previous.supervisor_group_id).delete()
    permissions = case_permissions()
    for codename in SUPERVISOR_PERMISSIONS:
        CaseGroupObjectPermission.objects.get_or_create(
            content_object=case, group_id=team.supervisor_group_id, permission=permissions[codename]
        )
    case.team = team
    case.version += 1
    case.save(update_fields=["team", "version", "updated_at"])
    record(event="case.move_team", actor=by, case=case, reason=reason, details={"from": previous.slug, "to": team.slug})
    return case


# Grants --------------------------------------------------------------------------


def _require_may_grant(by, case, user):
    if by.pk == user.pk:
        raise PermissionDenied(_("You cannot grant access to yourself; ask a supervisor or another administrator."))
    by_membership = _active_membership(by, case.organisation_id)
    is_admin = by_membership is not None and by_membership.role == Role.ADMIN
    if not is_admin:
        _require_manage(by, case)


@transaction.atomic
def grant_add(*, by, case, user, level, reason, expires=None):
    """Give ``user`` view, edit or reveal on ``case``, for a reason, until ``expires`` (or until revoked)."""
    if level not in GrantLevel.values:
        raise ValidationError(_("Choose view, edit or reveal."))
    if not (reason or "").strip():
        raise ValidationError(_("Give a reason for the grant."))
    if expires is not None and expires <= timezone.now():
        raise ValidationError(_("The expiry must be in the future."))
    _require_may_grant(by, case, user)
    _require_case_worker(user, case)
    grant = Grant.objects.create(
        case=case, user=user, level=level, reason=reason.strip(), expires_at=expires, granted_by=by
    )
    sync_case_user(case=case, user=user)
    record(
        event="grant.add",
        actor=by,
        case=case,
        reason=grant.reason,
        details={"user": user.username, "level": level, "expires": expires.isoformat() if expires else None},
    )
    return grant


@transaction.atomic
def grant_remove(*, by, grant, reason=""):
    if grant.revoked_at is not None:
        raise ValidationError(_("This grant was already revoked."))
    _require_may_grant(by, grant.case, grant.user)
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    sync_case_user(case=grant.case, user=grant.user)
    record(event="grant.remove", actor=by, case=grant.case, reason=reason, details={"user": grant.user.username})


# Organisations, teams and memberships --------------------------------------------


@transaction.atomic
def team_create(*, by, organisation, name, slug):
    group = Group.objects.create(name=f"team-supervisors:{organisation.slug}:{slug}")
    team = Team.objects.create(organisation=organisation, name=name, slug=slug, supervisor_group=group)
    for membership in Membership.objects.active().filter(organisation=organisation, supervises_all_teams=True):
        membership.user.groups.add(group)
    record(event="team.create", actor=by, target=team, organisation=organisation)
    return team


@transaction.atomic
def membership_add(*, by, user, organisation, role, teams=(), supervised_teams=(), supervises_all_teams=False):
    """Put ``user`` in ``organisation`` with ``role``; caseworkers work in ``teams``,
    supervisors supervise ``supervised_teams`` (or every team)."""
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    if Membership.objects.filter(user=user).exists():
        raise ValidationError(_("This person already belongs to an organisation."))
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    _set_teams(membership, teams, supervised_teams, supervises_all_teams)
    record(event="membership.add", actor=by, target=user, organisation=organisation, details={"role": role})
    return membership


@transaction.atomic
def membership_set_teams(*, by, membership, teams=(), supervised_teams=(), supervises_all_teams=False):
    """Change the teams a person works in or supervises. Her case assignments do not change."""
    _set_teams(membership, teams, supervised_teams, supervises_all_teams)
    record(
        event="membership.teams",
        actor=by,
        target=membership.user,
        organisation=membership.organisation,
        details={
            "teams": sorted(t.slug for t in teams),
            "supervises": "all" if supervises_all_teams else sorted(t.slug for t in supervised_teams),
        },
    )
    return membership


def _set_teams(membership, teams, supervised_teams, supervises_all_teams):
    organisation_teams = Team.objects.filter(organisation_id=membership.organisation_id)
    chosen = list(teams) + list(supervised_teams)
    if any(team.organisation_id != membership.organisation_id for team in chosen):
        raise ValidationError(_("Teams must belong to the person's organisation."))
    is_supervisor = membership.role == Role.SUPERVISOR
    if (supervised_teams or supervises_all_teams) and not is_supervisor:
        raise ValidationError(_("Only supervisors supervise teams."))
    if teams and membership.role == Role.ADMIN:
        raise ValidationError(_("Administrators do not work in teams."))
    membership.teams.set(teams)
    supervised = list(organisation_teams) if supervises_all_teams else list(supervised_teams)
    membership.supervised_teams.set([] if supervises_all_teams else supervised)
    if membership.supervises_all_teams != supervises_all_teams:
        membership.supervises_all_teams = supervises_all_teams
        membership.save(update_fields=["supervises_all_teams"])
    user = membership.user
    user.groups.remove(*Group.objects.filter(supervised_team__organisation_id=membership.organisation_id))
    user.groups.add(*[team.supervisor_group_id for team in supervised])


@transaction.atomic
def membership_deactivate(*, by, membership, reason=""):
    """Take away all access at once: the person stays in history, her access does not."""
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user = membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    user.groups.remove(*Group.objects.filter(supervised_team__organisation_id=membership.organisation_id))
    end_sessions(user=user)  # signed out everywhere at once, not at the next sign-in
    record(event="membership.deactivate", actor=by, target=user, organisation=membership.organisation, reason=reason)
