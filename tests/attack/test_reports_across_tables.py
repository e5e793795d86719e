"""Attack: two tables of one report that count the same cases under different names.

Intake records each case's first step the day it opens, so "cases opened" in a period and
the stages reached in it count the same cases once each, and the stages table's grand
total is those cases plus every later step. The suppression links tables only by what they
declare they share (a measure and its dimensions); "opened" and "stage reached" share
nothing by name. Five cases open in team B in one month, all in hiding; one of them moves
on to transit. The opened table shows 5, the stages table shows its grand total 6 and hides
the transit row as "fewer than 5": 6 - 5 = 1, the one case that moved on that month.
"""

import pytest

from tests.reports.conftest import day, opened_case, page_tables, report_url, step

K = 5


@pytest.mark.xfail(
    strict=True,
    reason="Opened and stages-reached count the same cases (intake's first step) but are not "
    "suppressed together: the difference of their grand totals gives back a hidden row.",
)
def test_opened_and_stages_reached_do_not_give_back_a_hidden_stage(client, world, sign_in):
    cases = [opened_case(world.other_team_worker) for _n in range(5)]
    for case in cases:
        step(case, world.other_team_worker, "hiding", "CN-LN", day(1))
    step(cases[0], world.other_team_worker, "transit", "LA", day(9))
    sign_in(client, world.reporter)
    tables = page_tables(client.get(report_url()).content.decode())
    transit = tables["stages"]["rows"]["In transit (third country)"][-1]
    assert transit is None  # hidden: the promise the attack tests
    opened, reached = tables["opened"]["grid"][-1][-1], tables["stages"]["grid"][-1][-1]
    recovered = None if opened is None or reached is None else reached - opened
    assert recovered is None or recovered == 0 or recovered >= K, (
        f"{reached} stages reached, {opened} cases opened: {recovered} case(s) moved on, hidden as 'fewer than {K}'"
    )
