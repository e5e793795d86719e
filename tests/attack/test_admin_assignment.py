"""Attack: an administrator's lead assignment is a reveal grant that waits for nobody.

An administrator's ``reveal`` grant waits at /access/confirmations/ for a supervisor of the
case's team. Assigning someone as *lead* gives the same ``reveal_identity`` row (plus view
and edit), at once, on any case of the organisation: the page only asks that the lead work
in the case's team, and the administrator puts her in that team herself, at once. And the
vouching that should stand between an administrator and case content is asked only of a
supervisor of the teams the person works in: the cases the administrator has already
assigned her to as a co-worker (any team: the page checks nothing for co-workers) are
neither shown to that supervisor nor covered by her.
"""

import pytest
from django.urls import reverse

from casework.access.models import AccessRequest, Role
from casework.cases.models import Case
from casework.identity import services as identity_services
from tests.access.test_vouching import admin_creates, take_over, vouch
from tests.identity.conftest import VALUES, current_code
from tests.identity.conftest import signed_in as really_signed_in
from tests.personas import signed_in_client as force_signed_in

ASK = {"purpose": "contact", "reason": "Arranging a housing visit", "fields": ["legal_name", "phones"]}


@pytest.fixture
def other_identity(world):
    """The identity of ``other_case`` (team B, led by other_team_worker)."""
    identity_services.identity_save(by=world.other_team_worker, case=world.other_case, values=VALUES)


def assign_lead(admin_client, case, username):
    data = {"assign-user": username, "assign-role": "lead", "assign-reason": "Cover"}
    return admin_client.post(reverse("access:case_assign", args=[case.display_code]), data)


def reveal(client, user, case):
    url = reverse("cases:identity", args=[case.display_code])
    return client.post(url, {**ASK, "code": current_code(user)})


def test_an_admins_lead_assignment_gives_reveal_without_any_supervisor(world, other_identity):
    """The admin cannot give ``teammate`` (team A) a reveal grant on team B's case without a
    supervisor of team B confirming it; naming her lead of that case does it at once."""
    admin = force_signed_in(world.admin)
    # The front door is shut: a reveal grant waits for a supervisor of team B.
    data = {"grant-user": "teammate", "grant-level": "reveal", "grant-reason": "Family tracing"}
    assert admin.post(reverse("access:case_grant", args=[world.other_case.display_code]), data).status_code == 302
    assert AccessRequest.objects.pending().filter(case=world.other_case).exists()
    assert not Case.objects.restrict(world.teammate, "reveal").filter(pk=world.other_case.pk).exists()
    # The side door: put her in team B too (at once), then name her lead; no confirmation asked.
    teams = {"teams": [world.team_a.pk, world.team_b.pk]}
    assert admin.post(reverse("access:user_teams", args=["teammate"]), teams).status_code == 302
    # Refused since the fix (only a supervisor of the case's team names a lead); 302 before it.
    assign_lead(admin, world.other_case, "teammate")
    assert not AccessRequest.objects.pending().filter(case=world.other_case).exclude(kind="reveal").exists()
    teammate = really_signed_in(world.teammate)
    body = reveal(teammate, world.teammate, world.other_case).content.decode()
    assert VALUES["legal_name"] not in body, (
        "an administrator alone gave reveal on team B's case (lead assignment) to a team A caseworker"
    )


def test_a_one_team_supervisor_vouching_unlocks_cases_of_other_teams(world, other_identity):
    """The administrator makes a puppet in team A, makes it a co-worker of team B's case
    before anyone vouches, and takes it over. Team A's supervisor (who covers only team A,
    and is shown only "works in team A" on the vouching page) vouches for it: the puppet
    now reads and edits team B's case, whose supervisors were never asked."""
    admin = force_signed_in(world.admin)
    password = admin_creates(admin, "puppet1", Role.CASEWORKER, teams=[world.team_a.pk])
    data = {"assign-user": "puppet1", "assign-role": "coworker", "assign-reason": "Cover"}
    assert admin.post(reverse("access:case_assign", args=[world.other_case.display_code]), data).status_code == 302
    puppet = take_over("puppet1", password)
    supervisor = force_signed_in(world.supervisor)
    page = supervisor.get(reverse("access:vouch", args=["puppet1"])).content.decode()
    assert world.other_case.display_code not in page  # nothing tells her what she unlocks
    # Since the fix she may not vouch at all (404), and only a supervisor of team B as well
    # (here the head) is shown the case she would open; before it, her vouch went through.
    vouch(supervisor, "puppet1", current_code(world.supervisor))
    head_page = force_signed_in(world.head).get(reverse("access:vouch", args=["puppet1"])).content.decode()
    assert world.other_case.display_code in head_page
    assert not Case.objects.restrict(world.supervisor, "view").filter(pk=world.other_case.pk).exists()
    response = puppet.get(reverse("cases:detail", args=[world.other_case.display_code]))
    assert response.status_code == 404, (
        "a vouch by team A's supervisor unlocked team B's case (co-worker: view and edit) for an admin-made account"
    )
