"""The report's counts, asked of the database in a fixed number of queries.

Reports read aggregates only, never a record: each section is one query grouped by its
row and column (``values().annotate(Count)``), whatever the number of teams, cases or
records. They read cases by organisation and team (the scope a ``Scope`` names), not
through ``Case.objects.restrict``: the reporting role may see no case at all, and what
leaves here is counts, which ``casework.reports.suppress`` makes safe to show.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from casework.access.models import Membership, Organisation, Role, Team
from casework.accounts.models import workspace_is_empty
from casework.cases.choices import JourneyStage, NeedStatus, ReferralStatus, Region, ServiceType
from casework.cases.models import Case, Contact, JourneyStep, Referral, ReferralStep, SupportNeed
from casework.reports.periods import Period

# Time between two dates, in bands of days: an average or a median of a few cases would
# single them out, a band is a count like any other and is suppressed like one.
BANDS = (
    ("0-7", 7, _("7 days or less")),
    ("8-30", 30, _("8–30 days")),
    ("31-90", 90, _("31–90 days")),
    ("91-180", 180, _("91–180 days")),
    ("181-365", 365, _("181–365 days")),
    ("366+", None, _("More than a year")),
)
ANSWERS = (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)
SENT_ON = [status for status in ReferralStatus if status != ReferralStatus.DRAFT]
FOLLOW_UP_STATES = (("kept", _("Kept")), ("overdue", _("Overdue")), ("due", _("Not yet due")))


@dataclass(frozen=True)
class Scope:
    """What a report counts: some teams of one organisation (all of them for the reporting
    role and for a supervisor of every team)."""

    organisation: Organisation
    teams: tuple[Team, ...]
    whole: bool
    # Frozen, travelling, under duress: the report opens as on any day and counts nothing
    # (every count reads "fewer than k"), so that whoever stands over her sees no difference.
    empty: bool = False

    def of_cases(self, prefix: str = "") -> Q:
        if self.empty:
            return Q(**{f"{prefix}pk__in": []})
        return Q(**{f"{prefix}organisation_id": self.organisation.pk, f"{prefix}team_id__in": self.team_ids})

    @property
    def team_ids(self) -> list[int]:
        return [team.pk for team in self.teams]

    def details(self) -> dict[str, Any]:
        """For the audit entry: which teams (by number), or the whole organisation."""
        return {"scope": "organisation" if self.whole else "teams", "teams": [] if self.whole else self.team_ids}


def may_read_reports(membership: Membership | None) -> bool:
    """Whether to offer the reports at all (no query: the membership came with the user);
    ``scope_of`` decides what they hold."""
    if membership is None or not membership.is_active or not membership.is_vouched:
        return False
    return membership.role in (Role.SUPERVISOR, Role.REPORTING)


def scope_of(membership: Membership | None) -> Scope | None:
    """The report ``membership`` may see, or None: a vouched supervisor's teams (every team
    if she supervises all), the reporting role's whole organisation; nothing for anyone else."""
    if membership is None or not membership.is_active or not membership.is_vouched:
        return None
    teams = Team.objects.filter(organisation_id=membership.organisation_id).order_by("name", "pk")
    if membership.role == Role.SUPERVISOR and not membership.supervises_all_teams:
        teams = teams.filter(supervisors=membership)
    elif membership.role not in (Role.SUPERVISOR, Role.REPORTING):
        return None
    found = tuple(teams)
    if not found:
        return None
    whole = membership.role == Role.REPORTING or membership.supervises_all_teams
    return Scope(membership.organisation, found, whole, empty=workspace_is_empty(membership.user))


@dataclass
class Section:
    """One table of the report: rows by columns, each cell a count."""

    slug: str
    title: Promise
    rows: list[tuple[Any, str]]
    columns: list[tuple[Any, str]]
    counts: dict[tuple[Any, Any], int] = field(default_factory=dict)
    note: Promise | str = ""
    row_heading: Promise | str = ""
    # What a cell counts, and along which two dimensions: tables of one measure that share a
    # dimension share totals, which their suppression must treat as one number.
    measure: str = ""
    dimensions: tuple[str, str] = ("", "")

    def cells(self) -> list[list[int]]:
        return [[self.counts.get((row, column), 0) for column, _label in self.columns] for row, _label in self.rows]


def _choices(choices: Any) -> list[tuple[Any, str]]:
    return [(value, str(label)) for value, label in choices.choices]


def _bands() -> list[tuple[Any, str]]:
    return [(key, str(label)) for key, _days, label in BANDS]


