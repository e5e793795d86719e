"""The de-identified case export: coarse profile, months and counts; never identity, never
free text, never a case code, and no row that stands out from fewer than k cases.

Only supervisors export, only the cases ``restrict`` lets them see, and every export is
audited with its reason before its first byte leaves. The rows are read with ``values()``
over named columns, so a summary, a note or a name is never even loaded.

What keeps a leaked file from joining back to the cases:

- **Months, not days.** Opened and closed are ``YYYY-MM``; the next follow-up and the last
  contact are left out (operational dates, of no use to a pivot table, and each one more
  point in time to match a case by).
- **A fresh code per row per export** (``row_code``), never the case's code.
- **An order with no tie to the case**: by opened month, then at random.
- **k-anonymity** over the quasi-identifiers (``QUASI_IDENTIFIERS``): the facts someone
  outside could know of a survivor (her age, gender, nationality, where she is, what was
  done to her) or an insider knows of a case (its team). A row whose combination of them is
  shared by fewer than k = ``settings.REPORT_MIN_COUNT`` cases of the export is generalised
  one step at a time (``STEPS``: team withheld, region to a coarse area, age band to child
  or adult, exploitation types withheld), recounted after each step, and left out if it
  still stands out. Status, risk, intake source, months and counts are what the export is
  for, not what an outsider knows her by, and are not quasi-identifiers: the opened month
  would be (someone may know when she got away), but grouping by it leaves a small
  organisation (a few cases a month) with next to nothing, so the export offers the month
  and says plainly that it does (README). The journey stage is not exported at all: it
  says where she is now, the reports count it.
"""

import contextlib
import secrets
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Random, TruncMonth
from django.utils.translation import gettext as _

from casework.access.models import Membership, Role
from casework.audit import events
from casework.audit.services import record
from casework.cases import codes
from casework.cases.choices import AgeBand, ReferralStatus, Region
from casework.cases.models import Case, Contact, Referral, SupportNeed

# The quasi-identifiers, in the order of a combination (``Combination``). Team goes by its
# name: two teams of the same name are one value in the file, and one group.
QUASI_IDENTIFIERS = ("team", "age_band", "gender", "nationality", "region", "exploitation_types")
Combination = tuple[str, str, str, str, str, str]
TEAM, AGE_BAND, REGION, EXPLOITATION = 0, 1, 4, 5
COLUMNS = (
    "row",
    "team",
    "status",
    "opened_month",
    "closed_month",
    "risk_level",
    "age_band",
    "gender",
    "nationality",
    "region",
    "exploitation_types",
    "intake_source",
    "needs_total",
    "needs_open",
    "referrals_total",
    "referrals_active",
    "contacts_total",
)
ACTIVE_REFERRAL = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)
# A spreadsheet runs a cell that starts with one of these as a formula; team names are typed by people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows read from the database at a time: memory holds one chunk, however large the organisation.
CHUNK = 500

# What a generalised cell says. Never a value a case can hold (Region, AgeBand ...), so a
# generalised row never passes for a precise one; a team that someone named "withheld" merely
# shares the word, which only makes its group larger.
WITHHELD = "withheld"
CHINA, THIRD_COUNTRY, SOUTH_KOREA, ELSEWHERE = "china", "third_country", "south_korea", "elsewhere_or_unknown"
CHILD, ADULT, AGE_UNKNOWN = "child", "adult", "age_unknown"
CHILD_BANDS = {AgeBand.UNDER_14, AgeBand.TEEN}
THIRD_COUNTRIES = {
    Region.TRANSIT,
    Region.MONGOLIA,
    Region.RUSSIA,
    Region.VIETNAM,
    Region.LAOS,
    Region.CAMBODIA,
    Region.THAILAND,
    Region.MYANMAR,
}


def coarse_region(region: str) -> str:
    if region.startswith("CN-"):
        return CHINA
    if region in THIRD_COUNTRIES:
        return THIRD_COUNTRY
    return SOUTH_KOREA if region == Region.SOUTH_KOREA else ELSEWHERE


def coarse_age(band: str) -> str:
    if band in CHILD_BANDS:
        return CHILD
    return AGE_UNKNOWN if band in ("", AgeBand.UNKNOWN) else ADULT


