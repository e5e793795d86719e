"""The access page tells the truth: what explain.case_access() lists for each person is
exactly what the one door, ``Case.objects.restrict()``, gives her."""

from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.access import explain
from casework.access import services as access
from casework.cases.choices import AssignmentRole
from casework.cases.models import ACTIONS, Case
from tests.factories import make_caseworker
from tests.personas import EVERYONE, fresh


def restricted(user, case):
    user = fresh(user)
    return {action for action in ACTIONS if Case.objects.restrict(user, action).filter(pk=case.pk).exists()}


def row_of(case, user):
    return next((row for row in explain.case_access(case) if row.user.pk == user.pk), None)


def listed(case, user):
    row = row_of(case, user)
    return set(row.actions) if row else set()


def assert_agrees(world, case):
    for persona in EVERYONE:
        user = getattr(world, persona)
        assert listed(case, user) == restricted(user, case), persona


@contextmanager
def clock_at(moment):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.mark.parametrize("persona", EVERYONE)
@pytest.mark.parametrize("case_name", ["case", "other_case"])
def test_it_lists_what_restrict_gives(world, persona, case_name):
    user, case = getattr(world, persona), getattr(world, case_name)
    assert listed(case, user) == restricted(user, case)


def test_the_personas_are_not_all_empty(world):
    # Agreement on nothing would prove nothing: the fixture gives each kind of access.
    assert listed(world.case, world.lead) == {"view", "change", "reveal"}
    assert listed(world.case, world.revealer) == {"view", "reveal"}
    assert listed(world.case, world.supervisor) == {"view", "change", "reveal", "manage"}
    assert listed(world.other_case, world.head) == {"view", "change", "reveal", "manage"}


def test_it_says_why(world):
    kinds = {row.user.username: [reason.kind for reason in row.reasons] for row in explain.case_access(world.case)}
    assert kinds["lead"] == [explain.LEAD]
    assert kinds["coworker"] == [explain.COWORKER]
    assert kinds["viewer"] == [explain.GRANT]
    assert kinds["supervisor"] == [explain.SUPERVISES_TEAM]
    assert kinds["head"] == [explain.SUPERVISES_ALL]
    assert {"admin", "outsider", "teammate", "other_supervisor", "superuser", "global_viewer"}.isdisjoint(kinds)
    grant = row_of(world.case, world.viewer).reasons[0].grant
    assert (grant.granted_by, grant.reason, grant.level) == (world.supervisor, "Covering a shift", "view")


def test_a_deactivated_person_is_shown_with_her_assignment_but_gets_nothing(world):
    row = row_of(world.case, world.deactivated)
    assert row is not None and row.active is False
    assert [reason.kind for reason in row.reasons] == [explain.COWORKER]
    assert row.actions == ()
    assert restricted(world.deactivated, world.case) == set()


def test_a_deactivated_supervisor_and_grantee_get_nothing(world):
    for person in (world.supervisor, world.revealer):
        access.membership_deactivate(by=world.admin, membership=person.membership)
    assert row_of(world.case, world.revealer).active is False
    assert_agrees(world, world.case)


def test_an_expired_grant_gives_nothing_and_goes_to_the_history(world):
    now = timezone.now()
    access.grant_add(
        by=world.supervisor,
        case=world.case,
        user=world.teammate,
        level="reveal",
        reason="Night cover",
        expires=now + timedelta(hours=1),
    )
    with clock_at(now + timedelta(minutes=59)):
        assert listed(world.case, world.teammate) == restricted(world.teammate, world.case) == {"view", "reveal"}
        assert_agrees(world, world.case)
    with clock_at(now + timedelta(hours=1, minutes=1)):
        assert listed(world.case, world.teammate) == restricted(world.teammate, world.case) == set()
        assert_agrees(world, world.case)
        history = explain.grant_history(world.case)
    assert [(past.grant.user, past.revoked) for past in history] == [(world.teammate, False)]


def test_an_expired_grant_leaves_access_from_an_assignment(world):
    now = timezone.now()
    access.grant_add(
        by=world.supervisor,
        case=world.case,
        user=world.coworker,
        level="reveal",
        reason="Court",
        expires=now + timedelta(hours=1),
    )
    assert listed(world.case, world.coworker) == restricted(world.coworker, world.case) == {"view", "change", "reveal"}
    with clock_at(now + timedelta(hours=2)):
        assert listed(world.case, world.coworker) == restricted(world.coworker, world.case) == {"view", "change"}


def test_a_revoked_grant_gives_nothing_and_goes_to_the_history(world):
    grant = row_of(world.case, world.editor).reasons[0].grant
    access.grant_remove(by=world.admin, grant=grant, reason="Shift over")
    assert row_of(world.case, world.editor) is None
    assert_agrees(world, world.case)
    [past] = explain.grant_history(world.case)
    assert (past.grant, past.revoked, past.grant.revoked_by) == (grant, True, world.admin)


def test_it_follows_assignments_and_supervision_as_they_change(world):
    # Naming the lead is for a supervisor of the case's team; the rest an administrator does.
    access.case_assign(by=world.supervisor, case=world.case, user=world.teammate, role=AssignmentRole.LEAD)
    access.case_unassign(by=world.admin, case=world.case, user=world.coworker, reason="Moved on")
    access.case_assign(by=world.admin, case=world.case, user=world.other_supervisor, role=AssignmentRole.COWORKER)
    access.membership_set_teams(by=world.admin, membership=world.supervisor.membership, supervised_teams=[])
    assert listed(world.case, world.lead) == {"view", "change"}
    assert listed(world.case, world.teammate) == {"view", "change", "reveal"}
    assert listed(world.case, world.other_supervisor) == {"view", "change"}
    assert listed(world.case, world.supervisor) == set()
    assert_agrees(world, world.case)
    assert_agrees(world, world.other_case)


def test_someone_nobody_vouched_for_is_listed_with_nothing_and_why(client, world, sign_in):
    newcomer = make_caseworker(world.org, world.team_a, username="newcomer", vouched=False)
    access.case_assign(by=world.supervisor, case=world.case, user=newcomer, role=AssignmentRole.COWORKER)
    access.grant_add(by=world.supervisor, case=world.case, user=newcomer, level="reveal", reason="Cover")
    row = row_of(world.case, newcomer)
    assert (row.active, row.vouched, row.actions) == (True, False, ())
    assert listed(world.case, newcomer) == restricted(newcomer, world.case) == set()
    sign_in(client, world.supervisor)
    page = client.get(reverse("access:case", args=[world.case.display_code])).content.decode()
    assert "not vouched yet" in page
    access.membership_vouch(by=None, membership=newcomer.membership)
    assert listed(world.case, newcomer) == restricted(newcomer, world.case) == {"view", "change", "reveal"}
