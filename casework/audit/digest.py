"""One week of the trail as a supervisor reviews it on Monday morning.

Sensitive entries first (reveals with their purposes, exports, grants, denials ...), each on
its own line; everything routine folded into one line per person, case and day ("lead opened
5 pages of VQV-WQV8-TCK, 04:22 to 04:24"), with the entries behind it; a count per person.
A fixed number of queries whatever the size of the week: each part is capped, and says so.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Min, Q
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber, TruncDate

from casework.audit import describe, events, review
from casework.audit.models import Outcome, WeekReview
from casework.cases import codes

SENSITIVE_SHOWN = 200
FOLDS_SHOWN = 200
PER_FOLD = 20


@dataclass
class Fold:
    """Routine entries of one person on one case (or on no case) on one local day."""

    actor_id: int | None
    case_code: str
    day: date
    count: int
    views: int
    first: datetime
    last: datetime
    newest: int
    actor_name: str = ""
    entries: list = field(default_factory=list)

    @property
    def display_code(self) -> str:
        return codes.display(self.case_code) if self.case_code else ""

    @property
    def others(self) -> int:
        return self.count - self.views

    @property
    def out_of_hours(self) -> bool:
        return describe.out_of_hours(self.first) or describe.out_of_hours(self.last)


def of_week(entries, monday: date):
    """``entries`` (already scoped to the reviewer) within the week starting ``monday``."""
    start, end = review.week_bounds(monday)
    return entries.filter(timestamp__gte=start, timestamp__lt=end)


def sensitive_entries(week):
    """The sensitive entries of the week, newest first, described; and whether there are more."""
    rows = list(week.filter(describe.sensitive()).select_related("actor").order_by("-seq")[: SENSITIVE_SHOWN + 1])
    return describe.described(rows[:SENSITIVE_SHOWN]), len(rows) > SENSITIVE_SHOWN


def folds(week):
    """The routine entries of the week folded per person, case and local day, newest first
    (at most FOLDS_SHOWN folds, each with its newest PER_FOLD entries); and whether there are more."""
    routine = week.exclude(describe.sensitive())
    day = TruncDate("timestamp")
    rows = list(
        routine.annotate(day=day)
        .values("actor_id", "case_code", "day")
        .annotate(
            count=Count("pk"),
            views=Count("pk", filter=Q(event__in=events.names(kind=events.VIEW))),
            first=Min("timestamp"),
            last=Max("timestamp"),
            newest=Max("seq"),
        )
        .order_by("-newest")[: FOLDS_SHOWN + 1]
    )
    found = [Fold(**row) for row in rows[:FOLDS_SHOWN]]
    _attach_entries(routine, found)
    _attach_names(found)
    return found, len(rows) > FOLDS_SHOWN


def _attach_entries(routine, found):
    """The newest PER_FOLD entries of each fold, in one query (a row number per fold)."""
    if not found:
        return
    by_key = {(fold.actor_id, fold.case_code, fold.day): fold for fold in found}
    numbered = routine.filter(timestamp__gte=min(fold.first for fold in found)).annotate(
        day=TruncDate("timestamp"),
        number=Window(
            RowNumber(), partition_by=[F("actor_id"), F("case_code"), TruncDate("timestamp")], order_by=F("seq").desc()
        ),
    )
    for entry in numbered.filter(number__lte=PER_FOLD).order_by("-seq"):
        fold = by_key.get((entry.actor_id, entry.case_code, entry.day))
        if fold is not None:
            fold.entries.append(entry)
    for fold in found:
        describe.described(fold.entries)


def _attach_names(found):
    ids = {fold.actor_id for fold in found if fold.actor_id is not None}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")) if ids else {}
    for fold in found:
        fold.actor_name = names.get(fold.actor_id, "")


def people(week):
    """Per person, what she did in the week: cases opened, identities revealed, exports,
    refusals; one aggregate query, by username."""
    ok = Q(outcome=Outcome.OK)
    return list(
        week.filter(actor__isnull=False)
        .values("actor__username")
        .annotate(
            opened=Count("case_code", distinct=True, filter=ok & Q(event=events.CASE_VIEW.name)),
            revealed=Count("pk", filter=ok & Q(event__in=events.names(kind=events.REVEAL))),
            exported=Count("pk", filter=ok & Q(event__in=events.names(kind=events.EXPORT))),
            refused=Count("pk", filter=~ok),
        )
        .order_by("actor__username")
    )


def mark_of(user, monday: date):
    """Her review mark of that week, if she made one."""
    return WeekReview.objects.filter(reviewed_by_id=user.pk, week=monday).select_related("reviewed_by").first()
