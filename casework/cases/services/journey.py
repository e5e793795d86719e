"""Writes to the journey of a case: dated steps along her route, and the case's current
stage and region, which are those of her latest step."""

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.audit import events
from casework.audit.services import record
from casework.cases.choices import JourneyStage, Region
from casework.cases.models import Case, JourneyStep
from casework.cases.services.common import EditConflict, require

# The order of her steps, latest first: by day, then by entry (two steps on one day: the later entry).
LATEST_FIRST = ("-started_on", "-created_at", "-pk")
# Older than this is a typing slip (0225 for 2025), not a journey anyone still works on.
OLDEST_YEARS = 40


def earliest_start(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today.replace(year=today.year - OLDEST_YEARS, day=min(today.day, 28))


def check_step(stage: str, region: str, started_on: datetime.date | None) -> None:
    """The rules on a step: a stage and a region from their lists, a day neither ahead nor absurdly far back."""
    errors: dict[str, Any] = {}
    if stage not in JourneyStage.values:
        errors["stage"] = _("Choose a stage from the list.")
    if region not in Region.values:
        errors["region"] = _("Choose a region from the list.")
    if started_on is None:
        errors["started_on"] = _("Give the day she reached this stage.")
    elif started_on > timezone.localdate():
        errors["started_on"] = _("A step cannot start in the future. Record it once she has reached the stage.")
    elif started_on < earliest_start():
        errors["started_on"] = ValidationError(
            _("This day is more than %(years)s years ago. Check the year."), params={"years": OLDEST_YEARS}
        )
    if errors:
        raise ValidationError(errors)


def _lock(case: Case, version: int) -> None:
    """Lock the case row for the rest of the transaction; refuse if it changed since ``version``."""
    current = Case._base_manager.select_for_update().get(pk=case.pk)
    if current.version != version:
        raise EditConflict(current)


def _follow_latest(case: Case, version: int) -> None:
    """The case's stage and region become those of its latest step (by day, then by entry);
    without steps, no stage and an unknown region. The version moves on either way."""
    latest = case.journey.order_by(*LATEST_FIRST).values("stage", "region").first()
    case.stage, case.region = (latest["stage"], latest["region"]) if latest else ("", Region.UNKNOWN)
    case.version = version + 1
    case.save(update_fields=["stage", "region", "version", "updated_at"])


@transaction.atomic
def journey_step_add(
    *, by: User, case: Case, stage: str, region: str, started_on: datetime.date, version: int
) -> JourneyStep:
    """Record that she reached ``stage`` in ``region`` on ``started_on``. A step dated before
    the latest one fills in the past and leaves the current stage and region as they are."""
    require(by, case, "change")
    check_step(stage, region, started_on)
    _lock(case, version)
    step = JourneyStep(case=case, created_by=by, stage=stage, region=region, started_on=started_on)
    step.save()
    _follow_latest(case, version)
    return step


@transaction.atomic
def journey_step_remove(*, by: User, case: Case, step: JourneyStep, reason: str, version: int) -> None:
    """Remove a step entered by mistake, with the reason; the current stage and region follow
    the steps that remain."""
    require(by, case, "change")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason.")})
    if step.case_id != case.pk:
        raise ValidationError(_("This step is not part of this case's journey."))
    _lock(case, version)
    details = {"stage": step.stage, "since": step.started_on.isoformat()}
    step.delete()
    _follow_latest(case, version)
    record(event=events.JOURNEY_STEP_REMOVE, actor=by, case=case, reason=reason, details=details)
