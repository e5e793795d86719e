"""Explicit access for one person to one case: given with a reason, ended by revocation or expiry."""

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import AccessRequest, Grant, GrantLevel, Membership
from casework.access.services.permissions import require_case_worker, require_manage, sync_case_user
from casework.access.services.vouching import request_reveal_grant
from casework.audit import events
from casework.audit.services import record
from casework.cases.models import Case, CaseUserObjectPermission


def _require_may_grant(by: User, case: Case, user: User) -> None:
    if by.pk == user.pk:
        raise PermissionDenied(_("You cannot grant access to yourself; ask a supervisor or another administrator."))
    if not Membership.objects.active().filter(user=by, organisation_id=case.organisation_id).exists():
        raise PermissionDenied(_("You can only manage access to the cases of your own organisation."))
    require_manage(by, case)


@transaction.atomic
def grant_add(
    *, by: User, case: Case, user: User, level: str, reason: str, expires: datetime.datetime | None = None
) -> Grant | AccessRequest:
    """Give ``user`` view, edit or reveal on ``case``, for a reason, until ``expires`` (or until revoked).

    For a supervisor of the case's team or an administrator of its organisation, never for
    oneself; the person given access must be an active caseworker or supervisor of the
    same organisation. An administrator's reveal grant is not made yet: it is returned as
    an ``AccessRequest`` for a supervisor of the case's team to confirm.
    """
    if level not in GrantLevel.values:
        raise ValidationError(_("Choose view, edit or reveal."))
    if not (reason or "").strip():
        raise ValidationError(_("Give a reason for the grant."))
    if expires is not None and expires <= timezone.now():
        raise ValidationError(_("The expiry must be in the future."))
    _require_may_grant(by, case, user)
    membership = require_case_worker(user, case)
    if level == GrantLevel.REVEAL and not case.allows(by, "manage"):
        # An administrator's reveal grant waits for a supervisor of the case's team.
        return request_reveal_grant(by=by, case=case, membership=membership, reason=reason, expires=expires)
    grant = Grant.objects.create(
        case=case, user=user, level=level, reason=reason.strip(), expires_at=expires, granted_by=by
    )
    sync_case_user(case=case, user=user)
    record(
        event=events.GRANT_ADD,
        actor=by,
        case=case,
        reason=grant.reason,
        details={"user": user.username, "level": level, "expires": expires.isoformat() if expires else None},
    )
    return grant


@transaction.atomic
def grant_remove(*, by: User, grant: Grant, reason: str = "") -> None:
    """Revoke ``grant`` at once; it stays as history."""
    if grant.revoked_at is not None:
        raise ValidationError(_("This grant was already revoked."))
    require_manage(by, grant.case)
    _revoke(by=by, grant=grant, reason=reason, event=events.GRANT_REMOVE)


def _revoke(*, by: User | None, grant: Grant, reason: str, event: events.Event) -> None:
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    sync_case_user(case=grant.case, user=grant.user)
    details = {"user": grant.user.username, "level": grant.level}
    record(event=event, actor=by, case=grant.case, reason=reason, details=details)


@transaction.atomic
def grants_expire(*, now: datetime.datetime | None = None) -> int:
    """Sweep the permission rows of expired grants out of guardian's table.

    Access already ends at the moment of expiry (``Case.objects.restrict`` compares the
    row's expiry at query time); this only tidies the rows, and records one
    ``grant.expire`` entry per person and case it tidied. Running it again finds nothing.
    Returns how many (case, person) pairs were swept.
    """
    now = now or timezone.now()
    stale = (
        CaseUserObjectPermission.objects.filter(expires_at__lte=now)
        .values_list("content_object_id", "user_id")
        .distinct()
        .order_by("content_object_id", "user_id")
    )
    pairs = list(stale)
    cases = Case.objects.select_related("organisation").in_bulk({case_id for case_id, _user in pairs})
    for case_id, user_id in pairs:
        case = cases[case_id]
        user = User.objects.get(pk=user_id)
        expired = Grant.objects.filter(case=case, user=user, revoked_at__isnull=True, expires_at__lte=now)
        sync_case_user(case=case, user=user)
        record(
            event=events.GRANT_EXPIRE,
            actor=None,
            case=case,
            details={"user": user.username, "levels": sorted(set(expired.values_list("level", flat=True)))},
        )
    return len(pairs)
