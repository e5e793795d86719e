"""The guardian permission rows, derived from the facts and never edited piecemeal.

After any change, ``sync_case_user`` recomputes one user's rows on one case from her
assignment and current grants; team supervision lives in one guardian group per team
that holds every case of the team. ``Case.objects.restrict`` reads the user rows, and
supervision from the memberships themselves (the teams she supervises), not the group rows.
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from casework.access.models import Grant, GrantLevel, Membership, Role
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case, CaseAssignment, CaseUserObjectPermission

SUPERVISOR_PERMISSIONS = ("view_case", "change_case", "reveal_identity", "manage_case")
ASSIGNMENT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    AssignmentRole.LEAD: ("view_case", "change_case", "reveal_identity"),
    AssignmentRole.COWORKER: ("view_case", "change_case"),
}
GRANT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    GrantLevel.VIEW: ("view_case",),
    GrantLevel.EDIT: ("view_case", "change_case"),
    GrantLevel.REVEAL: ("view_case", "reveal_identity"),
}


def case_permissions() -> dict[str, Permission]:
    """codename → Permission for the case permissions (a handful of rows, read once per call)."""
    return {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="cases", content_type__model="case")
    }


def active_membership(user: User, organisation_id: int) -> Membership | None:
    membership: Membership | None = (
        Membership.objects.active().filter(user=user, organisation_id=organisation_id).first()
    )
    return membership


def is_admin_of(user: User | None, organisation_id: int) -> bool:
    membership = active_membership(user, organisation_id) if user is not None else None
    return membership is not None and membership.role == Role.ADMIN


def require_admin(by: User | None, organisation_id: int) -> None:
    """``by`` must be an active administrator of the organisation; ``None`` is an operator at
    the server (a management command, the demo seeder)."""
    if by is not None and not is_admin_of(by, organisation_id):
        raise PermissionDenied(_("Only an administrator of this organisation can do this."))


def require_case_worker(user: User, case: Case) -> Membership:
    """Only active caseworkers and supervisors of the case's organisation work on it:
    never an administrator, a deactivated person or anyone from elsewhere."""
    membership: Membership | None = Membership.objects.filter(user=user).first()
    if membership is None or membership.organisation_id != case.organisation_id:
        raise ValidationError(_("Only people of the case's own organisation can be given access to it."))
    if not (membership.is_active and user.is_active):
        raise ValidationError(_("This person's account is deactivated."))
    if membership.role == Role.ADMIN:
        raise ValidationError(_("Administrators manage access but never work on cases."))
    return membership


def require_manage(by: User, case: Case) -> None:
    """A supervisor of the case's team, or an administrator of its organisation."""
    if Case.objects.restrict(by, "manage").filter(pk=case.pk).exists() or is_admin_of(by, case.organisation_id):
        return
    raise PermissionDenied(_("You may not manage access to this case."))


def wanted_permissions(
    role: str | None, grants: Iterable[tuple[str, datetime.datetime | None]]
) -> dict[str, datetime.datetime | None]:
    """codename → expiry (None: permanent) for one user on one case, from her assignment
    ``role`` (or None) and her current ``grants`` as (level, expiry) pairs.

    A permission held permanently (assignment, grant without expiry) has no expiry;
    otherwise it expires with the latest grant that gives it.
    """
    wanted: dict[str, datetime.datetime | None] = dict.fromkeys(ASSIGNMENT_PERMISSIONS[role], None) if role else {}
    for level, expires_at in grants:
        for codename in GRANT_PERMISSIONS[level]:
            if codename in wanted and wanted[codename] is None:
                continue
            wanted[codename] = None if expires_at is None else max(expires_at, wanted.get(codename) or expires_at)
    return wanted


def sync_case_user(*, case: Case, user: User) -> None:
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
