"""Team services: names, supervision, and moving a person without moving her cases."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from casework.access import services as access
from casework.access.models import AccessRequest, Membership
from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.cases.models import Case
from tests.factories import make_case


def can(user, action, case):
    return Case.objects.restrict(User.objects.get(pk=user.pk), action).filter(pk=case.pk).exists()


def test_team_names_are_unique_in_an_organisation_whatever_their_case(world):
    team = access.team_create(by=world.admin, organisation=world.org, name="Night line")
    assert team.slug == "night-line"
    with pytest.raises(ValidationError, match="already"):
        access.team_create(by=world.admin, organisation=world.org, name="NIGHT LINE")
    with pytest.raises(ValidationError, match="already"):
        access.team_rename(by=world.admin, team=world.team_a, name="night line")
    access.team_rename(by=world.admin, team=team, name="Night and weekend line")
    entry = AuditEntry.objects.filter(event="team.rename").get()
    assert entry.additional_data == {"from": "Night line", "to": "Night and weekend line"}


def test_a_supervisor_added_to_a_team_supervises_its_cases_once_a_supervisor_confirms(world):
    access.team_supervisor_add(by=world.admin, team=world.team_b, membership=world.supervisor.membership)
    assert not can(world.supervisor, "view", world.other_case)
    (request,) = AccessRequest.objects.pending()
    access.request_confirm(by=world.other_supervisor, request=request)
    assert can(world.supervisor, "manage", world.other_case)
    access.team_supervisor_remove(by=world.admin, team=world.team_b, membership=world.supervisor.membership)
    assert not can(world.supervisor, "view", world.other_case)
    assert can(world.supervisor, "manage", world.case)


def test_only_supervisors_supervise(world):
    with pytest.raises(ValidationError):
        access.team_supervisor_add(by=world.admin, team=world.team_b, membership=world.lead.membership)


def test_the_move_preview_says_which_cases_stay_behind(world):
    second = make_case(world.lead)
    preview = access.move_preview(world.coworker.membership, world.team_a, world.team_b)
    assert [(row["case"], row["role"], row["left_without_lead"]) for row in preview["cases"]] == [
        (world.case, "coworker", False)
    ]
    preview = access.move_preview(world.lead.membership, world.team_a, world.team_b)
    assert {row["case"] for row in preview["cases"]} == {world.case, second}
    assert all(row["left_without_lead"] for row in preview["cases"])


def test_a_move_keeps_her_cases_unless_the_admin_chooses_otherwise(world):
    lead = world.lead.membership
    assert access.team_member_move(by=world.admin, membership=lead, from_team=world.team_a, to_team=world.team_b) == []
    assert list(Membership.objects.get(pk=lead.pk).teams.all()) == [world.team_b]
    assert can(world.lead, "reveal", world.case)
    assert not can(world.lead, "view", world.other_case)
    coworker = world.coworker.membership
    left = access.team_member_move(
        by=world.admin, membership=coworker, from_team=world.team_a, to_team=world.team_b, unassign=True, reason="New"
    )
    assert left == [world.case]
    assert not can(world.coworker, "view", world.case)
    entries = AuditEntry.objects.filter(event__in=["membership.move", "case.unassign"]).order_by("seq")
    events = [(entry.event, reason_of(entry)) for entry in entries]
    assert events == [("membership.move", ""), ("membership.move", "New"), ("case.unassign", "New")]


def test_a_move_needs_her_to_be_in_the_team_she_leaves(world):
    with pytest.raises(ValidationError):
        access.team_member_move(
            by=world.admin, membership=world.lead.membership, from_team=world.team_b, to_team=world.team_a
        )
