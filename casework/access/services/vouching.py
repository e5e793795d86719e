"""Vouching: no account reaches case content until someone who already has that reach says so.

An administrator can create an account, reset its password or its second factor: she could
then be the one signing in with it. So an account reaches cases only once a supervisor of
its organisation has vouched for it (met the person and seen her enrol her own
authenticator; the page asks the supervisor for a fresh code), and a reset of the second
factor or of the password undoes the vouching. Likewise what an administrator asks for that
would give someone case content (becoming a supervisor, supervising more teams, a reveal
grant) is kept as an ``AccessRequest`` and changes no permission row until such a
supervisor confirms it.

Who may vouch or confirm: an active supervisor of the organisation, herself vouched for,
never for herself, whose supervision covers what is at stake:
- vouching: every team the person works in, supervises or is asked to supervise, and the
  team of every case she is assigned to, holds a current grant on or has a reveal grant
  waiting for (someone in no team and on no case, or who supervises or is asked to
  supervise every team, needs a supervisor of every team);
- becoming a supervisor or supervising more teams: every team she would supervise and
  every team she works in (again, none or all: a supervisor of every team);
- a reveal grant: the case, which she must manage (a supervisor of its team).

An operator at the server (``by=None``: management commands, the demo seeder, the test
factories) vouches without a supervisor; the first supervisor of an organisation comes
that way, from ``manage.py org_bootstrap_supervisor``.
"""

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import AccessRequest, Grant, Membership, RequestKind, Role, Team
from casework.accounts.models import empty_workspace_condition
from casework.audit import events
from casework.audit.services import record
from casework.cases.models import Case


def confirming_membership(user: User | None, organisation_id: int, *, shown: bool = False) -> Membership | None:
    """``user``'s membership if she may vouch and confirm in the organisation at all: an
    active supervisor who has herself been vouched for. Her reach is checked separately.
    Frozen, travelling or under duress she confirms nothing, unless ``shown``: the pages a
    supervisor's menu offers, which open then as on any day, with nothing in them."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    memberships = Membership.objects.active().filter(
        user=user, organisation_id=organisation_id, role=Role.SUPERVISOR, vouched_at__isnull=False
    )
    if not shown:
        memberships = memberships.exclude(empty_workspace_condition("user__"))
    membership: Membership | None = memberships.first()
    return membership


def covers(confirmer: Membership, teams: Iterable[Team], all_teams: bool = False) -> bool:
    """Does ``confirmer`` supervise every one of ``teams``? No teams at all, or every team,
    takes a supervisor of every team."""
    if confirmer.supervises_all_teams:
        return True
    wanted = {team.pk for team in teams}
    if all_teams or not wanted:
        return False
    return wanted <= {team.pk for team in confirmer.supervised_teams.all()}  # prefetched, if the caller did


def vouching_cases(membership: Membership) -> QuerySet[Case]:
    """The cases a vouch would open to her: those she is assigned to, holds a current grant
    on, or has a reveal grant waiting for. An administrator may have put her on any of them
    before anyone vouched, so whoever vouches must already reach every one."""
    user_id = membership.user_id
    assigned = Q(assignments__user_id=user_id)
    granted = Q(pk__in=Grant.objects.current().filter(user_id=user_id).values("case_id"))
    waiting = AccessRequest.objects.pending().filter(membership=membership, kind=RequestKind.REVEAL)
    asked = Q(pk__in=waiting.values("case_id"))
    cases = Case.objects.filter(organisation_id=membership.organisation_id).filter(assigned | granted | asked)
    return cases.select_related("team").distinct().order_by("code")


def placement_teams(membership: Membership) -> tuple[list[Team], bool]:
    """The teams a person works in, supervises or is asked to supervise, and those of the
    cases a vouch would open to her (see ``vouching_cases``); and whether that is every team."""
    asked = AccessRequest.objects.pending().filter(
        membership=membership, kind__in=[RequestKind.ROLE, RequestKind.SUPERVISION]
    )
    every = membership.supervises_all_teams or asked.filter(all_teams=True).exists()
    teams = list(membership.teams.all()) + list(membership.supervised_teams.all())
    teams += list(Team.objects.filter(pk__in=asked.values("teams")))
    teams += list(Team.objects.filter(pk__in=vouching_cases(membership).values("team_id")))
    return teams, every


def may_vouch(user: User, membership: Membership) -> bool:
    confirmer = confirming_membership(user, membership.organisation_id)
    if confirmer is None or user.pk == membership.user_id:
        return False
    return covers(confirmer, *placement_teams(membership))


def _require_may_vouch(by: User | None, membership: Membership) -> None:
    if by is None:
        return
    if not may_vouch(by, membership):
        raise PermissionDenied(
            _("Only a supervisor of this person's teams, herself vouched for, can vouch for her; never for herself.")
        )
    if membership.must_change_password:
        raise ValidationError(_("She still has a temporary password. She must sign in and choose her own first."))
    if not TOTPDevice.objects.filter(user_id=membership.user_id, confirmed=True).exists():
        raise ValidationError(_("She has not set up her authenticator yet. Watch her do it, then vouch for her."))


@transaction.atomic
def membership_vouch(*, by: User | None, membership: Membership, reason: str = "") -> Membership:
    """``by`` confirms she met the person and saw her enrol her own authenticator: from now
    on her role, assignments and grants give her what they say. ``by=None``: an operator."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if by is not None and not (membership.is_active and membership.user.is_active):
        raise ValidationError(_("This account is deactivated. Reactivate it first."))
    if membership.is_vouched:
        raise ValidationError(_("Someone has already vouched for this person."))
    _require_may_vouch(by, membership)
    membership.vouched_at, membership.vouched_by = timezone.now(), by
    membership.save(update_fields=["vouched_at", "vouched_by"])
    record(
        event=events.ACCESS_VOUCH,
        actor=by,
        target=membership.user,
        organisation=membership.organisation_id,
        reason=(reason or "").strip(),
        # The role she was vouched for in: whether an organisation ever had a vouched supervisor.
        details={"role": membership.role},
    )
    return membership


