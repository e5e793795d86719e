"""Writing audit events for acts that are not model changes (reads, denials, logins, grants,
exports), and the weekly review mark."""

from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework import keys
from casework.access.models import Membership, Organisation, Role, Team
from casework.audit import events, reasons, review
from casework.audit.models import AuditEntry, Outcome, WeekReview
from casework.cases.models import Case


def client_ip_hash(request: HttpRequest) -> str:
    """Keyed hash of the client address; the address itself is never stored."""
    address = request.META.get("REMOTE_ADDR", "")
    if not address:
        return ""
    return keys.keyed_hash(keys.ADDRESS_HASH, address.encode())


def organisation_of(user: User | AnonymousUser | None) -> int | None:
    """The organisation ``user`` belongs to (her one membership, active or not), cached on
    the user object: every entry is scoped to an organisation, so reviewers see their own."""
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_casework_organisation_id"):
        membership = Membership.objects.filter(user_id=user.pk).values_list("organisation_id", flat=True).first()
        user._casework_organisation_id = membership  # type: ignore[attr-defined]  # a cache on the user object
    organisation_id: int | None = user._casework_organisation_id  # type: ignore[attr-defined]
    return organisation_id


@transaction.atomic
def record(
    *,
    event: events.Event | str,
    actor: User | AnonymousUser | None,
    outcome: str = Outcome.OK,
    case: Case | None = None,
    case_code: str = "",
    target: Model | None = None,
    organisation: Organisation | int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry for ``event`` (``events.CASE_VIEW``, ``events.LOGIN_FAILED`` ...).

    ``event`` must be in the catalogue (casework.audit.events): ValueError otherwise.

    ``case`` scopes the entry to a case (its code and organisation are copied);
    ``target`` is the object acted upon when it is not a case (a user, a grant).
    ``details`` must never hold an identity value, a session key or an address.
    ``reason``, when the entry is about a case, is stored sealed under the case's key
    (casework.audit.reasons): read it through ``reasons.open_reasons``.
    """
    event = events.get(event)
    if isinstance(actor, AnonymousUser):
        actor = None  # nobody signed in: the entry names no actor and is not about her
    subject = case if case is not None else (target if target is not None else actor)
    if case is not None:
        case_code = case.code
        organisation = organisation or case.organisation_id
        reason = reasons.seal(case, reason)  # erasing the case then erases the reason
    entry = AuditEntry(
        event=event.name,
        outcome=outcome,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason,
        case_code=case_code,
        action=AuditEntry.Action.ACCESS,
        additional_data=details or None,
    )
    if subject is not None:
        entry.content_type = ContentType.objects.get_for_model(subject)
        entry.object_pk = str(subject.pk)
        entry.object_id = subject.pk if isinstance(subject.pk, int) else None
        entry.object_repr = str(subject)
    else:
        entry.content_type = ContentType.objects.get_for_model(AuditEntry)
        entry.object_pk = ""
        entry.object_repr = ""
    if organisation is None:
        organisation = organisation_of(actor)
    if organisation is not None:
        entry.organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    entry.save()
    return entry


ALREADY_MARKED = gettext_lazy("You have already marked this week reviewed.")


@transaction.atomic
def week_review(*, by: User, week: date, note: str) -> WeekReview:
    """Mark the week of ``week`` (any day of it) reviewed by the supervisor ``by`` for her
    scope (the teams she supervises now), with ``note``; audited as ``audit.week_reviewed``.

    PermissionDenied for anyone but an active supervisor; ValidationError for a week not
    yet begun, a note missing, or a week she already marked.
    """
    role = review.reviewer(by)
    if role is None or role.role != Role.SUPERVISOR:
        raise PermissionDenied(_("Only supervisors mark a week of the audit trail reviewed."))
    week = review.week_start(week)  # any day names its week
    _check_week(by, week, note)
    teams = list(Team.objects.filter(pk__in=role.supervised_teams()).order_by("slug"))
    marked = WeekReview(
        organisation_id=role.organisation_id,
        week=week,
        reviewed_by=by,
        all_teams=role.supervises_all_teams,
        note=note.strip(),
    )
    try:
        with transaction.atomic():  # two clicks at once: the second finds the first's mark
            marked.save()
    except IntegrityError:
        raise ValidationError(ALREADY_MARKED) from None
    marked.teams.set(teams)
    details = {"week": week.isoformat(), "teams": [team.slug for team in teams]}
    record(
        event=events.AUDIT_WEEK_REVIEWED,
        actor=by,
        reason=marked.note,
        organisation=role.organisation_id,
        details=details,
    )
    return marked


def _check_week(by: User, week: date, note: str) -> None:
    if week > timezone.localdate():
        raise ValidationError(_("Choose a week that has begun."))
    if not note.strip():
        raise ValidationError(_("Write what you found, even if it is “nothing unusual”."))
    if WeekReview.objects.filter(reviewed_by=by, week=week).exists():
        raise ValidationError(ALREADY_MARKED)
