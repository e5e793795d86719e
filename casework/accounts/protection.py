"""Protecting an account whose phone, laptop or owner is in the wrong hands: freeze, travel
mode, the duress password and a lost phone. Everything happens on the server (wiping a
device can itself be a crime where it is seized): access is withdrawn, nothing destroyed.

While she is frozen or in travel mode (a duress sign-in freezes), the permission layer gives
her nothing (``casework.accounts.models.workspace_is_empty``): she signs in to an ordinary,
empty workspace, the same whatever the cause, and no page of hers says which. What was done
is in the trail of her supervisors only (``account.*`` events), never hers while it lasts.

Who may act on someone else's account: a supervisor who could vouch for her (an active,
vouched supervisor of every team she works in or whose cases she is on; never herself),
and not protected herself. She may freeze herself, put herself into travel mode, set her
duress password and report her phone lost; only a supervisor unfreezes (with a fresh code
and a reason) or ends travel mode early.
"""

import datetime

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import Membership, Role
from casework.access.services.vouching import confirming_membership, covers, may_vouch, placement_teams
from casework.accounts.models import AccountGuard, empty_workspace_condition
from casework.accounts.services import second_factor_wipe
from casework.accounts.sessions import OPENED_EMPTIED, end_sessions
from casework.audit import events
from casework.audit.services import record

# Travel mode is for a trip, not a way to park an account: at most this far ahead.
TRAVEL_DAYS_AT_MOST = 90


def _membership(user: User) -> Membership | None:
    membership: Membership | None = Membership.objects.active().filter(user_id=user.pk).first()
    return membership


def may_protect(by: User, user: User) -> bool:
    """Whether ``by`` may freeze, unfreeze, release or reset ``user``: a supervisor who could
    vouch for her (her teams', vouched, never herself), and not frozen or travelling herself.
    When nobody could (she is the only supervisor of her teams, or of every team, or the one
    who could is protected too), any other supervisor of her organisation: her alarm must
    reach someone, and someone must be able to lift it. With no other supervisor at all, an
    operator at the server lifts it (``manage.py protection_lift``)."""
    membership = _membership(user)
    if membership is None or by.pk == user.pk:
        return False
    if may_vouch(by, membership):
        return True
    return confirming_membership(by, membership.organisation_id) is not None and not _has_protector(membership)


def _has_protector(membership: Membership) -> bool:
    """Whether some supervisor (not she, not protected herself) could vouch for her."""
    supervisors = (
        Membership.objects.active()
        .filter(organisation_id=membership.organisation_id, role=Role.SUPERVISOR, vouched_at__isnull=False)
        .exclude(user_id=membership.user_id)
        .exclude(empty_workspace_condition("user__"))
        .prefetch_related("supervised_teams")  # ``covers`` reads them: one query for them all
    )
    placed = placement_teams(membership)
    return any(covers(supervisor, *placed) for supervisor in supervisors)


def _require(by: User | None, user: User, *, own_allowed: bool) -> bool:
    """Whether ``by`` acts on her own account; PermissionDenied if she may not act at all.
    ``by=None``: an operator at the server, when nobody in the organisation may."""
    if by is None:
        return False
    own = by.pk == user.pk
    if own and own_allowed:
        return True
    if own or not may_protect(by, user):
        raise PermissionDenied(_("Only a supervisor of this person's teams can do this."))
    return False


def _guard(user: User) -> AccountGuard:
    """Her protections, made if she had none, locked for the rest of the transaction."""
    AccountGuard.objects.get_or_create(user_id=user.pk)
    guard = AccountGuard.objects.select_for_update().get(user_id=user.pk)
    user.guard = guard  # type: ignore[attr-defined]  # what this user object says from now on is this row
    return guard


def _organisation(user: User) -> int | None:
    return Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True).first()


def _reason(reason: str, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationError(_("Give a reason."))
    return reason


@transaction.atomic
def account_freeze(*, by: User, user: User, reason: str = "") -> int:
    """Freeze ``user``'s account: every session of hers ends (the one asking too, if it is
    hers) and nothing of a case opens to her until a supervisor unfreezes it. Returns how
    many sessions ended."""
    own = _require(by, user, own_allowed=True)
    guard = _guard(user)
    if guard.frozen_at is None:
        guard.frozen_at, guard.frozen_by = timezone.now(), by
        guard.save(update_fields=["frozen_at", "frozen_by"])
    ended = end_sessions(user=user)
    record(
        event=events.ACCOUNT_FREEZE,
        actor=by,
        target=user,
        organisation=_organisation(user),
        reason=_reason(reason, required=False),
        details={"ended": ended, "own": own},
    )
    return ended


@transaction.atomic
def account_unfreeze(*, by: User | None, user: User, reason: str) -> int:
    """A supervisor of hers lifts the freeze (and the duress flag with it). The view asks
    her for a fresh code first, as a reveal does. Every session of hers ends: each was
    opened while she was frozen (the freeze ended the others), the duress one in front of
    her captor among them, and none may wake up with her cases in it; she signs in again.
    Returns how many sessions ended."""
    _require(by, user, own_allowed=False)
    reason = _reason(reason, required=True)
    guard = _guard(user)
    if guard.frozen_at is None:
        raise ValidationError(_("This account is not frozen."))
    guard.frozen_at, guard.frozen_by, guard.duress_at = None, None, None
    guard.save(update_fields=["frozen_at", "frozen_by", "duress_at"])
    ended = end_sessions(user=user)
    record(
        event=events.ACCOUNT_UNFREEZE,
        actor=by,
        target=user,
        organisation=_organisation(user),
        reason=reason,
        details={"ended": ended},
    )
    return ended


def check_travel_until(until: datetime.date) -> None:
    today = timezone.localdate()
    if until < today:
        raise ValidationError(_("Choose today or a later day."))
    if until > today + datetime.timedelta(days=TRAVEL_DAYS_AT_MOST):
        raise ValidationError(
            _("Travel mode lasts at most %(days)d days. Choose an earlier day.") % {"days": TRAVEL_DAYS_AT_MOST}
        )


@transaction.atomic
def travel_start(*, by: User, user: User, until: datetime.date, reason: str = "") -> datetime.date:
    """Travel mode until ``until`` (its last day): signing in works and shows an empty
    workspace; it ends by itself after that day. She cannot shorten it herself (a captor
    would make her): asked by her, a later day extends it and an earlier one changes
    nothing. Returns the last day now in force."""
    own = _require(by, user, own_allowed=True)
    check_travel_until(until)
    guard = _guard(user)
    if own and guard.is_travelling() and guard.travel_until and guard.travel_until > until:
        until = guard.travel_until
    guard.travel_until, guard.travel_set_by = until, by
    guard.save(update_fields=["travel_until", "travel_set_by"])
    record(
        event=events.ACCOUNT_TRAVEL,
        actor=by,
        target=user,
        organisation=_organisation(user),
        reason=_reason(reason, required=False),
        details={"until": until.isoformat(), "own": own},
    )
    return until


@transaction.atomic
def travel_end(*, by: User | None, user: User, reason: str) -> None:
    """A supervisor of hers ends travel mode before its day, with a reason."""
    _require(by, user, own_allowed=False)
    reason = _reason(reason, required=True)
    guard = _guard(user)
    if not guard.is_travelling():
        raise ValidationError(_("This account is not in travel mode."))
    guard.travel_until, guard.travel_set_by = None, None
    guard.save(update_fields=["travel_until", "travel_set_by"])
    record(event=events.ACCOUNT_TRAVEL_END, actor=by, target=user, organisation=_organisation(user), reason=reason)


@transaction.atomic
def duress_password_set(*, user: User, password: str) -> None:
    """Her duress password, validated like a password and never her real one; kept hashed."""
    password_validation.validate_password(password, user)
    if user.check_password(password):
        raise ValidationError(_("Choose a duress password that is not your password."))
    guard = _guard(user)
    guard.duress_password = make_password(password)
    guard.save(update_fields=["duress_password"])
    record(event=events.ACCOUNT_DURESS_PASSWORD, actor=user, target=user)


@transaction.atomic
def duress_sign_in(*, request: HttpRequest, user: User) -> None:
    """She signed in with her duress password (the password step, in ``request``'s new
    session): her account is frozen underneath, every other session of hers ends, and her
    supervisors see it. This session goes on like any other, into an empty workspace."""
    guard = _guard(user)
    now = timezone.now()
    if guard.frozen_at is None:
        guard.frozen_at, guard.frozen_by = now, user
    guard.duress_at = now
    guard.save(update_fields=["frozen_at", "frozen_by", "duress_at"])
    ended = end_sessions(user=user, keep=request.session)  # type: ignore[attr-defined]
    request.session[OPENED_EMPTIED] = True  # type: ignore[attr-defined]  # ends when the freeze is lifted
    record(event=events.ACCOUNT_DURESS, actor=user, target=user, details={"ended": ended})


@transaction.atomic
def device_lost(*, by: User, user: User, reason: str = "") -> int:
    """ "I lost my phone", from another session of hers or by a supervisor of hers: every
    session ends (this one too), her authenticator and recovery codes are gone, and, as
    after any reset of the second factor, a supervisor must vouch again for whoever enrols
    next. Returns how many sessions ended."""
    own = _require(by, user, own_allowed=True)
    membership = _membership(user)
    if membership is None:
        raise PermissionDenied(_("Only a supervisor of this person's teams can do this."))
    if membership.must_change_password:
        # An administrator knows that password: with the authenticator gone too, she could
        # enrol her own and become her (an administrator's second-factor reset refuses the same).
        raise ValidationError(
            _("She still has a temporary password from an administrator. Freeze the account instead.")
        )
    reason = _reason(reason, required=False)
    ended = second_factor_wipe(
        by=by, user=user, membership=membership, cause=events.ACCOUNT_DEVICE_LOST.name, reason=reason
    )
    record(
        event=events.ACCOUNT_DEVICE_LOST,
        actor=by,
        target=user,
        organisation=membership.organisation_id,
        reason=reason,
        details={"ended": ended, "own": own},
    )
    return ended


def protected_people(by: User, organisation_id: int) -> list[AccountGuard]:
    """The people of ``by``'s organisation she may protect who are frozen, in travel mode or
    signed in under duress, for her home page: one query when there are none; the handful
    there are are each checked as every act is."""
    today = timezone.localdate()
    guards = (
        AccountGuard.objects.filter(user__membership__organisation_id=organisation_id)
        .exclude(user=by)
        .filter(Q(frozen_at__isnull=False) | Q(travel_until__gte=today) | Q(duress_at__isnull=False))
        .select_related("user")
        .order_by("user__username")
    )
    return [guard for guard in guards if may_protect(by, guard.user)]