# The generalisation steps, in order: (position in the combination, what it becomes). Team
# first (the reports give the counts by team), exploitation types last (what the export is
# most often pivoted by).
STEPS = (
    (TEAM, lambda team: WITHHELD),
    (REGION, coarse_region),
    (AGE_BAND, coarse_age),
    (EXPLOITATION, lambda types: WITHHELD),
)


def generalised(combination: Combination, level: int) -> Combination:
    """``combination`` after the first ``level`` steps of ``STEPS``."""
    cells = list(combination)
    for position, coarse in STEPS[:level]:
        cells[position] = coarse(cells[position])
    return (cells[0], cells[1], cells[2], cells[3], cells[4], cells[5])


@dataclass
class ExportPlan:
    """For each combination of quasi-identifiers found among the cases: how many steps
    generalise it, or None when its rows are left out. Its size follows the number of
    distinct combinations, never the number of cases."""

    levels: dict[Combination, int | None] = field(default_factory=dict)
    rows: int = 0
    generalised: int = 0
    left_out: int = 0

    def summary(self) -> dict[str, int]:
        return {"rows": self.rows, "generalised": self.generalised, "left_out": self.left_out}


def plan(counts: dict[Combination, int], k: int) -> ExportPlan:
    """Generalise the combinations shared by fewer than ``k`` cases step by step, counting
    every settled row in its group after each step; what is still too rare is left out.

    A row settled at some level keeps its group: rows generalised later carry a coarse
    value where it has a precise one, so they never join it, and they only ever make the
    groups they join larger.
    """
    result = ExportPlan()
    settled: Counter[Combination] = Counter()
    pending = dict(counts)
    for level in range(len(STEPS) + 1):
        sizes = settled.copy()
        for combination, cases in pending.items():
            sizes[generalised(combination, level)] += cases
        for combination, cases in list(pending.items()):
            if sizes[generalised(combination, level)] >= k:
                settled[generalised(combination, level)] += cases
                result.levels[combination] = level
                result.rows += cases
                result.generalised += cases if level else 0
                del pending[combination]
    for combination, cases in pending.items():
        result.levels[combination] = None
        result.left_out += cases
    return result


def may_export(membership: Membership | None) -> bool:
    """Does this (active) membership export cases? Supervisors do."""
    return membership is not None and membership.role == Role.SUPERVISOR


def export_membership(user: User | AnonymousUser) -> Membership | None:
    """The active supervisor membership that lets ``user`` export, or None."""
    if not user.is_authenticated:
        return None
    membership: Membership | None = Membership.objects.active().filter(user_id=user.pk, role=Role.SUPERVISOR).first()
    return membership


def export_plan(user: User) -> ExportPlan:
    """What an export of the cases ``user`` may view would hold now: one aggregate query."""
    return plan(_combination_counts(Case.objects.restrict(user, "view")), settings.REPORT_MIN_COUNT)


@transaction.atomic
def cases_export(*, by: User, reason: str) -> Iterator[list[str]]:
    """Header and rows of the export of every case ``by`` may view, as an iterator that
    reads the rows only as it is consumed; audited as ``export.csv`` with ``reason`` and
    the numbers of rows, generalised and left out, before the first row is read.

    The audit entry commits with the caller's transaction (the request's), which ends
    before a streaming response sends its first byte. The rows are then read in a
    transaction of their own, under the plan made again in it: if the cases changed
    meanwhile so that the numbers no longer hold, the stream stops before its first row
    (``ExportChanged``) rather than send a file its audit entry does not describe.
    """
    membership = export_membership(by)
    if membership is None:
        raise PermissionDenied(_("Only supervisors export cases."))
    audited = export_plan(by)
    details = {"what": "cases", **audited.summary(), "min_count": settings.REPORT_MIN_COUNT}
    record(event=events.EXPORT_CSV, actor=by, reason=reason, organisation=membership.organisation_id, details=details)
    return _stream(by, audited)


class ExportChanged(Exception):
    """The cases changed between the audit entry and the first row: the stream stops."""