def _band(days: str) -> models.Case:
    """The band of the duration ``days`` (an annotation), as its key."""
    whens = [
        When(**{f"{days}__lte": datetime.timedelta(days=limit)}, then=Value(key)) for key, limit, _l in BANDS if limit
    ]
    return models.Case(*whens, default=Value(BANDS[-1][0]))


def _grouped(queryset: QuerySet[Any], row: str, column: str, count: str = "pk", distinct: bool = False) -> dict:
    found = queryset.order_by().values(row, column).annotate(n=Count(count, distinct=distinct))
    return {(item[row], item[column]): item["n"] for item in found}


def _in(period: Period, name: str) -> Q:
    return Q(**{f"{name}__gte": period.start, f"{name}__lte": period.end})


def sections(scope: Scope, period: Period, named: bool = True) -> list[Section]:
    """The tables of the report in the page's order: one query each. Teams go by their
    names, or (``named=False``) as "Team 1", "Team 2" ..."""
    teams = [(team.pk, team.name if named else _("Team %(n)s") % {"n": n}) for n, team in enumerate(scope.teams, 1)]
    months = [(month, date_format(month, "YEAR_MONTH_FORMAT")) for month in period.months]
    return [make(scope, period, teams, months) for make in MAKERS.values()]


def _opened(scope: Scope, period: Period, teams: list, months: list) -> Section:
    cases = Case.objects.filter(scope.of_cases(), _in(period, "opened_on")).annotate(month=TruncMonth("opened_on"))
    section = Section("opened", _("Cases opened, by month and team"), months, teams, row_heading=_("Month"))
    section.measure, section.dimensions = "opened", ("month", "team")
    section.counts = _dated(_grouped(cases, "month", "team_id"))
    return section


def _closed(scope: Scope, period: Period, teams: list, months: list) -> Section:
    cases = Case.objects.filter(scope.of_cases(), _in(period, "closed_on")).annotate(month=TruncMonth("closed_on"))
    section = Section("closed", _("Cases closed, by month and team"), months, teams, row_heading=_("Month"))
    section.measure, section.dimensions = "closed", ("month", "team")
    section.counts = _dated(_grouped(cases, "month", "team_id"))
    return section


def _dated(counts: dict) -> dict:
    """Month keys as dates (a backend may give the truncated month as a datetime)."""
    return {
        (month.date() if isinstance(month, datetime.datetime) else month, team): n
        for (month, team), n in counts.items()
    }


def _steps(scope: Scope, period: Period) -> QuerySet[JourneyStep]:
    return JourneyStep.objects.filter(scope.of_cases("case__"), _in(period, "started_on"))


def _stages(scope: Scope, period: Period, teams: list, months: list) -> Section:
    section = Section("stages", _("Journey stages reached, by team"), _choices(JourneyStage), teams)
    section.measure, section.dimensions = "stage_reached", ("stage", "team")
    section.row_heading = _("Stage")
    section.note = _("Each case counts once in a stage it reached in the period (a step starting in the period).")
    section.counts = _grouped(_steps(scope, period), "stage", "case__team_id", "case", distinct=True)
    return section


def _regions(scope: Scope, period: Period, teams: list, months: list) -> Section:
    section = Section("regions", _("Journey stages reached, by region"), _choices(Region), _choices(JourneyStage))
    section.measure, section.dimensions = "stage_reached", ("region", "stage")
    section.row_heading = _("Region")
    section.note = _("Each case counts once in each region and stage it reached in the period.")
    section.counts = _grouped(_steps(scope, period), "region", "stage", "case", distinct=True)
    return section


def _stage_times(scope: Scope, period: Period, teams: list, months: list) -> Section:
    earlier = JourneyStep.objects.filter(case=OuterRef("case")).filter(
        Q(started_on__lt=OuterRef("started_on")) | Q(started_on=OuterRef("started_on"), pk__lt=OuterRef("pk"))
    )
    previous = Subquery(earlier.order_by("-started_on", "-pk").values("started_on")[:1])
    steps = (
        _steps(scope, period)
        .annotate(previous=previous)
        .filter(previous__isnull=False)
        .annotate(days=ExpressionWrapper(F("started_on") - F("previous"), output_field=DurationField()))
        .annotate(band=_band("days"))
    )
    section = Section("stage_times", _("Time from the step before, by stage reached"), _choices(JourneyStage), _bands())
    section.measure, section.dimensions = "stage_time", ("stage", "band")
    section.row_heading = _("Stage reached")
    section.note = _("Days from a case's step before to a step starting in the period; no average is shown.")
    section.counts = _grouped(steps, "stage", "band")
    return section


