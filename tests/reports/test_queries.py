"""Every report asks the database the same number of questions, whatever the data's size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.reports.periods import last_ended_quarter
from casework.reports.queries import scope_of, sections
from tests.reports.conftest import period_query, report_url, seed

REASON = "Board meeting"


def _counts(client):
    # The session is touched once a minute (casework.accounts.sessions): a request first,
    # so that seeding a slow database between the two sizes does not add that to one of them.
    client.get(reverse("home"))
    asked = {}
    with CaptureQueriesContext(connection) as page:
        assert client.get(report_url()).status_code == 200
    asked["page"] = len(page)
    with CaptureQueriesContext(connection) as sheet:
        assert client.post(f"{reverse('reports:csv')}?{period_query()}", {"reason": REASON}).status_code == 200
    asked["csv"] = len(sheet)
    with CaptureQueriesContext(connection) as chart:
        address = f"{reverse('reports:chart', args=['stage_times'])}?{period_query()}"
        assert client.post(address, {"reason": REASON}).status_code == 200
    asked["svg"] = len(chart)
    return asked


@pytest.mark.parametrize("name", ["reporter", "supervisor", "head"])
def test_the_same_number_of_queries_at_two_sizes(client, world, sign_in, name):
    sign_in(client, getattr(world, name))
    seed(world, cases=2)
    small = _counts(client)
    seed(world, cases=12)
    seed(world, lead=world.other_team_worker, cases=8)
    large = _counts(client)
    assert large == small
    assert small["page"] < 25  # one query per table, not per team or case


def _counts_of(world, slug):
    scope = scope_of(world.reporter.membership)
    (section,) = [s for s in sections(scope, last_ended_quarter()) if s.slug == slug]
    return section.counts


def test_the_counts_under_the_suppression_are_right(world):
    seed(world, cases=7)
    # Transit 3, 8 or 13 days after hiding (n % 3): three cases within a week, four within a month.
    assert _counts_of(world, "stage_times") == {("transit", "0-7"): 3, ("transit", "8-30"): 4}
    assert _counts_of(world, "regions") == {("CN-LN", "hiding"): 7, ("LA", "transit"): 7, ("CN-JL", "hiding"): 2}
    # Answers 2 + n days after sending (n = 0..6): declined when n % 4 == 0 (n = 0 and 4).
    answers = _counts_of(world, "answer_times")
    assert answers == {("accepted", "0-7"): 4, ("accepted", "8-30"): 1, ("declined", "0-7"): 2}
    # A follow-up kept when a later contact came before the day it was due (n % 3 != 0).
    assert _counts_of(world, "follow_ups") == {(world.team_a.pk, "kept"): 4, (world.team_a.pk, "overdue"): 3}
    assert _counts_of(world, "needs_met") == {("medical", world.team_a.pk): 7}
    assert _counts_of(world, "needs_identified") == {("shelter", world.team_a.pk): 7, ("medical", world.team_a.pk): 7}
    assert sum(_counts_of(world, "opened").values()) == 9