def _stream(user: User, audited: ExportPlan) -> Iterator[list[str]]:
    with _snapshot():
        cases = Case.objects.restrict(user, "view")
        now = plan(_combination_counts(cases), settings.REPORT_MIN_COUNT)
        if now.summary() != audited.summary():
            raise ExportChanged("The cases changed after the export was recorded; nothing was sent.")
        yield list(COLUMNS)
        # Closed before the transaction ends, however the stream ends (the client gone, an
        # error): on PostgreSQL its server-side cursor lives inside the transaction. (A generator;
        # the stubs call it an Iterator.)
        rows_read = cast(Generator[dict[str, Any], None, None], _annotated(cases).iterator(chunk_size=CHUNK))
        with contextlib.closing(rows_read) as rows:
            for values in rows:
                level = now.levels.get(_combination(values))
                if level is not None:  # None: too rare even when generalised, or new since the plan
                    yield _row(values, level)


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """One transaction for the plan and the rows, so that both see the same cases: on
    PostgreSQL repeatable read (each statement would otherwise see its own moment); SQLite
    reads in a transaction from one state. Inside a transaction already (a test), that one."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _combination_counts(cases: QuerySet[Case]) -> dict[Combination, int]:
    """The number of cases of each combination: one GROUP BY query. The exploitation types
    are a JSON list, grouped as stored and merged here once sorted (the same types in another
    order are the same fact); what is held follows the distinct combinations, not the cases."""
    grouped = (
        cases.order_by()
        .values("age_band", "gender", "nationality", "region", "exploitation_types", team_name=F("team__name"))
        .annotate(cases=Count("pk"))
    )
    counts: Counter[Combination] = Counter()
    for values in grouped:
        counts[_combination(values)] += values["cases"]
    return dict(counts)


def _combination(values: dict[str, Any]) -> Combination:
    types = ";".join(sorted(values["exploitation_types"] or ()))
    return (
        values["team_name"],
        values["age_band"],
        values["gender"],
        values["nationality"],
        values["region"],
        types,
    )


def _count(queryset: QuerySet[Any]) -> Coalesce:
    counted = queryset.filter(case=OuterRef("pk")).order_by().values("case").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _annotated(cases: QuerySet[Case]) -> QuerySet[Case, dict[str, Any]]:
    """One query, however many cases: each count is a correlated subquery, so no join
    multiplies rows. Ordered by month, then at random: by code, by pk or by day, the rows of
    a month would line up with the cases someone knows were opened that month."""
    rows: QuerySet[Case, dict[str, Any]] = (
        cases.order_by(TruncMonth("opened_on"), Random())
        .values(
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
            team_name=F("team__name"),
        )
        .annotate(
            needs_total=_count(SupportNeed.objects.all()),
            needs_open=_count(SupportNeed.objects.unresolved()),
            referrals_total=_count(Referral.objects.all()),
            referrals_active=_count(Referral.objects.filter(status__in=ACTIVE_REFERRAL)),
            contacts_total=_count(Contact.objects.all()),
        )
    )
    return rows


def _row(values: dict[str, Any], level: int) -> list[str]:
    team, age_band, gender, nationality, region, types = generalised(_combination(values), level)
    closed_on = values["closed_on"]
    cells = {
        **values,
        "row": row_code(),
        "team": team,
        "opened_month": f"{values['opened_on']:%Y-%m}",
        "closed_month": f"{closed_on:%Y-%m}" if closed_on else "",
        "age_band": age_band,
        "gender": gender,
        "nationality": nationality,
        "region": region,
        "exploitation_types": types,
    }
    return [defuse(cells[column]) for column in COLUMNS]


# A row's code: "X-" and 16 Crockford characters in groups of four (X-7X3Q-M9PD-K4AB-CDEF).
# Never a case code's shape (10 characters in 3-4-3; the prefix alone rules it out, and
# codes.normalise refuses it), and 80 random bits from the operating system's CSPRNG: among
# n rows, all exports together, two share a code with odds below n² / 2⁸¹ (a million rows:
# about 4 in 10¹³). That is why no code is remembered to check the next against: memory
# stays constant and nothing links one export to another.
ROW_CODE_PREFIX = "X"
ROW_CODE_LENGTH = 16


def row_code() -> str:
    bits = secrets.randbits(5 * ROW_CODE_LENGTH)
    body = "".join(codes.ALPHABET[(bits >> (5 * i)) & 31] for i in range(ROW_CODE_LENGTH))
    return "-".join([ROW_CODE_PREFIX, body[:4], body[4:8], body[8:12], body[12:]])


def defuse(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet will run as a formula."""
    cell = "" if value is None else str(value)
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell
