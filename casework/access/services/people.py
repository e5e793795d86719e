"""The people of an organisation: accounts, roles, teams, deactivation and off-boarding.

Every function here is for an administrator of the person's organisation (``by``), or for
an operator at the server (``by=None``: the demo seeder, management commands). Each writes
its own audit entry, in the same transaction as the change.
"""

import secrets
from collections.abc import Iterable
from typing import TypedDict

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import Grant, Membership, Organisation, Role, Team
from casework.access.services.grants import _revoke
from casework.access.services.permissions import require_admin
from casework.access.services.vouching import (
    membership_vouch,
    request_supervision,
    unvouch,
    withdraw_requests,
    withdraw_supervision_requests,
)
from casework.accounts.sessions import end_sessions
from casework.audit import events
from casework.audit.models import AuditEntry, Outcome
from casework.audit.services import record
from casework.cases.models import Case

# Path segments of /access/users/ that a username would be hidden behind.
RESERVED_USERNAMES = {"new"}
# Letters and digits that cannot be mistaken for one another when read out over a phone.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# What an administrator asked a supervisor to confirm: (teams to supervise, every team).
Wish = tuple[list[Team], bool]


class Restores(TypedDict):
    """What a reactivation gives back (see ``reactivation_restores``)."""

    assigned: QuerySet[Case]
    grants: QuerySet[Grant]
    supervised: list[Team]


def temporary_password() -> str:
    """Four groups of four: easy to pass on, 80 bits, and changed at first sign-in anyway."""
    groups = ("".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


@transaction.atomic
def user_create(
    *,
    by: User | None,
    organisation: Organisation,
    username: str,
    role: str,
    teams: Iterable[Team] = (),
    supervised_teams: Iterable[Team] = (),
    supervises_all_teams: bool = False,
) -> tuple[User, str]:
    """A new account with a temporary password (returned, shown once, never stored in
    clear) that must be changed at first sign-in, where she also sets up her authenticator.
    Returns ``(user, password)``."""
    require_admin(by, organisation.pk)
    username = (username or "").strip()
    User.username_validator(username)
    if username.lower() in RESERVED_USERNAMES or User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("That username is taken. Choose another."))
    password = temporary_password()
    user = User(username=username)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    role, supervised, every, wished = _held_back(by, role, supervised_teams, supervises_all_teams)
    membership = _membership_create(user, organisation, role, teams, supervised, every)
    membership.must_change_password = True
    membership.save(update_fields=["must_change_password"])
    record(event=events.USER_CREATE, actor=by, target=user, organisation=organisation, details=_placement(membership))
    if by is not None and wished:  # an operator's (by=None) took effect at once
        request_supervision(by=by, membership=membership, teams=wished[0], all_teams=wished[1])
    return user, password


@transaction.atomic
def membership_add(
    *,
    by: User | None,
    user: User,
    organisation: Organisation,
    role: str,
    teams: Iterable[Team] = (),
    supervised_teams: Iterable[Team] = (),
    supervises_all_teams: bool = False,
) -> Membership:
    """Put an existing ``user`` in ``organisation`` with ``role``; caseworkers work in
    ``teams``, supervisors supervise ``supervised_teams`` (or every team)."""
    require_admin(by, organisation.pk)
    role, supervised, every, wished = _held_back(by, role, supervised_teams, supervises_all_teams)
    membership = _membership_create(user, organisation, role, teams, supervised, every)
    record(event=events.MEMBERSHIP_ADD, actor=by, target=user, organisation=organisation, details={"role": role})
    if by is not None and wished:
        request_supervision(by=by, membership=membership, teams=wished[0], all_teams=wished[1])
    return membership


def _held_back(
    by: User | None, role: str, supervised_teams: Iterable[Team], supervises_all_teams: bool
) -> tuple[str, Iterable[Team], bool, Wish | None]:
    """An administrator's new supervisor starts as a caseworker: becoming a supervisor, with
    the teams she is to supervise, waits for a supervisor's confirmation. An operator's
    (``by=None``) takes effect at once. Returns (role, supervised, every team, wished or None)."""
    if by is None or role != Role.SUPERVISOR:
        return role, supervised_teams, supervises_all_teams, None
    return Role.CASEWORKER, (), False, (list(supervised_teams), supervises_all_teams)


@transaction.atomic
def password_reset(*, by: User | None, membership: Membership, reason: str = "") -> str:
    """A new temporary password for someone who forgot hers; returned, shown once. Every
    session of hers ends, and at her next sign-in (still with her own second factor, which
    the administrator never has) she must choose her own password."""
    require_admin(by, membership.organisation_id)
    if by is not None and by.pk == membership.user_id:
        raise PermissionDenied(_("You cannot reset your own password here; change it on your security page."))
    _require_active(membership)
    user = membership.user
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        # Without her own authenticator, whoever holds the new password could enrol one:
        # with a second-factor reset, that would let an administrator become her.
        raise ValidationError(
            _("She has no authenticator set up, so a new password would be enough to sign in as her. Refused.")
        )
    password = temporary_password()
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    membership.must_change_password = True
    membership.save(update_fields=["must_change_password"])
    ended = end_sessions(user=user)
    # She holds the new password too: until a supervisor vouches for her again, it reaches no case.
    unvouch(by=by, membership=membership, cause="password.reset", reason=reason)
    record(
        event=events.PASSWORD_RESET,
        actor=by,
        target=user,
        organisation=membership.organisation_id,
        reason=reason,
        details={"sessions_ended": ended},
    )
    return password


def _membership_create(
    user: User,
    organisation: Organisation,
    role: str,
    teams: Iterable[Team],
    supervised_teams: Iterable[Team],
    supervises_all_teams: bool,
) -> Membership:
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    if Membership.objects.filter(user=user).exists():
        raise ValidationError(_("This person already belongs to an organisation."))
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    _set_teams(membership, teams, supervised_teams, supervises_all_teams)
    return membership


def _placement(membership: Membership) -> dict[str, str | list[str]]:
    return {
        "role": membership.role,
        "teams": sorted(membership.teams.values_list("slug", flat=True)),
        "supervises": "all"
        if membership.supervises_all_teams
        else sorted(membership.supervised_teams.values_list("slug", flat=True)),
    }


def _require_active(membership: Membership) -> None:
    if not (membership.is_active and membership.user.is_active):
        raise ValidationError(_("This account is deactivated. Reactivate it first."))


@transaction.atomic
def membership_set_teams(
    *,
    by: User | None,
    membership: Membership,
    teams: Iterable[Team] = (),
    supervised_teams: Iterable[Team] = (),
    supervises_all_teams: bool = False,
) -> Membership:
    """Change the teams a person works in or supervises. Her case assignments do not change."""
    require_admin(by, membership.organisation_id)
    _require_active(membership)
    if any(team.organisation_id != membership.organisation_id for team in [*teams, *supervised_teams]):
        raise ValidationError(_("Teams must belong to the person's organisation."))
    wished = None
    if by is not None and membership.role == Role.SUPERVISOR:
        supervised_teams, supervises_all_teams, wished = _supervision_now(
            membership, supervised_teams, supervises_all_teams
        )
    _set_teams(membership, teams, supervised_teams, supervises_all_teams)
    placement = _placement(membership)
    del placement["role"]
    record(
        event=events.MEMBERSHIP_TEAMS,
        actor=by,
        target=membership.user,
        organisation=membership.organisation_id,
        details=placement,
    )
    if by is not None and wished:
        request_supervision(by=by, membership=membership, teams=wished[0], all_teams=wished[1])
    return membership


