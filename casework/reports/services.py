"""Reading a report and taking it away: each audited in the same transaction as it is made.

Viewing is ``report.view`` (the period and the scope, no counts); a CSV or a chart
downloaded is ``export.report_csv``, the donor report ``export.donor``, both with the
reason asked for, like every export.
"""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from casework.audit import events
from casework.audit.services import record
from casework.cases.services.export import defuse
from casework.reports import queries
from casework.reports.periods import Period
from casework.reports.queries import Scope
from casework.reports.tables import Table, rounding_note, shown


def _details(scope: Scope, period: Period, **more: object) -> dict[str, object]:
    return {**period.details(), **scope.details(), **more}


@transaction.atomic
def report_view(*, by: User, scope: Scope, period: Period) -> list[Table]:
    """Every table of the report, as it may be shown; audited as ``report.view``."""
    tables = shown(queries.sections(scope, period))
    record(event=events.REPORT_VIEW, actor=by, organisation=scope.organisation.pk, details=_details(scope, period))
    return tables


@transaction.atomic
def report_csv(*, by: User, scope: Scope, period: Period, reason: str) -> list[list[str]]:
    """The report's tables one after another, as CSV rows; audited as an export."""
    tables = shown(queries.sections(scope, period))
    details = _details(scope, period, format="csv")
    record(event=events.EXPORT_REPORT_CSV, actor=by, reason=reason, organisation=scope.organisation.pk, details=details)
    return csv_rows(period, tables)


@transaction.atomic
def chart_svg(*, by: User, scope: Scope, period: Period, slug: str, reason: str) -> Table:
    """One table with its chart, for the standalone SVG; audited as an export. (Every
    table is counted: hidden as on the page, where tables that share a total hide it alike.)"""
    (table,) = [table for table in shown(queries.sections(scope, period)) if table.slug == slug]
    details = _details(scope, period, format="svg", section=slug)
    record(event=events.EXPORT_REPORT_CSV, actor=by, reason=reason, organisation=scope.organisation.pk, details=details)
    return table


@dataclass
class DonorReport:
    period: Period
    organisation_name: str  # empty unless the organisation chose to be named
    tables: list[Table]


@transaction.atomic
def donor_export(*, by: User, scope: Scope, period: Period, reason: str, named: bool, form: str) -> DonorReport:
    """The report's tables for a donor (``form``: "page" or "csv"), named after the
    organisation only if ``named``; teams appear as "Team 1", "Team 2" (a team's name is
    for the organisation, and may hold its own name). Audited as ``export.donor``."""
    tables = shown(queries.sections(scope, period, named=False))
    details = _details(scope, period, format=form, named=named)
    record(event=events.EXPORT_DONOR, actor=by, reason=reason, organisation=scope.organisation.pk, details=details)
    return DonorReport(period, scope.organisation.name if named else "", tables)


def csv_rows(period: Period, tables: list[Table], heading: list[str] | None = None) -> list[list[str]]:
    """The tables one after another, a blank line between; every cell defused."""
    lines: list[list[str]] = [heading or [_("Report")], [period.label, f"{period.start:%Y-%m}", f"{period.end:%Y-%m}"]]
    lines.append([rounding_note()])
    for table in tables:
        lines += [[], *table.csv_rows()]
    return [[defuse(cell) for cell in line] for line in lines]
