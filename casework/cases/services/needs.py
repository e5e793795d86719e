"""Writes to the support needs of a case: add, edit, and move through the status workflow."""

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access.models import active_member
from casework.cases.choices import NeedStatus
from casework.cases.models import Case, SupportNeed
from casework.cases.services.common import apply, require, save_versioned

NEED_FIELDS = ("category", "urgency", "owner", "identified_on", "due_on", "outcome_notes")
RESOLVED = (NeedStatus.MET, NeedStatus.UNMET, NeedStatus.DECLINED)

# The workflow: where a need may go from each status. Work often starts and ends in the
# same visit, so a new need may be resolved at once; a resolved one can only be reopened.
MOVES: dict[str, tuple[str, ...]] = {
    NeedStatus.IDENTIFIED: (NeedStatus.IN_PROGRESS, *RESOLVED),
    NeedStatus.IN_PROGRESS: RESOLVED,
    NeedStatus.MET: (NeedStatus.IN_PROGRESS,),
    NeedStatus.UNMET: (NeedStatus.IN_PROGRESS,),
    NeedStatus.DECLINED: (NeedStatus.IN_PROGRESS,),
}


def assignees(case: Case) -> QuerySet[User]:
    """Who may own a need of ``case``: the people assigned to it who can still sign in."""
    assigned = User.objects.filter(case_assignments__case=case, membership__organisation_id=case.organisation_id)
    return assigned.filter(active_member()).distinct().order_by("username")


def check_dates(identified_on: datetime.date | None, due_on: datetime.date | None) -> None:
    if identified_on and due_on and due_on < identified_on:
        raise ValidationError({"due_on": _("The due date cannot be before the day the need was identified.")})


def check_owner(case: Case, owner: User | None, saved_owner_id: int | None = None) -> None:
    """An owner is someone assigned to the case; keeping the owner it already has is allowed."""
    if owner is None or owner.pk == saved_owner_id:
        return
    if not assignees(case).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("Choose someone assigned to this case.")})


@transaction.atomic
def need_add(
    *,
    by: User,
    case: Case,
    category: str,
    urgency: str,
    owner: User | None = None,
    identified_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    outcome_notes: str = "",
) -> SupportNeed:
    """Record a new support need on ``case``; it starts as identified."""
    require(by, case, "change")
    identified_on = identified_on or timezone.localdate()
    check_dates(identified_on, due_on)
    check_owner(case, owner)
    need = SupportNeed(
        case=case,
        created_by=by,
        category=category,
        urgency=urgency,
        owner=owner,
        identified_on=identified_on,
        due_on=due_on,
        outcome_notes=outcome_notes,
    )
    # Field checks only: the foreign keys were just checked, the constraints are the database's.
    need.full_clean(exclude=["case", "created_by", "owner"], validate_unique=False, validate_constraints=False)
    need.save()
    return need


@transaction.atomic
def need_update(*, by: User, need: SupportNeed, version: int, **changes: Any) -> SupportNeed:
    """Change what is known about ``need``. Its status has its own service."""
    require(by, need.case, "change")
    saved_owner_id = SupportNeed.objects.filter(pk=need.pk).values_list("owner_id", flat=True).first()
    fields = apply(need, changes, NEED_FIELDS)
    check_dates(need.identified_on, need.due_on)
    check_owner(need.case, need.owner, saved_owner_id)
    return save_versioned(need, version=version, fields=fields)


@transaction.atomic
def need_set_status(*, by: User, need: SupportNeed, status: str, version: int) -> SupportNeed:
    """Move ``need`` along the workflow; resolving it dates it, reopening it clears the date."""
    require(by, need.case, "change")
    if status not in MOVES[need.status]:
        raise ValidationError({"status": _("A need cannot move to this status from where it is now.")})
    need.status = status
    need.closed_on = timezone.localdate() if status in RESOLVED else None
    return save_versioned(need, version=version, fields=["status", "closed_on"])
