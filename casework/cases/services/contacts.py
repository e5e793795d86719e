"""Writes to the contacts of a case, and the case's next follow-up that they set."""

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.choices import CaseStatus
from casework.cases.models import Case, Contact
from casework.cases.services.common import apply, require, save_versioned

CONTACT_FIELDS = (
    "occurred_at",
    "duration_minutes",
    "channel",
    "place",
    "participants",
    "purpose",
    "notes",
    "safety_concern",
    "follow_up_on",
)
MAX_MINUTES = 24 * 60


def check_times(
    occurred_at: datetime.datetime | None, duration_minutes: int | None, follow_up_on: datetime.date | None
) -> None:
    """The rules on when a contact happened, for how long, and when to follow it up."""
    errors = {}
    if occurred_at and occurred_at > timezone.now():
        errors["occurred_at"] = _("A contact cannot be in the future. Record it once it has happened.")
    if duration_minutes is not None and not 1 <= duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"] = _("Give the duration in minutes, from 1 to 1440 (a whole day).")
    if occurred_at and follow_up_on and follow_up_on <= timezone.localdate(occurred_at):
        errors["follow_up_on"] = _("The follow-up must be after the day of the contact.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contact_add(
    *, by: User, case: Case, occurred_at: datetime.datetime, channel: str, purpose: str, **details: Any
) -> Contact:
    """Log an interaction on ``case`` and bring the case's next follow-up up to date."""
    require(by, case, "change")
    state = _lock(case)
    contact = Contact(case=case, created_by=by, occurred_at=occurred_at, channel=channel, purpose=purpose)
    apply(contact, details, CONTACT_FIELDS)
    check_times(contact.occurred_at, contact.duration_minutes, contact.follow_up_on)
    contact.full_clean(exclude=["case", "created_by"], validate_unique=False, validate_constraints=False)
    contact.save()
    _refresh_follow_up(case, state)
    return contact


@transaction.atomic
def contact_update(*, by: User, contact: Contact, version: int, **changes: Any) -> Contact:
    """Correct a logged contact. Editing an older one can still move the case's follow-up."""
    case = contact.case
    require(by, case, "change")
    state = _lock(case)
    fields = apply(contact, changes, CONTACT_FIELDS)
    check_times(contact.occurred_at, contact.duration_minutes, contact.follow_up_on)
    save_versioned(contact, version=version, fields=fields)
    _refresh_follow_up(case, state)
    return contact


def _lock(case: Case) -> dict[str, Any]:
    """Lock the case row so concurrent contacts agree on which is the latest; its state as saved."""
    return Case.objects.select_for_update().filter(pk=case.pk).values("status", "follow_up_on").get()


def latest_follow_up(case: Case) -> datetime.date | None:
    """The follow-up date set by the case's latest contact (None without contacts)."""
    latest = Contact.objects.filter(case=case).order_by("-occurred_at", "-pk").values("follow_up_on").first()
    return latest["follow_up_on"] if latest else None


def _refresh_follow_up(case: Case, state: dict[str, Any]) -> None:
    """The case's follow-up is the one the latest contact set; a closed case has none.

    Saved without touching the case's version: logging a contact must not turn someone's
    concurrent profile edit into a conflict.
    """
    follow_up = None if state["status"] == CaseStatus.CLOSED else latest_follow_up(case)
    case.follow_up_on = follow_up
    if follow_up != state["follow_up_on"]:
        case.save(update_fields=["follow_up_on", "updated_at"])