def _supervision_now(
    membership: Membership, supervised_teams: Iterable[Team], supervises_all_teams: bool
) -> tuple[list[Team], bool, Wish | None]:
    """Split an administrator's supervision into what takes effect now (the same or less)
    and what waits for a supervisor (more). Returns (supervised, every team, wished or None)."""
    wanted = set(supervised_teams)
    if membership.supervises_all_teams:
        return ([], True, None) if supervises_all_teams else (list(wanted), False, None)
    current = set(membership.supervised_teams.all())
    if supervises_all_teams:
        return list(current), False, ([], True)
    more = wanted - current
    return list(current & wanted), False, (list(more), False) if more else None


def _set_teams(
    membership: Membership, teams: Iterable[Team], supervised_teams: Iterable[Team], supervises_all_teams: bool
) -> None:
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
    _sync_supervision(membership, supervised if membership.is_active else [])


def _sync_supervision(membership: Membership, supervised: Iterable[Team]) -> None:
    """The guardian groups that give supervision: exactly those of the ``supervised`` teams."""
    user = membership.user
    user.groups.remove(*Group.objects.filter(supervised_team__organisation_id=membership.organisation_id))
    user.groups.add(*[team.supervisor_group_id for team in supervised])


def _supervised(membership: Membership) -> list[Team]:
    if membership.supervises_all_teams:
        return list(Team.objects.filter(organisation_id=membership.organisation_id))
    return list(membership.supervised_teams.all())


def role_change_blockers(membership: Membership, role: str) -> list[str]:
    """Why ``membership`` cannot become ``role`` now (a list of messages; empty if it can)."""
    if role != Role.ADMIN or membership.role == Role.ADMIN:
        return []
    blockers = []
    assigned = Case.objects.filter(assignments__user=membership.user).count()
    if assigned:
        blockers.append(
            ngettext(
                "She is assigned to %(count)d case: reassign it first.",
                "She is assigned to %(count)d cases: reassign them first.",
                assigned,
            )
            % {"count": assigned}
        )
    if Grant.objects.current().filter(user=membership.user).exists():
        blockers.append(_("She holds grants on cases: revoke them first."))
    return blockers


@transaction.atomic
def membership_set_role(*, by: User | None, membership: Membership, role: str, reason: str = "") -> Membership:
    """Change a person's role. Teams that no longer fit the role are let go (a caseworker
    supervises nothing, an administrator works in no team); an administrator never keeps
    access to a case, so someone with assignments or grants cannot become one."""
    require_admin(by, membership.organisation_id)
    _require_active(membership)
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    if by is not None and by.pk == membership.user_id:
        raise PermissionDenied(_("You cannot change your own role; ask another administrator."))
    blockers = role_change_blockers(membership, role)
    if blockers:
        raise ValidationError(blockers)
    previous = membership.role
    if previous == role:
        return membership
    if by is not None and role == Role.SUPERVISOR:
        request_supervision(by=by, membership=membership, reason=reason)
        return membership
    withdraw_supervision_requests(by=by, membership=membership, reason=_("Her role changed."))
    teams = [] if role == Role.ADMIN else list(membership.teams.all())
    supervised = list(membership.supervised_teams.all()) if role == Role.SUPERVISOR else []
    supervises_all = membership.supervises_all_teams and role == Role.SUPERVISOR
    membership.role = role
    membership.supervises_all_teams = supervises_all
    membership.save(update_fields=["role", "supervises_all_teams"])
    _set_teams(membership, teams, supervised, supervises_all)
    if Role.ADMIN in (previous, role) or role == Role.REPORTING:
        # An administrator's account is, by definition, one an administrator signs in with:
        # whatever it was vouched for before, a supervisor must vouch for it anew. The same
        # for the reporting role, which reads every team's counts: a supervisor of every
        # team must vouch for her, never an administrator's change alone.
        unvouch(by=by, membership=membership, cause="membership.role", reason=reason)
    record(
        event=events.MEMBERSHIP_ROLE,
        actor=by,
        target=membership.user,
        organisation=membership.organisation_id,
        reason=reason,
        details={"from": previous, "to": role},
    )
    return membership