def unvouch(*, by: User | None, membership: Membership, cause: str, reason: str = "") -> bool:
    """Put the account back to "not vouched" (in the caller's transaction): someone other
    than its owner may now hold both its factors. Returns whether it was vouched."""
    if not membership.is_vouched:
        return False
    membership.vouched_at, membership.vouched_by = None, None
    membership.save(update_fields=["vouched_at", "vouched_by"])
    record(
        event=events.ACCESS_UNVOUCH,
        actor=by,
        target=membership.user,
        organisation=membership.organisation_id,
        reason=reason,
        details={"cause": cause},
    )
    return True


def request_supervision(
    *, by: User, membership: Membership, teams: Iterable[Team] = (), all_teams: bool = False, reason: str = ""
) -> AccessRequest:
    """An administrator's wish that ``membership`` become a supervisor (if she is not one)
    and supervise ``teams`` (or every team) besides those she does: nothing changes yet.
    Any earlier pending wish for her supervision is replaced by this one."""
    kind = RequestKind.SUPERVISION if membership.role == Role.SUPERVISOR else RequestKind.ROLE
    teams = list(teams)
    if any(team.organisation_id != membership.organisation_id for team in teams):
        raise ValidationError(_("Teams must belong to the person's organisation."))
    withdraw_supervision_requests(by=by, membership=membership, reason=_("Replaced by a later request."))
    request = AccessRequest.objects.create(
        organisation_id=membership.organisation_id,
        membership=membership,
        kind=kind,
        all_teams=all_teams,
        reason=(reason or "").strip(),
        requested_by=by,
    )
    request.teams.set(teams)
    details = {"kind": kind, "supervises": "all" if all_teams else sorted(team.slug for team in teams)}
    _record_request(request, events.ACCESS_REQUEST, by, details)
    return request


def withdraw_supervision_requests(*, by: User | None, membership: Membership, reason: str) -> None:
    """End her pending role and supervision requests (a later one, or a role change, replaces them)."""
    pending = AccessRequest.objects.pending().filter(
        membership=membership, kind__in=[RequestKind.ROLE, RequestKind.SUPERVISION]
    )
    for earlier in pending:
        _decide(earlier, by=by, state="refused", reason=reason)


def withdraw_requests(*, by: User | None, membership: Membership, reason: str) -> int:
    """Refuse every pending request about her or asked by her: switched off, she is no
    longer anyone's current wish, and a reactivation (an administrator's act alone) must
    not bring a months-old request back to be confirmed. Returns how many were pending."""
    pending = AccessRequest.objects.pending().filter(Q(membership=membership) | Q(requested_by_id=membership.user_id))
    pending = list(pending.select_related("membership__user", "case").select_for_update(of=("self",)))
    for request in pending:
        _decide(request, by=by, state="refused", reason=reason)
    return len(pending)


def request_reveal_grant(
    *, by: User, case: Case, membership: Membership, reason: str, expires: datetime.datetime | None = None
) -> AccessRequest:
    """An administrator's reveal grant: kept until a supervisor of the case's team confirms it."""
    request = AccessRequest.objects.create(
        organisation_id=case.organisation_id,
        membership=membership,
        kind=RequestKind.REVEAL,
        case=case,
        expires_at=expires,
        reason=reason.strip(),
        requested_by=by,
    )
    details = {"kind": RequestKind.REVEAL, "expires": expires.isoformat() if expires else None}
    _record_request(request, events.ACCESS_REQUEST, by, details)
    return request


def _record_request(
    request: AccessRequest, event: events.Event, actor: User | None, details: dict[str, Any], reason: str | None = None
) -> None:
    record(
        event=event,
        actor=actor,
        case=request.case,
        target=request.membership.user if request.case is None else None,
        organisation=request.organisation_id,
        reason=request.reason if reason is None else reason,
        details={"user": request.membership.user.username, "request": request.pk, **details},
    )


def _decide(request: AccessRequest, *, by: User | None, state: str, reason: str) -> None:
    request.state, request.decided_by, request.decided_at = state, by, timezone.now()
    request.decision_reason = (reason or "").strip()[:500]
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    event = events.ACCESS_CONFIRM if state == "confirmed" else events.ACCESS_REFUSE
    _record_request(request, event, by, {"kind": request.kind}, reason=request.decision_reason)