def _needs_identified(scope: Scope, period: Period, teams: list, months: list) -> Section:
    needs = SupportNeed.objects.filter(scope.of_cases("case__"), _in(period, "identified_on"))
    section = Section("needs_identified", _("Needs identified, by category and team"), _choices(ServiceType), teams)
    section.measure, section.dimensions = "need_identified", ("category", "team")
    section.row_heading = _("Category")
    section.counts = _grouped(needs, "category", "case__team_id")
    return section


def _needs_met(scope: Scope, period: Period, teams: list, months: list) -> Section:
    needs = SupportNeed.objects.filter(scope.of_cases("case__"), _in(period, "closed_on"), status=NeedStatus.MET)
    section = Section("needs_met", _("Needs met, by category and team"), _choices(ServiceType), teams)
    section.measure, section.dimensions = "need_met", ("category", "team")
    section.row_heading = _("Category")
    section.note = _(
        "A need counts as met in the period when it is marked met now and was closed in the period: "
        "the date a need became met is not kept apart from the date it was closed."
    )
    section.counts = _grouped(needs, "category", "case__team_id")
    return section


def _sent(scope: Scope, period: Period) -> QuerySet[Referral]:
    return Referral.objects.filter(scope.of_cases("case__"), _in(period, "sent_on"))


def _referrals(scope: Scope, period: Period, teams: list, months: list) -> Section:
    statuses = [(status.value, str(status.label)) for status in SENT_ON]
    section = Section(
        "referrals", _("Referrals sent, by service and where they stand now"), _choices(ServiceType), statuses
    )
    section.measure, section.dimensions = "referral_sent", ("service", "status")
    section.row_heading = _("Service")
    section.counts = _grouped(_sent(scope, period), "service_type", "status")
    return section


def _referrals_by_team(scope: Scope, period: Period, teams: list, months: list) -> Section:
    section = Section("referrals_teams", _("Referrals sent, by service and team"), _choices(ServiceType), teams)
    section.measure, section.dimensions = "referral_sent", ("service", "team")
    section.row_heading = _("Service")
    section.counts = _grouped(_sent(scope, period), "service_type", "case__team_id")
    return section


def _answer_times(scope: Scope, period: Period, teams: list, months: list) -> Section:
    sent = ReferralStep.objects.filter(referral=OuterRef("referral"), status=ReferralStatus.SENT)
    answers = (
        ReferralStep.objects.filter(scope.of_cases("referral__case__"), _in(period, "on"), status__in=ANSWERS)
        .annotate(sent=Subquery(sent.order_by("on", "pk").values("on")[:1]))
        .filter(sent__isnull=False)
        .annotate(days=ExpressionWrapper(F("on") - F("sent"), output_field=DurationField()))
        .annotate(band=_band("days"))
    )
    rows = [(status.value, str(status.label)) for status in ANSWERS]
    section = Section("answer_times", _("Time to an answer on a referral"), rows, _bands())
    section.measure, section.dimensions = "answer", ("answer", "band")
    section.row_heading = _("Answer")
    section.note = _("Days from sending a referral to its answer, for answers given in the period.")
    section.counts = _grouped(answers, "status", "band")
    return section


def _follow_ups(scope: Scope, period: Period, teams: list, months: list) -> Section:
    later = Contact.objects.filter(
        case=OuterRef("case"), occurred_at__gt=OuterRef("occurred_at"), occurred_at__date__lte=OuterRef("follow_up_on")
    )
    today = timezone.localdate()
    contacts = Contact.objects.filter(scope.of_cases("case__"), _in(period, "follow_up_on")).annotate(
        state=models.Case(
            When(Exists(later), then=Value("kept")),
            When(follow_up_on__lt=today, then=Value("overdue")),
            default=Value("due"),
        )
    )
    states = [(key, str(label)) for key, label in FOLLOW_UP_STATES]
    section = Section("follow_ups", _("Follow-ups due in the period, by team"), teams, states, row_heading=_("Team"))
    section.measure, section.dimensions = "follow_up", ("team", "state")
    section.note = _(
        "Kept: the case has a later contact on or before the day the follow-up was due. "
        "Overdue: the day has passed with none."
    )
    section.counts = _grouped(contacts, "case__team_id", "state")
    return section


MAKERS: dict[str, Callable[[Scope, Period, list, list], Section]] = {
    "opened": _opened,
    "closed": _closed,
    "stages": _stages,
    "regions": _regions,
    "stage_times": _stage_times,
    "needs_identified": _needs_identified,
    "needs_met": _needs_met,
    "referrals": _referrals,
    "referrals_teams": _referrals_by_team,
    "answer_times": _answer_times,
    "follow_ups": _follow_ups,
}
