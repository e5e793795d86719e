"""What the database does with the one door, read from its plans (PostgreSQL only: the
planner is what these promises are about). Nothing here times anything.

The promises: finding one case by code costs the same whatever the user may see (the
permission rows of every case she may see are never gathered first), and the first page
of the case list is read in its order from an index and stops after one page.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection

from casework.access import services as access
from casework.access.models import LOADED_WITH_MEMBERSHIP
from casework.audit.guard import unaudited_writes
from casework.cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from tests.factories import make_case, make_team

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="these are PostgreSQL's query plans")

CASES_PER_TEAM = 100
# An index scan on cases_case whose condition is on the code (alone or after the organisation).
BY_CODE = re.compile(r"Index (Only )?Scan using \w+ on cases_case\s.*\n\s+Index Cond: .*\(code\)")
# A read of permission rows that does not go by her user id through an index: her own rows
# are found by her id (at most all of them: her assignments and grants, never a team's).
OWN_ROWS_SCANNED = re.compile(
    r"Scan .*on cases_caseuserobjectpermission(?!.*\n\s+(Index|Recheck) Cond: \(\(?user_id = \d+\)?)"
)


@pytest.fixture
def many_cases(world):
    """A hundred cases in each of three teams, each team's led by a caseworker of it, and
    fresh statistics, so that the planner has something to choose about. One case per team
    is opened through the services; the others copy it, permission rows and all, in bulk
    (the plans are under test here, not the trail)."""
    team_c = make_team(world.org, "team-c")
    membership = world.teammate.membership
    access.membership_set_teams(by=None, membership=membership, teams=[world.team_a, team_c])
    for team, lead in ((world.team_a, world.lead), (world.team_b, world.other_team_worker), (team_c, world.teammate)):
        _copies(make_case(lead, team=team), CASES_PER_TEAM - 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return world


def _copies(case, how_many):
    own = list(CaseUserObjectPermission.objects.filter(content_object=case).values("user_id", "permission_id"))
    group = list(CaseGroupObjectPermission.objects.filter(content_object=case).values("group_id", "permission_id"))
    fields = {"organisation_id": case.organisation_id, "team_id": case.team_id, "created_by_id": case.created_by_id}
    with unaudited_writes("test data for the query planner"):
        copies = Case.objects.bulk_create(
            [Case(**fields, opened_on=case.opened_on - timedelta(days=n)) for n in range(1, how_many + 1)]
        )
        CaseUserObjectPermission.objects.bulk_create(
            [CaseUserObjectPermission(content_object=copy, **row) for copy in copies for row in own]
        )
        CaseGroupObjectPermission.objects.bulk_create(
            [CaseGroupObjectPermission(content_object=copy, **row) for copy in copies for row in group]
        )


def loaded_for_a_request(user):
    """The user as the authentication backend loads her for a request, with her membership."""
    loaded = User.objects.select_related("membership__organisation").get(pk=user.pk)
    setattr(loaded, LOADED_WITH_MEMBERSHIP, True)
    return loaded


def as_seen(user):
    """``user`` as any code sees her, and as the user of a request."""
    return [(user.username, User.objects.get(pk=user.pk)), (f"{user.username} (request)", loaded_for_a_request(user))]


def test_finding_a_case_by_code_reads_that_case_by_its_code_and_never_a_set_of_cases(many_cases):
    code = Case.objects.filter(team=many_cases.team_a).order_by("pk").values_list("code", flat=True)[50]
    for name, user in as_seen(many_cases.head) + as_seen(many_cases.lead):
        # As the case page's door asks it: the case, and every action, in one query.
        plan = Case.objects.restrict(user, "view").with_actions(user).filter(code=code)[:1].explain()
        assert BY_CODE.search(plan), f"{name}:\n{plan}"
        assert not OWN_ROWS_SCANNED.search(plan), f"{name}:\n{plan}"
        for gathering in ("HashAggregate", "Unique", "Hash Join", "Seq Scan on cases_case", "groupobjectpermission"):
            assert gathering not in plan, f"{name}: {gathering}\n{plan}"


@pytest.mark.parametrize(
    "sort, index", [("opened", "case_org_newest"), ("oldest", "case_org_oldest"), ("code", "case_org_code")]
)
def test_the_first_page_of_the_list_is_read_in_order_from_an_index_and_stops(many_cases, sort, index):
    for name, user in as_seen(many_cases.head):  # the supervisor of every team: she may see them all
        page = Case.objects.restrict(user, "view").select_related("team").sorted_as(sort)[:50]
        plan = page.explain()
        assert plan.startswith("Limit"), f"{name}:\n{plan}"
        assert f"Index Scan using {index} on cases_case" in plan, f"{name}:\n{plan}"
        for gathering in ("Sort", "HashAggregate", "groupobjectpermission"):
            assert gathering not in plan, f"{name}: {gathering}\n{plan}"


def test_the_risk_order_is_read_from_its_own_index(many_cases):
    user = loaded_for_a_request(many_cases.head)
    plan = Case.objects.restrict(user, "view").sorted_as("risk")[:50].explain()
    assert plan.startswith("Limit") and "Index Scan using case_org_risk on cases_case" in plan, plan
    assert "Sort" not in plan, plan


def test_open_cases_without_a_lead_are_read_without_testing_each_case_for_a_lead(many_cases):
    """The supervisors' home page lists open cases without a lead from the case rows' own
    flag: the plan never reads the assignments (it used to test every open case of the
    organisation for a lead assignment: 3 s at a million cases)."""
    from casework.cases.views.home import _unassigned

    for _name, user in as_seen(many_cases.head):
        scope = Case.objects.restrict(user, "manage")
        query = _unassigned(scope)[:10]
        assert len(query) == 10  # the copies have no lead
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "cases_caseassignment" not in plan, plan
