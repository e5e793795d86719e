"""Who can reach a case, and why: the access page's account of the permission layer.

It is worked out from the facts the guardian rows are derived from (assignments, grants,
the teams supervisors supervise), so that the page can say *why* someone has access.
tests/access/test_explain.py holds it to ``Case.objects.restrict()`` persona by persona:
the actions listed here are the actions the one door gives, no more and no fewer.
Nothing here reads case content.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access.models import Membership, Role
from casework.access.services.permissions import ASSIGNMENT_PERMISSIONS, GRANT_PERMISSIONS, SUPERVISOR_PERMISSIONS
from casework.cases.choices import AssignmentRole
from casework.cases.models import ACTIONS

# In the order the page lists them.
ACTION_ORDER = tuple(ACTIONS)
_ACTION_OF = {codename: action for action, codename in ACTIONS.items()}
ACTION_LABELS = {"view": _("view"), "change": _("edit"), "reveal": _("reveal identity"), "manage": _("manage access")}

LEAD = "lead"
COWORKER = "coworker"
SUPERVISES_TEAM = "supervises_team"
SUPERVISES_ALL = "supervises_all"
GRANT = "grant"


def _actions(codenames):
    return frozenset(_ACTION_OF[codename] for codename in codenames)


@dataclass
class Reason:
    """One thing that gives a person access: an assignment, supervision or a grant."""

    kind: str
    actions: frozenset
    assignment: object = None
    grant: object = None
    team: object = None


@dataclass
class Access:
    """One person with an assignment, a supervision or a current grant on the case."""

    user: object
    active: bool
    reasons: list = field(default_factory=list)
    # False until a supervisor vouches for her: till then her access gives her nothing.
    vouched: bool = True

    @property
    def gives_access(self):
        return self.active and self.vouched

    @property
    def actions(self):
        """What she can do now, in page order; nothing while deactivated or not vouched for."""
        if not self.gives_access:
            return ()
        given = frozenset().union(*(reason.actions for reason in self.reasons))
        return tuple(action for action in ACTION_ORDER if action in given)

    @property
    def action_labels(self):
        return [ACTION_LABELS[action] for action in self.actions]

    @property
    def assignment(self):
        return next((reason.assignment for reason in self.reasons if reason.assignment is not None), None)


@dataclass
class PastGrant:
    grant: object
    revoked: bool
    ended_at: object


def _is_current(grant, now):
    return grant.revoked_at is None and (grant.expires_at is None or grant.expires_at > now)


def _memberships(user_ids):
    return {m.user_id: m for m in Membership.objects.filter(user_id__in=user_ids)}


def _is_active(user, membership, case):
    # restrict() gives nothing to an inactive account or outside an active membership of the case's organisation.
    return (
        user.is_active
        and membership is not None
        and membership.is_active
        and membership.organisation_id == case.organisation_id
    )


def _supervisions(case):
    supervising = Q(supervises_all_teams=True) | Q(supervised_teams=case.team_id)
    return (
        Membership.objects.filter(organisation_id=case.organisation_id, role=Role.SUPERVISOR)
        .filter(supervising)
        .select_related("user")
        .distinct()
    )


def case_access(case, now=None):
    """Everyone with any access to ``case`` (or an assignment or grant that would give it,
    were she not deactivated), as ``Access`` rows: active people first, then by username."""
    now = now or timezone.now()
    people = {}

    def add(user, reason):
        people.setdefault(user.pk, (user, []))[1].append(reason)

    for assignment in case.assignments.select_related("user"):
        kind = LEAD if assignment.role == AssignmentRole.LEAD else COWORKER
        add(assignment.user, Reason(kind, _actions(ASSIGNMENT_PERMISSIONS[assignment.role]), assignment=assignment))
    for grant in case.grants.select_related("user", "granted_by").order_by("granted_at"):
        if _is_current(grant, now):
            add(grant.user, Reason(GRANT, _actions(GRANT_PERMISSIONS[grant.level]), grant=grant))
    memberships = _memberships(list(people))
    for membership in _supervisions(case):
        memberships[membership.user_id] = membership
        kind = SUPERVISES_ALL if membership.supervises_all_teams else SUPERVISES_TEAM
        add(membership.user, Reason(kind, _actions(SUPERVISOR_PERMISSIONS), team=case.team))
    rows = [
        Access(
            user=user,
            active=_is_active(user, memberships.get(user.pk), case),
            reasons=reasons,
            vouched=_is_vouched(memberships.get(user.pk)),
        )
        for user, reasons in people.values()
    ]
    return sorted(rows, key=lambda row: (not row.gives_access, row.user.username))


def _is_vouched(membership):
    # restrict() gives nothing until a supervisor has vouched for her (casework.access.services.vouching).
    return membership is not None and membership.vouched_at is not None


def grant_history(case, now=None):
    """Grants of ``case`` that no longer give anything: revoked or expired, latest first."""
    now = now or timezone.now()
    past = []
    ended = Q(revoked_at__isnull=False) | Q(expires_at__lte=now)
    for grant in case.grants.filter(ended).select_related("user", "granted_by", "revoked_by"):
        # A grant revoked after it had already expired ended by expiring.
        revoked = grant.revoked_at is not None and (grant.expires_at is None or grant.revoked_at < grant.expires_at)
        past.append(PastGrant(grant, revoked=revoked, ended_at=grant.revoked_at if revoked else grant.expires_at))
    return sorted(past, key=lambda row: row.ended_at, reverse=True)
