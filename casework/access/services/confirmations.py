"""A supervisor confirms or refuses what an administrator asked for (see vouching.py for who may).

Confirming applies the change then, as it stands then: a request for someone deactivated
since, or for a case she may no longer work on, is refused with a message and changes nothing.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import AccessRequest, Grant, GrantLevel, Membership, RequestKind, Role, Team
from casework.access.services.people import _require_active, _set_teams
from casework.access.services.permissions import require_case_worker, sync_case_user
from casework.access.services.vouching import _decide, confirming_membership, covers, may_vouch
from casework.accounts.models import empty_workspace_condition
from casework.audit import events
from casework.audit.services import record
from casework.cases.models import Case


def _request_teams(request: AccessRequest) -> list[Team]:
    """The teams a role or supervision request is about: those she would supervise and those she works in."""
    return list(request.teams.all()) + list(request.membership.teams.all())


def may_confirm(user: User, request: AccessRequest) -> bool:
    """Whether ``user`` may confirm (or refuse) ``request``: see the module of vouching."""
    confirmer = confirming_membership(user, request.organisation_id)
    if confirmer is None or user.pk == request.membership.user_id:
        return False
    if request.kind == RequestKind.REVEAL:
        manages: bool = Case.objects.restrict(user, "manage").filter(pk=request.case_id).exists()
        return manages
    return covers(confirmer, _request_teams(request), request.all_teams)


def _require_may_confirm(by: User, request: AccessRequest) -> None:
    if request.state != "pending":
        raise ValidationError(_("This request was already decided."))
    if not may_confirm(by, request):
        raise PermissionDenied(_("Only a supervisor whose teams cover this request can confirm or refuse it."))


@transaction.atomic
def request_confirm(*, by: User, request: AccessRequest, reason: str = "") -> AccessRequest:
    """Confirm ``request`` and apply it now, with its audit entries."""
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    _require_may_confirm(by, request)
    # Locked: a deactivation or off-boarding under way either lands first (and this is
    # refused) or waits for this one (and withdraws or revokes what it made).
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=request.membership_id)
    _require_active(membership)
    if request.kind == RequestKind.REVEAL:
        _apply_reveal(by, request, membership)
    else:
        _apply_supervision(request, membership)
    _decide(request, by=by, state="confirmed", reason=reason)
    return request


@transaction.atomic
def request_refuse(*, by: User, request: AccessRequest, reason: str) -> AccessRequest:
    """Refuse ``request``: nothing changes, and the reason is kept."""
    if not (reason or "").strip():
        raise ValidationError(_("Give a reason."))
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    _require_may_confirm(by, request)
    _decide(request, by=by, state="refused", reason=reason)
    return request


def _apply_supervision(request: AccessRequest, membership: Membership) -> None:
    if request.kind == RequestKind.SUPERVISION and membership.role != Role.SUPERVISOR:
        raise ValidationError(_("She is no longer a supervisor: this request no longer applies."))
    if membership.role != Role.SUPERVISOR:
        membership.role = Role.SUPERVISOR
        membership.save(update_fields=["role"])
    all_teams = membership.supervises_all_teams or request.all_teams
    supervised = set(membership.supervised_teams.all()) | set(request.teams.all())
    _set_teams(membership, list(membership.teams.all()), [] if all_teams else list(supervised), all_teams)


def _apply_reveal(by: User, request: AccessRequest, membership: Membership) -> None:
    case = request.case
    assert case is not None  # a reveal request always names its case (constraint access_request_reveal_has_case)
    if request.expires_at is not None and request.expires_at <= timezone.now():
        raise ValidationError(_("This grant would already have expired. Ask for a new one."))
    require_case_worker(membership.user, case)
    grant = Grant.objects.create(
        case=case,
        user=membership.user,
        level=GrantLevel.REVEAL,
        reason=request.reason or _("Confirmed request"),
        expires_at=request.expires_at,
        granted_by=request.requested_by,
    )
    sync_case_user(case=case, user=membership.user)
    expires = grant.expires_at.isoformat() if grant.expires_at else None
    details = {"user": membership.user.username, "level": grant.level, "expires": expires}
    details["requested_by"] = request.requested_by.username
    record(event=events.GRANT_ADD, actor=by, case=case, reason=grant.reason, details=details)


@dataclass
class Pending:
    """What waits for ``user``: accounts she may vouch for and requests she may decide."""

    accounts: list[Membership]
    requests: list[AccessRequest]

    def __len__(self) -> int:
        return len(self.accounts) + len(self.requests)


def pending_for(user: User) -> Pending:
    """Everything waiting that ``user`` may vouch for or decide (empty unless she may confirm
    at all). One query when nothing waits in her organisation (the supervisors' home page)."""
    if not user.is_authenticated or not user.is_active:
        return Pending([], [])
    unvouched = Membership.objects.active().filter(vouched_at__isnull=True).exclude(role=Role.ADMIN)
    waiting = AccessRequest.objects.pending()
    confirmer = (
        Membership.objects.active()
        .filter(user_id=user.pk, role=Role.SUPERVISOR, vouched_at__isnull=False)
        .exclude(empty_workspace_condition("user__"))  # frozen, travelling, under duress: nothing waits for her
        .annotate(
            people_wait=Exists(unvouched.filter(organisation_id=OuterRef("organisation_id"))),
            requests_wait=Exists(waiting.filter(organisation_id=OuterRef("organisation_id"))),
        )
        .first()
    )
    if confirmer is None:
        return Pending([], [])
    accounts = requests = []
    if confirmer.people_wait:
        accounts = unvouched.filter(organisation_id=confirmer.organisation_id).select_related("user")
        accounts = [m for m in accounts.order_by("user__username") if may_vouch(user, m)]
    if confirmer.requests_wait:
        requests = waiting.filter(organisation_id=confirmer.organisation_id)
        requests = requests.select_related("membership__user", "case", "requested_by")
        requests = [r for r in requests if may_confirm(user, r)]
    return Pending(accounts=accounts, requests=requests)
