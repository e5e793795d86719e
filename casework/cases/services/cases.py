from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit import events
from casework.audit.services import record
from casework.cases.choices import CaseStatus
from casework.cases.models import Case
from casework.cases.services.common import apply, require, save_versioned
from casework.cases.services.contacts import latest_follow_up

# The non-identifying profile: what the intake and edit forms may change. The region is
# not here: it is that of her latest journey step (casework.cases.services.journey).
PROFILE_FIELDS = (
    "status",
    "risk_level",
    "age_band",
    "gender",
    "nationality",
    "exploitation_types",
    "languages",
    "intake_source",
    "summary",
)


@transaction.atomic
def case_update(*, by: User, case: Case, version: int, **changes: Any) -> Case:
    """Change the profile of ``case``. Closing and reopening have their own services."""
    require(by, case, "change")
    if changes.get("status") == CaseStatus.CLOSED or (case.status == CaseStatus.CLOSED and "status" in changes):
        changes.pop("status")
    fields = apply(case, changes, PROFILE_FIELDS)
    return save_versioned(case, version=version, fields=fields)


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    return reason


@transaction.atomic
def case_close(*, by: User, case: Case, reason: str, version: int) -> Case:
    require(by, case, "manage")
    reason = _require_reason(reason)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(_("This case is already closed."))
    case.status, case.closed_on, case.follow_up_on = CaseStatus.CLOSED, timezone.localdate(), None
    save_versioned(case, version=version, fields=["status", "closed_on", "follow_up_on"])
    record(event=events.CASE_CLOSE, actor=by, case=case, reason=reason)
    return case


@transaction.atomic
def case_reopen(*, by: User, case: Case, reason: str, version: int) -> Case:
    require(by, case, "manage")
    reason = _require_reason(reason)
    if case.status != CaseStatus.CLOSED:
        raise ValidationError(_("This case is not closed."))
    case.status, case.closed_on, case.follow_up_on = CaseStatus.ACTIVE, None, latest_follow_up(case)
    save_versioned(case, version=version, fields=["status", "closed_on", "follow_up_on"])
    record(event=events.CASE_REOPEN, actor=by, case=case, reason=reason)
    return case
