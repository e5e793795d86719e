import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.access import services as access
from casework.audit.models import AuditEntry
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case, CaseAssignment
from tests.factories import make_case


def can(user, action, case):
    return Case.objects.restrict(user, action).filter(pk=case.pk).exists()


def test_a_caseworker_opening_a_case_becomes_its_lead(world):
    case = make_case(world.teammate)
    assert case.assignments.get().role == AssignmentRole.LEAD
    assert case.assignments.get().user == world.teammate


def test_a_caseworker_cannot_open_a_case_in_another_team(world):
    with pytest.raises(PermissionDenied):
        access.case_open(by=world.lead, team=world.team_b)


def test_an_admin_cannot_open_cases(world):
    with pytest.raises(PermissionDenied):
        access.case_open(by=world.admin, team=world.team_a)


def test_a_new_lead_takes_reveal_and_the_old_lead_keeps_edit(world):
    access.case_assign(by=world.supervisor, case=world.case, user=world.teammate, role=AssignmentRole.LEAD)
    assert can(world.teammate, "reveal", world.case)
    assert can(world.lead, "change", world.case)
    assert not can(world.lead, "reveal", world.case)
    assert CaseAssignment.objects.filter(case=world.case, role=AssignmentRole.LEAD).count() == 1


def test_only_a_supervisor_of_the_team_names_a_lead_and_only_from_the_team(world):
    """The lead may reveal: an administrator alone never gives that, even to a vouched caseworker."""
    with pytest.raises(PermissionDenied):
        access.case_assign(by=world.admin, case=world.case, user=world.teammate, role=AssignmentRole.LEAD)
    with pytest.raises(ValidationError):  # checked in the service, not only in the form
        access.case_assign(by=world.head, case=world.case, user=world.other_team_worker, role=AssignmentRole.LEAD)
    assert not can(world.teammate, "view", world.case) and not can(world.other_team_worker, "view", world.case)
    access.case_assign(by=world.admin, case=world.case, user=world.teammate, role=AssignmentRole.COWORKER)
    assert can(world.teammate, "change", world.case) and not can(world.teammate, "reveal", world.case)


def test_unassigning_removes_access_at_once(world):
    access.case_unassign(by=world.supervisor, case=world.case, user=world.coworker, reason="Moved on")
    assert not can(world.coworker, "view", world.case)


def test_only_those_who_manage_the_case_assign(world):
    with pytest.raises(PermissionDenied):
        access.case_assign(by=world.lead, case=world.case, user=world.teammate)
    with pytest.raises(PermissionDenied):
        access.case_assign(by=world.other_supervisor, case=world.case, user=world.teammate)


def test_an_admin_cannot_be_assigned_a_case(world):
    with pytest.raises(ValidationError):
        access.case_assign(by=world.supervisor, case=world.case, user=world.admin)
    assert not can(world.admin, "view", world.case)


def test_moving_a_case_moves_its_supervision(world):
    access.case_move_team(by=world.head, case=world.case, team=world.team_b, reason="Team A is full")
    assert can(world.other_supervisor, "manage", world.case)
    assert not can(world.supervisor, "view", world.case)
    assert can(world.lead, "reveal", world.case)


def test_a_supervisor_cannot_move_a_case_to_a_team_she_does_not_supervise(world):
    with pytest.raises(PermissionDenied):
        access.case_move_team(by=world.supervisor, case=world.case, team=world.team_b)


def test_a_new_team_is_supervised_by_the_supervisors_of_every_team(world):
    team_c = access.team_create(by=world.admin, organisation=world.org, name="Team C", slug="team-c")
    cw = world.teammate
    access.membership_set_teams(by=world.admin, membership=cw.membership, teams=[team_c])
    case = make_case(cw, team=team_c)
    assert can(world.head, "manage", case)
    assert not can(world.supervisor, "view", case)


def test_a_supervisor_opens_a_case_with_a_lead_from_the_team(world):
    case = access.case_open(by=world.supervisor, team=world.team_a, lead=world.teammate)
    assert can(world.teammate, "reveal", case)
    assert can(world.supervisor, "manage", case)


def test_a_supervisor_cannot_name_a_lead_from_another_team(world):
    with pytest.raises(ValidationError, match="member of the case's team"):
        access.case_open(by=world.head, team=world.team_a, lead=world.other_team_worker)
    assert not Case.objects.restrict(world.other_team_worker, "view").exclude(pk=world.other_case.pk).exists()


def test_has_lead_follows_the_lead_assignment(world):
    """The supervisors' "open cases without a lead" reads ``has_lead``: it must follow every
    way a lead comes and goes (tests/access/test_policy_property.py checks it after random
    sequences too)."""
    case = access.case_open(by=world.supervisor, team=world.team_a)
    assert Case.objects.get(pk=case.pk).has_lead is False
    access.case_assign(by=world.supervisor, case=case, user=world.teammate, role=AssignmentRole.LEAD)
    assert Case.objects.get(pk=case.pk).has_lead is True
    access.case_assign(by=world.supervisor, case=case, user=world.coworker, role=AssignmentRole.LEAD)
    assert Case.objects.get(pk=case.pk).has_lead is True  # the lead changed hands
    access.case_assign(by=world.supervisor, case=case, user=world.coworker, role=AssignmentRole.COWORKER)
    assert Case.objects.get(pk=case.pk).has_lead is False  # the lead became a co-worker
    access.case_assign(by=world.supervisor, case=case, user=world.teammate, role=AssignmentRole.LEAD)
    access.case_unassign(by=world.supervisor, case=case, user=world.teammate)
    assert Case.objects.get(pk=case.pk).has_lead is False
    assert Case.objects.get(pk=world.case.pk).has_lead is True  # opened by its lead


def test_the_flag_stays_out_of_the_trail(world):
    case = access.case_open(by=world.supervisor, team=world.team_a)
    access.case_assign(by=world.supervisor, case=case, user=world.teammate, role=AssignmentRole.LEAD)
    entries = AuditEntry.objects.filter(content_type__model="case", object_pk=str(case.pk))
    assert entries.exists() and not any("has_lead" in entry.changes_dict for entry in entries)


def test_has_lead_is_read_from_the_database_not_from_a_stale_copy_of_the_case(world):
    """Two supervisors at once, each with the case as loaded at the start of her request: the
    flag must follow the assignments as they end up, whichever copy the last change came with."""
    case = access.case_open(by=world.supervisor, team=world.team_a)
    access.case_assign(by=world.supervisor, case=case, user=world.teammate, role=AssignmentRole.LEAD)
    stale = Case.objects.get(pk=case.pk)  # has_lead True, as loaded
    access.case_unassign(by=world.supervisor, case=Case.objects.get(pk=case.pk), user=world.teammate)
    access.case_assign(by=world.supervisor, case=stale, user=world.coworker, role=AssignmentRole.LEAD)
    assert Case.objects.get(pk=case.pk).has_lead is True

    stale = Case.objects.get(pk=case.pk)  # has_lead True
    access.case_unassign(by=world.supervisor, case=Case.objects.get(pk=case.pk), user=world.coworker)
    fresh = Case.objects.get(pk=case.pk)  # has_lead False
    access.case_assign(by=world.supervisor, case=fresh, user=world.teammate, role=AssignmentRole.LEAD)
    access.case_unassign(by=world.supervisor, case=stale, user=world.teammate)
    assert Case.objects.get(pk=case.pk).has_lead is False  # nobody leads it: it shows as without a lead
