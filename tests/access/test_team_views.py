"""The Teams pages: an administrator arranges who works in and supervises each team of her
organisation, through the services, audited; nobody else reaches them, and a move shows
what will change before it happens."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.access import services as access
from casework.access.models import AccessRequest, Team
from casework.audit.models import AuditEntry
from casework.audit.reasons import reason_of
from casework.cases.models import CaseAssignment
from casework.identity import services as identity_services
from tests.factories import make_admin, make_case, make_caseworker, make_org, make_supervisor, make_team
from tests.personas import case_page, membership, signed_in_client

LOGIN = "/accounts/login/"
REASON = "Team reorganised for the spring"
SUMMARY = "A short non-identifying summary."

PAGES = [
    ("access:teams", [], "get"),
    ("access:team", ["team-a"], "get"),
    ("access:team_rename", ["team-a"], "post"),
    ("access:team_member_add", ["team-a"], "post"),
    ("access:team_member_remove", ["team-a", "teammate"], "post"),
    ("access:team_member_move", ["team-a", "teammate"], "get"),
    ("access:team_member_move", ["team-a", "teammate"], "post"),
    ("access:team_supervisor_add", ["team-a"], "post"),
    ("access:team_supervisor_remove", ["team-a", "supervisor"], "post"),
]
TEAM_PAGES = [(name, args, method) for name, args, method in PAGES if args]


def team_slugs(user):
    return set(membership(user).teams.values_list("slug", flat=True))


def entries(event):
    return AuditEntry.objects.filter(event=event).order_by("seq")


def last_entry(event):
    return entries(event).last()


def send(client, method, name, args, data=None):
    return getattr(client, method)(reverse(name, args=args), data or {})


def move_url(team="team-a", username="lead"):
    return reverse("access:team_member_move", args=[team, username])


# Who reaches the pages ---------------------------------------------------------------


# One world per test, every page in a loop: these run on every database, and a world costs a second.


def test_anonymous_people_are_sent_to_sign_in(client, world):
    for name, args, method in PAGES:
        response = send(client, method, name, args)
        assert response.status_code == 302, name
        assert response.url.startswith(LOGIN), name


def unchanged(world):
    return team_slugs(world.teammate), set(Team.objects.values_list("name", flat=True))


@pytest.mark.parametrize("persona", ["lead", "supervisor", "head"])
def test_only_administrators_reach_them(world, persona):
    before = unchanged(world)
    client = signed_in_client(getattr(world, persona))
    for name, args, method in PAGES:
        response = send(client, method, name, args, {"name": "Renamed", "to": "team-b"})
        assert response.status_code == 404, name
    assert unchanged(world) == before


def test_an_administrator_of_another_organisation_finds_nothing(world):
    before = unchanged(world)
    other_admin = signed_in_client(make_admin(world.other_org, username="other_admin"))
    for name, args, method in TEAM_PAGES:
        response = send(other_admin, method, name, args, {"name": "Renamed", "to": "team-b"})
        assert response.status_code == 404, name
    assert unchanged(world) == before


def test_an_administrator_of_another_organisation_lists_only_her_own_teams(world):
    response = signed_in_client(make_admin(world.other_org)).get(reverse("access:teams"))
    assert response.status_code == 200
    assert [team.slug for team in response.context["teams"]] == ["team-x"]
    assert "Team-A" not in response.content.decode()


def test_a_team_of_another_organisation_is_not_found(admin_client, world):
    for name, args, method in TEAM_PAGES:
        args = [world.other_team.slug, *(["outsider"] if len(args) > 1 else [])]
        response = send(admin_client, method, name, args, {"name": "Renamed", "to": "team-b"})
        assert response.status_code == 404, name
    assert Team.objects.get(pk=world.other_team.pk).name == world.other_team.name


@pytest.mark.parametrize("name", ["access:team", "access:team_rename"])
def test_an_unknown_team_is_not_found(admin_client, world, name):
    method = "get" if name == "access:team" else "post"
    assert send(admin_client, method, name, ["no-such-team"], {"name": "X"}).status_code == 404


PERSON_PAGES = [
    ("access:team_member_remove", "post"),
    ("access:team_member_move", "get"),
    ("access:team_supervisor_remove", "post"),
]


def test_a_person_outside_the_organisation_or_the_team_is_not_found(admin_client, world):
    # other_team_worker is of the organisation, but neither works in nor supervises team A.
    for name, method in PERSON_PAGES:
        for username in ["outsider", "nobody", "other_team_worker"]:
            assert send(admin_client, method, name, ["team-a", username]).status_code == 404, (name, username)


def test_pages_that_change_something_refuse_a_get(admin_client, world):
    for name, args in [("access:team_rename", ["team-a"]), ("access:team_member_remove", ["team-a", "teammate"])]:
        assert admin_client.get(reverse(name, args=args)).status_code == 405
    assert "team-a" in team_slugs(world.teammate)


# The list and creating teams ---------------------------------------------------------


def test_the_list_shows_each_team_with_its_counts_and_supervisors(admin_client, world):
    response = admin_client.get(reverse("access:teams"))
    assert response.status_code == 200
    rows = {team.slug: team for team in response.context["teams"]}
    assert set(rows) == {"team-a", "team-b"}
    # Team A: lead, coworker, teammate (deactivated is not counted); one open case.
    assert (rows["team-a"].member_count, rows["team-a"].open_case_count) == (3, 1)
    assert [m.user.username for m in rows["team-a"].named_supervisors] == ["supervisor"]
    content = response.content.decode()
    assert "Team-A" in content and "<li>supervisor</li>" in content
    assert [m.user.username for m in response.context["everywhere"]] == ["head"]
    assert "<li>head <span" in content
    assert world.case.display_code not in content and SUMMARY not in content


def test_creating_a_team(admin_client, world):
    response = admin_client.post(reverse("access:teams"), {"name": "Night shift"})
    team = Team.objects.get(organisation=world.org, name="Night shift")
    assert response.status_code == 302
    assert response.url == reverse("access:team", args=[team.slug])
    entry = last_entry("team.create")
    assert entry.actor == world.admin
    assert entry.organisation_id == world.org.pk
    # Who supervises every team supervises the new one at once.
    assert world.head.groups.filter(pk=team.supervisor_group_id).exists()


def test_a_duplicate_team_name_is_refused_and_nothing_is_created(admin_client, world):
    count, created = Team.objects.count(), entries("team.create").count()
    response = admin_client.post(reverse("access:teams"), {"name": "team-a"})
    assert response.status_code == 400
    assert "There is already a team with that name." in response.content.decode()
    assert (Team.objects.count(), entries("team.create").count()) == (count, created)


def test_an_empty_name_is_refused(admin_client, world):
    count = Team.objects.count()
    assert admin_client.post(reverse("access:teams"), {"name": "  "}).status_code == 400
    assert Team.objects.count() == count


def test_the_list_s_queries_do_not_grow_with_the_teams(db, client, django_assert_max_num_queries, sign_in):
    def build(count):
        org = make_org()
        admin = make_admin(org)
        for _ in range(count):
            team = make_team(org)
            make_supervisor(org, team)
            worker = make_caseworker(org, team)
            make_caseworker(org, team)
            make_case(worker)
        return admin

    sign_in(client, build(2))
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("access:teams")).status_code == 200
    sign_in(client, build(8))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("access:teams"))
    assert len(response.context["teams"]) == 8


# The team page, renaming, members and supervisors -------------------------------------


def test_the_team_page_shows_members_and_supervisors(admin_client, world):
    response = admin_client.get(reverse("access:team", args=["team-a"]))
    assert response.status_code == 200
    content = response.content.decode()
    for username in ["lead", "coworker", "teammate", "supervisor", "head"]:
        assert reverse("access:user", args=[username]) in content
    assert reverse("access:user", args=["other_team_worker"]) not in content
    assert reverse("access:team_member_move", args=["team-a", "lead"]) in content
    assert reverse("access:team_supervisor_remove", args=["team-a", "supervisor"]) in content
    # Who supervises every team is shown as such, with nothing to remove here.
    assert "supervises every team" in content
    assert reverse("access:team_supervisor_remove", args=["team-a", "head"]) not in content
    # Choices: active non-admin people not yet in the team; supervisors not yet supervising it.
    people = {m.user.username for m in response.context["member_form"].fields["membership"].queryset}
    assert "other_team_worker" in people and "other_supervisor" in people
    assert not people & {"lead", "admin", "deactivated", "outsider"}
    supervisors = {m.user.username for m in response.context["supervisor_form"].fields["membership"].queryset}
    assert supervisors == {"other_supervisor"}
    assert world.case.display_code not in content and SUMMARY not in content


def test_renaming_a_team(admin_client, world):
    response = admin_client.post(reverse("access:team_rename", args=["team-a"]), {"name": "Harbour team"})
    assert response.status_code == 302
    assert Team.objects.get(pk=world.team_a.pk).name == "Harbour team"
    entry = last_entry("team.rename")
    assert entry.actor == world.admin
    assert entry.additional_data["to"] == "Harbour team"


def test_renaming_to_another_team_s_name_is_refused(admin_client, world):
    response = admin_client.post(reverse("access:team_rename", args=["team-a"]), {"name": "TEAM-B"})
    assert response.status_code == 400
    assert "There is already a team with that name." in response.content.decode()
    assert Team.objects.get(pk=world.team_a.pk).name == "Team-A"
    assert not entries("team.rename").exists()


def test_adding_a_member(admin_client, world):
    chosen = membership(world.other_team_worker)
    response = admin_client.post(reverse("access:team_member_add", args=["team-a"]), {"membership": chosen.pk})
    assert response.status_code == 302
    assert team_slugs(world.other_team_worker) == {"team-a", "team-b"}
    entry = last_entry("membership.teams")
    assert entry.actor == world.admin and "team-a" in entry.additional_data["teams"]
    # She gains no case of team A by joining it.
    assert signed_in_client(world.other_team_worker).get(case_page(world.case)).status_code == 404


@pytest.mark.parametrize("username", ["admin", "outsider", "lead"])
def test_only_people_of_the_organisation_not_yet_in_the_team_can_be_added(admin_client, world, username):
    chosen = membership(getattr(world, username))
    before = entries("membership.teams").count()
    response = admin_client.post(reverse("access:team_member_add", args=["team-a"]), {"membership": chosen.pk})
    assert response.status_code == 400
    assert entries("membership.teams").count() == before


def test_removing_a_member_keeps_her_cases(admin_client, world):
    response = admin_client.post(reverse("access:team_member_remove", args=["team-a", "lead"]))
    assert response.status_code == 302
    assert team_slugs(world.lead) == set()
    assert last_entry("membership.teams").actor == world.admin
    assert CaseAssignment.objects.filter(case=world.case, user=world.lead).exists()
    assert signed_in_client(world.lead).get(case_page(world.case)).status_code == 200


def test_adding_a_supervisor_shows_her_the_team_s_cases_once_a_supervisor_of_it_confirms(admin_client, world):
    her = signed_in_client(world.supervisor)
    assert her.get(case_page(world.other_case)).status_code == 404
    response = admin_client.post(
        reverse("access:team_supervisor_add", args=["team-b"]), {"membership": membership(world.supervisor).pk}
    )
    assert response.status_code == 302
    assert set(membership(world.supervisor).supervised_teams.values_list("slug", flat=True)) == {"team-a"}
    entry = last_entry("access.request")
    assert entry.actor == world.admin and entry.additional_data["supervises"] == ["team-b"]
    assert her.get(case_page(world.other_case)).status_code == 404
    (request,) = AccessRequest.objects.pending()
    access.request_confirm(by=world.other_supervisor, request=request)
    assert set(membership(world.supervisor).supervised_teams.values_list("slug", flat=True)) == {"team-a", "team-b"}
    assert her.get(case_page(world.other_case)).status_code == 200


def test_removing_a_supervisor_hides_the_team_s_cases_on_her_next_request(admin_client, world):
    her = signed_in_client(world.supervisor)
    assert her.get(case_page(world.case)).status_code == 200
    response = admin_client.post(reverse("access:team_supervisor_remove", args=["team-a", "supervisor"]))
    assert response.status_code == 302
    assert not membership(world.supervisor).supervised_teams.exists()
    assert last_entry("membership.teams").actor == world.admin
    assert her.get(case_page(world.case)).status_code == 404


def test_who_supervises_every_team_cannot_be_removed_here(admin_client, world):
    before = entries("membership.teams").count()
    response = admin_client.post(reverse("access:team_supervisor_remove", args=["team-a", "head"]))
    assert response.status_code == 400
    assert "supervises every team" in response.content.decode()
    assert membership(world.head).supervises_all_teams
    assert entries("membership.teams").count() == before
    assert signed_in_client(world.head).get(case_page(world.case)).status_code == 200


def test_a_caseworker_cannot_be_made_a_supervisor_of_a_team(admin_client, world):
    response = admin_client.post(
        reverse("access:team_supervisor_add", args=["team-a"]), {"membership": membership(world.teammate).pk}
    )
    assert response.status_code == 400
    assert not membership(world.teammate).supervised_teams.exists()


# Moving a person ----------------------------------------------------------------------


def test_moving_starts_with_choosing_another_team_of_the_organisation(admin_client, world):
    response = admin_client.get(move_url())
    assert response.status_code == 200
    choices = {team.slug for team in response.context["form"].fields["to"].queryset}
    assert choices == {"team-b"}


@pytest.mark.parametrize("to", ["team-x", "team-a", "no-such-team", ""])
def test_a_destination_that_is_not_another_team_of_hers_is_refused(admin_client, world, to):
    response = admin_client.get(move_url(), {"to": to})
    assert response.status_code == 400
    assert response.context["form"].errors
    response = admin_client.post(move_url(), {"to": to, "reason": REASON})
    assert response.status_code == 400
    assert team_slugs(world.lead) == {"team-a"}
    assert not entries("membership.move").exists()


def test_the_preview_lists_her_cases_and_says_they_stay_before_anything_changes(admin_client, world):
    response = admin_client.get(move_url(), {"to": "team-b"})
    assert response.status_code == 200
    content = response.content.decode()
    assert world.case.display_code in content
    assert "stays in Team-A" in content or "stay in Team-A" in content
    assert "she keeps working on" in content
    assert "She gains no case of Team-B" in content
    assert "coworker" in content  # the others on the case
    assert "left without a lead" in content  # she leads it
    assert world.other_case.display_code not in content and SUMMARY not in content
    assert team_slugs(world.lead) == {"team-a"}
    assert not entries("membership.move").exists()


def test_a_move_without_unassigning_keeps_her_cases(admin_client, world):
    response = admin_client.post(move_url(), {"to": "team-b", "reason": REASON})
    assert response.status_code == 302
    assert response.url == reverse("access:team", args=["team-a"])
    assert team_slugs(world.lead) == {"team-b"}
    entry = last_entry("membership.move")
    assert (entry.actor, reason_of(entry)) == (world.admin, REASON)
    assert entry.additional_data == {"from": "team-a", "to": "team-b", "unassign": False}
    assert not entries("case.unassign").exists()
    her = signed_in_client(world.lead)
    assert her.get(case_page(world.case)).status_code == 200
    assert her.get(case_page(world.other_case)).status_code == 404


def test_a_move_with_unassigning_lists_the_cases_to_reassign(admin_client, world):
    response = admin_client.post(move_url(), {"to": "team-b", "unassign": "on", "reason": REASON})
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("access:case", args=[world.case.display_code]) in content
    assert SUMMARY not in content
    assert team_slugs(world.lead) == {"team-b"}
    assert not CaseAssignment.objects.filter(case=world.case, user=world.lead).exists()
    assert last_entry("membership.move").additional_data["unassign"] is True
    entry = last_entry("case.unassign")
    assert (entry.actor, reason_of(entry), entry.case_code) == (world.admin, REASON, world.case.code)
    assert signed_in_client(world.lead).get(case_page(world.case)).status_code == 404


def test_the_move_reason_is_no_way_to_test_a_guess_at_a_name(admin_client, world):
    # Only an administrator moves people, and she may not reveal identities: a reason that
    # happens to hold the name of one of the cases gets the same answer as any other.
    identity_services.identity_save(by=world.lead, case=world.case, values={"legal_name": "김카나리"})
    response = admin_client.post(move_url(), {"to": "team-b", "reason": "for 김카나리"})
    assert response.status_code == 302
    assert team_slugs(world.lead) == {"team-b"}


def test_a_deactivated_member_cannot_be_moved(admin_client, world):
    response = admin_client.post(move_url(username="deactivated"), {"to": "team-b", "reason": REASON})
    assert response.status_code == 400
    assert "deactivated" in response.content.decode()
    assert team_slugs(world.deactivated) == {"team-a"}
