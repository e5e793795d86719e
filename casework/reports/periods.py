"""Report periods: calendar quarters, ended ones only, nothing else.

Two reports whose periods overlap can be subtracted: the report for two months minus the
report for the second gives back the first month's counts, including those it hides as
"fewer than k". Periods that may start and end anywhere cannot stop that, whatever each
report hides. So there is one kind of period, the calendar quarter, and two quarters never
share a day: no report can be taken from another to single out part of a quarter. A
quarter is offered once it has ended: until then, the same quarter read on two days would
differ by what happened in between (and rounding, in ``casework.reports.tables``, blurs
what a late correction to an ended quarter changes).
"""

import datetime
import re
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

EARLIEST = datetime.date(2000, 1, 1)
_KEY = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    start: datetime.date  # the first day of the quarter
    end: datetime.date  # its last day

    @property
    def months(self) -> list[datetime.date]:
        """The first day of each of its months, in order."""
        found, month = [], self.start
        while month <= self.end:
            found.append(month)
            month = next_month(month)
        return found

    @property
    def key(self) -> str:
        """``2026-Q3``: the query string's value and the downloads' file names."""
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        return gettext("Quarter %(quarter)s of %(year)s") % {
            "quarter": (self.start.month - 1) // 3 + 1,
            "year": self.start.year,
        }

    def query(self) -> str:
        """The period as the query string the downloads carry (a quarter: no person)."""
        return f"quarter={self.key}"

    def details(self) -> dict[str, str]:
        return {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}


def next_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def quarter_of(day: datetime.date) -> Period:
    """The calendar quarter ``day`` falls in."""
    start = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    end = next_month(next_month(next_month(start))) - datetime.timedelta(days=1)
    return Period(start, end)


def last_ended_quarter(today: datetime.date | None = None) -> Period:
    today = today or timezone.localdate()
    return quarter_of(quarter_of(today).start - datetime.timedelta(days=1))


def ended_quarters(today: datetime.date | None = None) -> list[Period]:
    """Every quarter a report may cover, the latest first."""
    found, quarter = [], last_ended_quarter(today)
    while quarter.start >= EARLIEST:
        found.append(quarter)
        quarter = quarter_of(quarter.start - datetime.timedelta(days=1))
    return found


def from_key(key: str, today: datetime.date | None = None) -> Period | None:
    """The ended quarter ``key`` (``2026-Q3``) names, or None."""
    found = _KEY.match(key.strip())
    if not found:
        return None
    year, quarter = int(found.group(1)), int(found.group(2))
    if year < EARLIEST.year:
        return None
    chosen = quarter_of(datetime.date(year, quarter * 3, 1))
    return chosen if chosen.end <= last_ended_quarter(today).end else None


def default_period(today: datetime.date | None = None) -> Period:
    """The last ended quarter."""
    return last_ended_quarter(today)


class QuarterField(forms.ChoiceField):
    """An ended quarter, from a list (the latest first); its value is a ``Period``."""

    default_error_messages = {
        "invalid_choice": _("Choose a quarter that has ended, from the list."),
    }

    def __init__(self, **kwargs):
        super().__init__(choices=self._choices_now, **kwargs)

    @staticmethod
    def _choices_now() -> list[tuple[str, str]]:
        return [(quarter.key, quarter.label) for quarter in ended_quarters()]

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip() if isinstance(value, str) else value

    def clean(self, value):
        value = super().clean(value)
        return from_key(value) if value else None


class PeriodForm(forms.Form):
    """One ended calendar quarter; empty means the last one. Months (``from``/``to``, what
    reports asked for before) are refused with a word on why, not quietly replaced."""

    quarter = QuarterField(label=_("Quarter"), required=False)

    def clean(self):
        cleaned = super().clean()
        if "from" in self.data or "to" in self.data:
            raise forms.ValidationError(
                _("Reports cover calendar quarters only, never a choice of months: choose a quarter.")
            )
        if self.errors:
            return cleaned
        cleaned["period"] = cleaned.get("quarter") or default_period()
        return cleaned