@transaction.atomic
def membership_deactivate(*, by: User | None, membership: Membership, reason: str = "") -> None:
    """Take away all access at once: signed out everywhere now, every page a 404 or the
    sign-in page from her next request. Her grants stay recorded but give nothing."""
    require_admin(by, membership.organisation_id)
    if by is not None and by.pk == membership.user_id:
        raise PermissionDenied(_("You cannot deactivate your own account; ask another administrator."))
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=membership.pk)
    if not membership.is_active and not membership.user.is_active:
        raise ValidationError(_("This account is already deactivated."))
    ended = _switch_off(membership)
    withdraw_requests(by=by, membership=membership, reason=_("Withdrawn: an account it involves was deactivated."))
    record(
        event=events.MEMBERSHIP_DEACTIVATE,
        actor=by,
        target=membership.user,
        organisation=membership.organisation_id,
        reason=reason,
        # Her role then: a supervisor's switching off and on is in every supervisor's trail.
        details={"sessions_ended": ended, "role": membership.role},
    )


def _switch_off(membership: Membership) -> int:
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user = membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    _sync_supervision(membership, [])
    ended: int = end_sessions(user=user)  # signed out everywhere at once, not at the next sign-in
    return ended


def reactivation_restores(membership: Membership) -> Restores:
    """What switching ``membership`` back on would give again: her case assignments, her
    grants that have neither expired nor been revoked, and the teams she supervises."""
    return {
        "assigned": Case.objects.filter(assignments__user=membership.user).order_by("code"),
        "grants": Grant.objects.current().filter(user=membership.user).select_related("case").order_by("-granted_at"),
        "supervised": _supervised(membership) if membership.role == Role.SUPERVISOR else [],
    }


@transaction.atomic
def membership_reactivate(*, by: User | None, membership: Membership, reason: str = "") -> None:
    """Switch an account back on: her assignments, current grants and supervision count again."""
    require_admin(by, membership.organisation_id)
    # As it is now, not as the caller last saw it: two administrators at once make one change.
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=membership.pk)
    if membership.is_active and membership.user.is_active:
        raise ValidationError(_("This account is already active."))
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    user = membership.user
    user.is_active = True
    user.save(update_fields=["is_active"])
    _sync_supervision(membership, _supervised(membership) if membership.role == Role.SUPERVISOR else [])
    record(
        event=events.MEMBERSHIP_REACTIVATE,
        actor=by,
        target=user,
        organisation=membership.organisation_id,
        reason=reason,
        details={"role": membership.role},
    )


def offboarding_cases(membership: Membership) -> QuerySet[Case]:
    """The cases she was assigned to, lead first: each needs someone new."""
    return (
        Case.objects.filter(assignments__user=membership.user)
        .select_related("team")
        .prefetch_related("assignments__user")
        .order_by("-assignments__role", "code")
        .distinct()
    )


@transaction.atomic
def person_offboard(*, by: User | None, membership: Membership, reason: str) -> list[Case]:
    """ "This person left", in one step: deactivate, end every session, revoke every
    current grant. Her assignments stay as history (they give nothing while she is
    deactivated) and the cases are returned for reassignment."""
    require_admin(by, membership.organisation_id)
    if by is not None and by.pk == membership.user_id:
        raise PermissionDenied(_("You cannot off-board yourself; ask another administrator."))
    if not (reason or "").strip():
        raise ValidationError(_("Give a reason."))
    # Locked first: a confirmation under way finishes before her grants are listed.
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user").get(pk=membership.pk)
    grants = list(Grant.objects.current().filter(user=membership.user).select_related("case", "user"))
    for grant in grants:
        _revoke(by=by, grant=grant, reason=reason, event=events.GRANT_REMOVE)
    ended = _switch_off(membership) if membership.is_active or membership.user.is_active else 0
    withdrawn = withdraw_requests(by=by, membership=membership, reason=_("Withdrawn: an account it involves left."))
    cases = list(offboarding_cases(membership))
    details = {"grants_revoked": len(grants), "requests_withdrawn": withdrawn, "sessions_ended": ended}
    record(
        event=events.MEMBERSHIP_OFFBOARD,
        actor=by,
        target=membership.user,
        organisation=membership.organisation_id,
        reason=reason,
        details={**details, "role": membership.role, "cases": [case.code for case in cases]},
    )
    return cases


