"""The de-identified case export: coarse profile, dates and counts; never identity, never free text.

Only supervisors export, only the cases ``restrict`` lets them see, and every export is
audited with its reason. The rows are read with ``values()`` over named columns, so a
summary, a note or a name is never even loaded.
"""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.access.models import Membership, Role
from casework.audit import events
from casework.audit.services import record
from casework.cases import codes
from casework.cases.choices import ReferralStatus
from casework.cases.models import Case, Contact, Referral, SupportNeed

# The stored columns of a case that the export copies as they are; everything else stays behind.
PROFILE = (
    "status",
    "opened_on",
    "closed_on",
    "risk_level",
    "age_band",
    "gender",
    "nationality",
    "region",
    "exploitation_types",
    "intake_source",
    "follow_up_on",
)
COUNTS = ("needs_total", "needs_open", "referrals_total", "referrals_active", "contacts_total", "last_contact_on")
COLUMNS = ("code", "team", *PROFILE, *COUNTS)
ACTIVE_REFERRAL = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)
# A spreadsheet runs a cell that starts with one of these as a formula; team names are typed by people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def may_export(membership: Membership | None) -> bool:
    """Does this (active) membership export cases? Supervisors do."""
    return membership is not None and membership.role == Role.SUPERVISOR


def export_membership(user: User | AnonymousUser) -> Membership | None:
    """The active supervisor membership that lets ``user`` export, or None."""
    if not user.is_authenticated:
        return None
    membership: Membership | None = Membership.objects.active().filter(user_id=user.pk, role=Role.SUPERVISOR).first()
    return membership


@transaction.atomic
def cases_export(*, by: User, reason: str) -> list[list[str]]:
    """Header and rows of every case ``by`` may view, audited as ``export.csv`` with ``reason``."""
    membership = export_membership(by)
    if membership is None:
        raise PermissionDenied(_("Only supervisors export cases."))
    rows = [_row(values) for values in _annotated(Case.objects.restrict(by, "view"))]
    details = {"cases": len(rows), "what": "cases"}
    record(event=events.EXPORT_CSV, actor=by, reason=reason, organisation=membership.organisation_id, details=details)
    return [list(COLUMNS), *rows]


def _count(queryset: QuerySet[Any]) -> Coalesce:
    counted = queryset.filter(case=OuterRef("pk")).order_by().values("case").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _annotated(cases: QuerySet[Case]) -> QuerySet[Case, dict[str, Any]]:
    """One query, however many cases: each count is a correlated subquery, so no join multiplies rows."""
    latest_contact = Contact.objects.filter(case=OuterRef("pk")).order_by("-occurred_at").values("occurred_at")[:1]
    rows: QuerySet[Case, dict[str, Any]] = (
        cases.order_by("opened_on", "code")
        .values("code", *PROFILE, team_name=F("team__name"))
        .annotate(
            needs_total=_count(SupportNeed.objects.all()),
            needs_open=_count(SupportNeed.objects.unresolved()),
            referrals_total=_count(Referral.objects.all()),
            referrals_active=_count(Referral.objects.filter(status__in=ACTIVE_REFERRAL)),
            contacts_total=_count(Contact.objects.all()),
            last_contact_at=Subquery(latest_contact),
        )
    )
    return rows


def _row(values: dict[str, Any]) -> list[str]:
    last_contact_at = values["last_contact_at"]
    cells = {
        **values,
        "code": codes.display(values["code"]),
        "team": values["team_name"],
        "exploitation_types": ";".join(values["exploitation_types"] or ()),
        "last_contact_on": timezone.localdate(last_contact_at) if last_contact_at else None,
    }
    return [defuse(cells[column]) for column in COLUMNS]


def defuse(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet will run as a formula."""
    cell = "" if value is None else str(value)
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell
