"""Report periods: whole months only, ended months only.

A period that could end on any day would let two reports a day apart be subtracted to
single out what happened on that one day (often one case). So a period runs from the first
day of one month to the last day of another, and never into the month still running:
until it ends, the same period read on two days would differ by those days.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_MONTHS = 12
LONGEST = 60  # months: the month-by-month tables stay readable
EARLIEST = datetime.date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    start: datetime.date  # the first day of its first month
    end: datetime.date  # the last day of its last month

    @property
    def months(self) -> list[datetime.date]:
        """The first day of each of its months, in order."""
        found, month = [], self.start
        while month <= self.end:
            found.append(month)
            month = next_month(month)
        return found

    def query(self) -> str:
        """The period as the query string the downloads carry (months only: no person)."""
        return f"from={self.start:%Y-%m}&to={self.end:%Y-%m}"

    def details(self) -> dict[str, str]:
        return {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}


def next_month(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def last_ended_month(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def period(first: datetime.date, last: datetime.date) -> Period:
    """The months from ``first``'s to ``last``'s, both whole."""
    return Period(first.replace(day=1), next_month(last.replace(day=1)) - datetime.timedelta(days=1))


def default_period(today: datetime.date | None = None) -> Period:
    """The last twelve ended months."""
    last = last_ended_month(today)
    first = last
    for _month in range(DEFAULT_MONTHS - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return period(first, last)


class MonthField(forms.CharField):
    """A month as ``YYYY-MM`` (what ``<input type="month">`` sends): the first day of it."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": "[0-9]{4}-[0-9]{2}", "placeholder": "YYYY-MM"})
    default_error_messages = {"invalid": _("Give a month as year and month, for example 2025-01.")}

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return datetime.datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class _PeriodForm(forms.Form):
    """From one month to another, both ended; empty means the last twelve ended months.
    The fields are named ``from`` and ``to`` (the query string of every report URL)."""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        default = default_period()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first is None:
            first = default.start if last is None else last
        if last is None:
            last = last_ended_month()
        if last > last_ended_month():
            raise forms.ValidationError(
                _("A report covers ended months only: the last you may choose is the month before this one.")
            )
        if first < EARLIEST:
            raise forms.ValidationError(_("A report starts in 2000 or later."))
        if first > last:
            raise forms.ValidationError(_("The first month comes after the last."))
        chosen = period(first, last)
        if len(chosen.months) > LONGEST:
            raise forms.ValidationError(_("A report covers at most %(n)s months.") % {"n": LONGEST})
        cleaned["period"] = chosen
        return cleaned


# "from" is a Python keyword: the fields are given to the form's metaclass by name.
PeriodForm = type(
    "PeriodForm",
    (_PeriodForm,),
    {
        "__module__": __name__,
        "from": MonthField(label=_("From month"), required=False),
        "to": MonthField(label=_("To month"), required=False),
    },
)