@transaction.atomic
def supervisor_bootstrap(*, organisation: Organisation, username: str, code: str = "") -> tuple[User, str | None]:
    """For an operator at the server only: make ``username`` (created if new) a supervisor
    of every team of ``organisation``, vouched for by the operator. Refused once the
    organisation has had a vouched supervisor: from then on supervisors vouch on the pages.
    An existing account must be her own already (her own password, her own authenticator,
    and ``code`` from it, typed in front of the operator). Returns ``(user, temporary
    password or None)``."""
    if had_a_vouched_supervisor(organisation):
        raise ValidationError(_("This organisation already has a supervisor: she vouches for new people on the pages."))
    user = User.objects.filter(username=username).first()
    password = None
    if user is None:
        user, password = user_create(
            by=None, organisation=organisation, username=username, role=Role.SUPERVISOR, supervises_all_teams=True
        )
    membership = Membership.objects.filter(user=user, organisation=organisation).select_related("user").first()
    if membership is None:
        raise ValidationError(_("This person does not belong to this organisation."))
    _require_active(membership)
    if password is None:
        _require_her_own(membership, code)
    withdraw_supervision_requests(by=None, membership=membership, reason=_("Made a supervisor at the server."))
    membership_set_role(by=None, membership=membership, role=Role.SUPERVISOR)
    membership_set_teams(by=None, membership=membership, teams=list(membership.teams.all()), supervises_all_teams=True)
    membership.refresh_from_db()
    if not membership.is_vouched:
        membership_vouch(by=None, membership=membership)
    record(event=events.ACCESS_BOOTSTRAP_SUPERVISOR, actor=None, target=user, organisation=organisation)
    return user, password


def had_a_vouched_supervisor(organisation: Organisation) -> bool:
    """Has the organisation ever had a supervisor someone vouched for? Asked of memberships
    in any state and of the audit trail: an administrator can deactivate, demote or reset a
    supervisor, and must not reopen the bootstrap that way."""
    supervisors = Membership.objects.filter(organisation=organisation, role=Role.SUPERVISOR)
    if supervisors.filter(vouched_at__isnull=False).exists():
        return True
    trail = AuditEntry.objects.filter(organisation=organisation, outcome=Outcome.OK)
    # Only a vouched supervisor vouches or confirms on the pages; an operator's vouch names the role.
    acted = (Q(event=events.ACCESS_VOUCH.name) | Q(event=events.ACCESS_CONFIRM.name)) & Q(actor__isnull=False)
    vouched = Q(event=events.ACCESS_VOUCH.name, additional_data__role=Role.SUPERVISOR)
    bootstrapped: bool = trail.filter(Q(event=events.ACCESS_BOOTSTRAP_SUPERVISOR.name) | acted | vouched).exists()
    return bootstrapped


def _require_her_own(membership: Membership, code: str) -> None:
    """An existing account may be an administrator's: she could have created it (and kept its
    temporary password) or taken it over. Only the person in front of the operator, with
    her own password and a code from her own authenticator, is made a supervisor."""
    if membership.must_change_password:
        raise ValidationError(
            _("She still has a temporary password from an administrator. She must sign in and choose her own first.")
        )
    device = TOTPDevice.objects.filter(user_id=membership.user_id, confirmed=True).first()
    if device is None:
        raise ValidationError(_("She has not set up her authenticator yet. Watch her do it, then run this again."))
    token = "".join((code or "").split())
    if not (token.isdigit() and device.verify_token(token)):
        raise ValidationError(
            _("Give a current code from her authenticator (--code), read from her phone in front of you.")
        )
