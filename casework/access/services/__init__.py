"""Access services: the only code that writes memberships, teams, assignments, grants and
the guardian permission rows derived from them, each with its audit entry.

One module per concern; the names below are the public ones (``access.case_open``,
``access.grant_add`` ...), so that callers need not know the layout.
"""

from casework.access.services.cases import case_assign, case_move_team, case_open, case_unassign, supervises
from casework.access.services.grants import grant_add, grant_remove, grants_expire
from casework.access.services.people import (
    membership_add,
    membership_deactivate,
    membership_reactivate,
    membership_set_role,
    membership_set_teams,
    offboarding_cases,
    password_reset,
    person_offboard,
    reactivation_restores,
    role_change_blockers,
    temporary_password,
    user_create,
)
from casework.access.services.permissions import (
    ASSIGNMENT_PERMISSIONS,
    GRANT_PERMISSIONS,
    SUPERVISOR_PERMISSIONS,
    case_permissions,
    is_admin_of,
    require_admin,
    require_manage,
    sync_case_user,
    wanted_permissions,
)
from casework.access.services.teams import (
    move_preview,
    team_create,
    team_member_add,
    team_member_move,
    team_member_remove,
    team_rename,
    team_supervisor_add,
    team_supervisor_remove,
)

__all__ = [
    "ASSIGNMENT_PERMISSIONS",
    "GRANT_PERMISSIONS",
    "SUPERVISOR_PERMISSIONS",
    "case_assign",
    "case_move_team",
    "case_open",
    "case_permissions",
    "case_unassign",
    "grant_add",
    "grant_remove",
    "grants_expire",
    "is_admin_of",
    "membership_add",
    "membership_deactivate",
    "membership_reactivate",
    "membership_set_role",
    "membership_set_teams",
    "move_preview",
    "offboarding_cases",
    "password_reset",
    "person_offboard",
    "reactivation_restores",
    "require_admin",
    "require_manage",
    "role_change_blockers",
    "supervises",
    "sync_case_user",
    "team_create",
    "team_member_add",
    "team_member_move",
    "team_member_remove",
    "team_rename",
    "team_supervisor_add",
    "team_supervisor_remove",
    "temporary_password",
    "user_create",
    "wanted_permissions",
]
