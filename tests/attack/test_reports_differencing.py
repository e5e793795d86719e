"""Attack: two report periods, each safe alone, subtracted.

If a report could cover any run of months, a reporting-role member (or a supervisor) would
read the last two ended months, then the last one alone: the grand total of "cases opened"
is shown in both (each is at least 5), and their difference is the number of cases opened
in the earlier month, which the report for that month alone hides as "fewer than 5". The
same works on every table. So a report covers one calendar quarter, no two quarters share
a day, and asking for months is refused: there is no second period to subtract.
"""

import datetime
import itertools

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.reports.periods import PeriodForm, ended_quarters, last_ended_quarter
from tests.factories import make_case
from tests.reports.conftest import page_tables

K = 5


def _opened(lead, on, n):
    for _n in range(n):
        case = make_case(lead)
        case.opened_on = on
        case.save(update_fields=["opened_on"])


def _report(client, query):
    return client.get(f"{reverse('reports:report')}?{query}")


def test_the_months_of_the_old_attack_are_refused_and_read_nothing(client, world, sign_in):
    quarter = last_ended_quarter()
    earlier, last = quarter.months[0], quarter.months[-1]
    _opened(world.lead, earlier + datetime.timedelta(days=3), 2)  # two cases: must stay hidden
    _opened(world.lead, last + datetime.timedelta(days=3), 6)
    sign_in(client, world.reporter)
    before = AuditEntry.objects.filter(event="report.view").count()
    for query in (f"from={earlier:%Y-%m}&to={last:%Y-%m}", f"from={last:%Y-%m}&to={last:%Y-%m}", f"to={last:%Y-%m}"):
        response = _report(client, f"quarter={quarter.key}&{query}")  # with a quarter beside them too
        assert response.status_code == 400 and b"<table" not in response.content, query
    assert AuditEntry.objects.filter(event="report.view").count() == before
    # What she may read: the quarter, where the earlier month's two read "fewer than 5".
    tables = page_tables(_report(client, f"quarter={quarter.key}").content.decode())
    assert tables["opened"]["grid"][0][0] is None


def test_no_two_periods_a_member_may_ask_for_share_a_day():
    offered = ended_quarters()
    for one, other in itertools.pairwise(offered):
        assert other.end < one.start and (one.start - other.end).days == 1  # back to back, no overlap
    for quarter in offered:
        assert quarter.start.day == 1 and quarter.start.month in (1, 4, 7, 10) and len(quarter.months) == 3
    # Every value the form accepts is one of them: a period is never built from the request.
    accepted = set()
    for year, n in itertools.product(range(1998, quarter_years_end() + 2), range(0, 6)):
        form = PeriodForm({"quarter": f"{year}-Q{n}"})
        if form.is_valid():
            accepted.add(form.cleaned_data["period"])
    assert accepted == set(offered)


def quarter_years_end():
    return last_ended_quarter().end.year


@pytest.mark.parametrize("hidden", [1, 2, 4])
def test_reading_an_ended_quarter_again_after_a_late_case_gives_no_exact_difference(client, world, sign_in, hidden):
    """A case recorded late, dated in an ended quarter: read before and after, the rounded
    totals move by a multiple of 5 or not at all, never by the hidden count itself."""
    quarter = last_ended_quarter()
    _opened(world.lead, quarter.start + datetime.timedelta(days=40), 6)
    sign_in(client, world.reporter)
    before = page_tables(_report(client, f"quarter={quarter.key}").content.decode())["opened"]["grid"][-1][-1]
    _opened(world.other_team_worker, quarter.start + datetime.timedelta(days=3), hidden)  # late, in team B
    after = page_tables(_report(client, f"quarter={quarter.key}").content.decode())["opened"]["grid"][-1][-1]
    assert before is not None and after is not None
    assert (after - before) % 5 == 0 and after - before != hidden
