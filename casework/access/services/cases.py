"""Opening cases and deciding who works on them: assignments and the team that supervises."""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from casework.access.models import Membership, Role, Team
from casework.access.services.permissions import (
    SUPERVISOR_PERMISSIONS,
    active_membership,
    case_permissions,
    require_case_worker,
    require_manage,
    sync_case_user,
)
from casework.audit import events
from casework.audit.guard import unaudited_writes
from casework.audit.services import record
from casework.cases import codes
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case, CaseAssignment, CaseGroupObjectPermission


@transaction.atomic
def case_open(*, by: User, team: Team, lead: User | None = None, **profile: Any) -> Case:
    """Open a case in ``team``. A caseworker opens it for herself and becomes its lead;
    a supervisor of the team may name a lead from the team, or none."""
    membership = active_membership(by, team.organisation_id)
    # Someone nobody has vouched for yet could be an administrator's puppet: she opens nothing.
    if membership is None or membership.role == Role.ADMIN or not membership.is_vouched:
        raise PermissionDenied(_("You may not open cases in this team."))
    if membership.role == Role.CASEWORKER:
        if not membership.teams.filter(pk=team.pk).exists():
            raise PermissionDenied(_("You may only open cases in your own team."))
        lead = by
    elif not supervises(membership, team):
        raise PermissionDenied(_("You may only open cases in a team you supervise."))
    elif lead is not None and not Membership.objects.active().filter(user=lead, teams=team).exists():
        raise ValidationError(_("The lead caseworker must be a member of the case's team."))
    code = profile.pop("code", None)  # the demo seeder names its own
    if code is None:
        code = codes.generate_unused(_code_taken)
    elif _code_taken(code):
        raise ValidationError(_("This case code was issued before: a code is never issued twice."))
    case = Case(code=code, organisation_id=team.organisation_id, team=team, created_by=by, **profile)
    case.full_clean()
    case.save()
    permissions = case_permissions()
    for codename in SUPERVISOR_PERMISSIONS:
        CaseGroupObjectPermission.objects.create(
            content_object=case, group_id=team.supervisor_group_id, permission=permissions[codename]
        )
    if lead is not None:
        _assign(by=by, case=case, user=lead, role=AssignmentRole.LEAD)
    record(event=events.CASE_OPEN, actor=by, case=case)
    return case


def _code_taken(code: str) -> bool:
    """In use, or left by an erased case: erased codes are never issued again."""
    from casework.retention.models import ErasedCase  # lazy: retention stands on access; this one question goes up

    return Case.objects.filter(code=code).exists() or ErasedCase.objects.filter(code=code).exists()


def supervises(membership: Membership | None, team: Team) -> bool:
    return (
        membership is not None
        and membership.role == Role.SUPERVISOR
        and (membership.supervises_all_teams or membership.supervised_teams.filter(pk=team.pk).exists())
    )


def _lock_assignments(case: Case) -> None:
    """Changes to one case's assignments in turn: the case row is locked to the commit."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True).get()


def _assign(*, by: User, case: Case, user: User, role: str) -> CaseAssignment:
    require_case_worker(user, case)
    _lock_assignments(case)
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
    _sync_has_lead(case)
    return assignment


def _sync_has_lead(case: Case) -> None:
    """``case.has_lead`` from its assignments as the database holds them, after any of them
    changed (in the same transaction, the case locked): never from a copy of the case loaded
    earlier, which another change may have made stale."""
    leads = CaseAssignment.objects.filter(case=OuterRef("pk"), role=AssignmentRole.LEAD)
    with unaudited_writes("has_lead is derived from the assignments, each audited as it changes"):
        Case.objects.filter(pk=case.pk).update(has_lead=Exists(leads))
    case.refresh_from_db(fields=["has_lead"])


@transaction.atomic
def case_assign(
    *, by: User, case: Case, user: User, role: str = AssignmentRole.COWORKER, reason: str = ""
) -> CaseAssignment:
    """Assign ``user`` to ``case`` as lead (the previous lead becomes a co-worker) or co-worker.
    Co-workers: for a supervisor of the case's team or an administrator of its organisation.
    The lead: for a supervisor of the case's team only, and from the case's team."""
    if role not in AssignmentRole.values:
        raise ValidationError(_("Choose lead or co-worker."))
    require_manage(by, case)
    if role == AssignmentRole.LEAD:
        _require_may_name_lead(by, case, user)
    assignment = _assign(by=by, case=case, user=user, role=role)
    record(event=events.CASE_ASSIGN, actor=by, case=case, reason=reason, details={"user": user.username, "role": role})
    return assignment


def _require_may_name_lead(by: User, case: Case, user: User) -> None:
    """The lead may reveal the survivor's identity: only someone who already may (a
    supervisor of the case's team) gives that, never an administrator alone."""
    if not Case.objects.restrict(by, "manage").filter(pk=case.pk).exists():
        raise PermissionDenied(_("Only a supervisor of the case's team names its lead caseworker."))
    if not Membership.objects.active().filter(user=user, teams=case.team_id).exists():
        raise ValidationError(_("The lead caseworker must work in the case's team."))


@transaction.atomic
def case_unassign(*, by: User, case: Case, user: User, reason: str = "") -> None:
    require_manage(by, case)
    _lock_assignments(case)
    deleted, _rows = CaseAssignment.objects.filter(case=case, user=user).delete()
    if not deleted:
        raise ValidationError(_("This person is not assigned to the case."))
    sync_case_user(case=case, user=user)
    _sync_has_lead(case)
    record(event=events.CASE_UNASSIGN, actor=by, case=case, reason=reason, details={"user": user.username})


@transaction.atomic
def case_move_team(*, by: User, case: Case, team: Team, reason: str = "") -> Case:
    """Move a case to another team of the same organisation: supervision follows the team."""
    if not Case.objects.restrict(by, "manage").filter(pk=case.pk).exists():
        raise PermissionDenied(_("You may not manage access to this case."))
    membership = active_membership(by, case.organisation_id)
    if team.organisation_id != case.organisation_id or not supervises(membership, team):
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
    record(
        event=events.CASE_MOVE_TEAM,
        actor=by,
        case=case,
        reason=reason,
        details={"from": previous.slug, "to": team.slug},
    )
    return case
