"""The People pages: an administrator manages her organisation's accounts, and nobody else
reaches them; every change is the service's, audited, and felt on the person's next request."""

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access import services as access
from casework.access.models import AccessRequest, Grant, Membership, Role
from casework.accounts.models import LoginSession
from casework.audit.models import AuditEntry
from casework.cases.models import Case
from tests.factories import make_admin, make_caseworker, make_org, make_team
from tests.personas import case_page, membership, signed_in_client

LOGIN = "/accounts/login/"
REASON = "Left the organisation in March"

PAGES = [
    ("access:users", False, "get"),
    ("access:user_new", False, "get"),
    ("access:user", True, "get"),
    ("access:user_role", True, "post"),
    ("access:user_teams", True, "post"),
    ("access:user_deactivate", True, "get"),
    ("access:user_reactivate", True, "get"),
    ("access:user_second_factor_reset", True, "get"),
    ("access:user_password_reset", True, "get"),
    ("access:user_unlock", True, "post"),
    ("access:user_offboard", True, "get"),
]
PERSON_PAGES = [(name, method) for name, needs_person, method in PAGES if needs_person]


def url(name, username=None):
    return reverse(name, args=[username] if username else [])


def page_url(name, needs_person, username="teammate"):
    return url(name, username if needs_person else None)


def sent_to_login(response):
    return response.status_code == 302 and response.url.startswith(LOGIN)


def last_entry(event):
    return AuditEntry.objects.filter(event=event).order_by("-seq").first()


# Who reaches the pages ---------------------------------------------------------------


# One world per test and the pages in a loop: a world costs a second, on every database.


def test_anonymous_is_sent_to_sign_in(client, world):
    for name, needs_person, method in PAGES:
        response = getattr(client, method)(page_url(name, needs_person))
        assert sent_to_login(response), name


@pytest.mark.parametrize("persona", ["lead", "supervisor", "head", "outsider_admin"])
def test_everyone_but_the_organisations_admins_gets_404(client, world, persona, sign_in):
    world.outsider_admin = make_admin(world.other_org, username="outsider_admin")
    sign_in(client, getattr(world, persona))
    for name, needs_person, method in PAGES:
        if persona == "outsider_admin" and not needs_person:
            continue  # her own organisation's list and form: see the test below
        assert getattr(client, method)(page_url(name, needs_person)).status_code == 404, name
        assert client.post(page_url(name, needs_person), {"reason": REASON, "confirm": "on"}).status_code == 404, name
    assert Membership.objects.get(user=world.teammate).is_active


def test_another_organisations_admin_sees_only_her_own_people(client, world, sign_in):
    sign_in(client, make_admin(world.other_org, username="outsider_admin"))
    page = client.get(url("access:users"), {"status": "all"}).content.decode()
    assert ">outsider</a>" in page and ">lead</a>" not in page
    page = client.get(url("access:user_new")).content.decode()
    assert "Team-X" in page and "Team-A" not in page


def test_a_person_of_another_organisation_is_as_unknown_as_nobody(admin_client, world):
    for name, method in PERSON_PAGES:
        for username in ["outsider", "nobody-by-this-name"]:
            assert getattr(admin_client, method)(url(name, username)).status_code == 404, name
            assert admin_client.post(url(name, username), {"reason": REASON, "confirm": "on"}).status_code == 404
    assert Membership.objects.get(user=world.outsider).is_active


def test_the_admin_reaches_every_page(admin_client, world):
    for name, needs_person, _method in [p for p in PAGES if p[2] == "get"]:
        username = "deactivated" if name == "access:user_reactivate" else "teammate"
        assert admin_client.get(page_url(name, needs_person, username)).status_code == 200, name


# The list ----------------------------------------------------------------------------


def row(page, username):
    """The table row of ``username``, from her name on."""
    start = page.index(f'<a href="{url("access:user", username)}">{username}</a>')
    return page[start : page.index("</tr>", start)]


def test_the_list_shows_the_organisations_people_and_their_facts(admin_client, world):
    signed_in_client(world.lead)  # a sign-in, and an authenticator
    access.user_create(by=None, organisation=world.org, username="newcomer", role=Role.CASEWORKER)
    page = admin_client.get(url("access:users")).content.decode()
    assert ">outsider</a>" not in page
    assert ">deactivated</a>" not in page
    assert url("access:user_new") in page
    lead, head, newcomer = row(page, "lead"), row(page, "head"), row(page, "newcomer")
    assert "Caseworker" in lead and "Team-A" in lead and "never" not in lead
    assert "set up" in lead and "not yet" not in lead and "must change password" not in lead
    assert "Supervisor" in head and "every team" in head and "never" in head
    assert "not yet: set up at next sign-in" in head
    assert "must change password" in newcomer and "active" in newcomer


def test_the_list_filters_by_status(admin_client, world):
    page = admin_client.get(url("access:users"), {"status": "deactivated"}).content.decode()
    assert ">deactivated</a>" in page and ">lead</a>" not in page
    assert "deactivated</span>" in row(page, "deactivated")
    page = admin_client.get(url("access:users"), {"status": "all"}).content.decode()
    assert ">deactivated</a>" in page and ">lead</a>" in page


def test_an_unknown_filter_is_refused_and_shows_the_active(admin_client, world):
    response = admin_client.get(url("access:users"), {"status": "<script>"})
    assert response.status_code == 400
    assert "&lt;script&gt;" not in response.content.decode()
    assert ">lead</a>" in response.content.decode()


def test_the_list_costs_the_same_queries_for_3_and_12_people(client, db, sign_in):
    org = make_org()
    team = make_team(org)
    admin = make_admin(org)
    sign_in(client, admin)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("access:users"), {"status": "all"}).status_code == 200
        return len(queries)

    for _ in range(2):
        make_caseworker(org, team)
    small = measure()
    for _ in range(9):
        person = make_caseworker(org, team)
        TOTPDevice.objects.create(user=person, name="authenticator", confirmed=True)
    assert Membership.objects.filter(organisation=org).count() == 12
    assert measure() == small


# Creating an account ----------------------------------------------------------------


def test_creating_shows_the_password_once_and_she_can_sign_in_with_it(admin_client, world):
    data = {"username": "min-ji", "role": Role.CASEWORKER, "teams": [world.team_a.pk]}
    response = admin_client.post(url("access:user_new"), data)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    password = response.context["password"]
    page = response.content.decode()
    assert password in page and "min-ji" in page
    assert "by a channel you trust" in page

    created = Membership.objects.get(user__username="min-ji")
    assert (created.role, list(created.teams.all()), created.must_change_password) == (
        Role.CASEWORKER,
        [world.team_a],
        True,
    )
    entry = last_entry("user.create")
    assert (entry.actor, entry.object_pk) == (world.admin, str(created.user_id))
    for stored in AuditEntry.objects.all():
        text = json.dumps([stored.reason, stored.additional_data, stored.changes, stored.object_repr], default=str)
        assert password not in text
    assert password not in json.dumps(dict(admin_client.session.items()), default=str)

    newcomer = Client()
    signed = newcomer.post(LOGIN, {"username": "min-ji", "password": password}, follow=True)
    assert signed.redirect_chain[-1][0] == reverse("accounts:enrol")
    assert newcomer.session["_auth_user_id"] == str(created.user_id)


def test_a_taken_username_is_refused_and_nothing_is_created(admin_client, world):
    before = User.objects.count()
    response = admin_client.post(url("access:user_new"), {"username": "LEAD", "role": Role.CASEWORKER})
    assert response.status_code == 400
    assert "That username is taken" in response.content.decode()
    assert User.objects.count() == before


def test_a_team_of_another_organisation_cannot_be_chosen(admin_client, world):
    data = {"username": "min-ji", "role": Role.CASEWORKER, "teams": [world.other_team.pk]}
    assert admin_client.post(url("access:user_new"), data).status_code == 400
    assert not User.objects.filter(username="min-ji").exists()


# Her page, role and teams ------------------------------------------------------------


def test_her_page_shows_her_facts_and_the_ways_to_act(admin_client, world):
    page = admin_client.get(url("access:user", "supervisor")).content.decode()
    assert "Team-A" in page and "Supervisor" in page
    for name in ("user_role", "user_teams", "user_deactivate", "user_second_factor_reset", "user_unlock"):
        assert url(f"access:{name}", "supervisor") in page
    assert url("access:user_offboard", "supervisor") in page
    assert world.case.display_code not in page


def test_changing_the_role_is_done_and_audited(admin_client, world):
    response = admin_client.post(url("access:user_role", "supervisor"), {"role": Role.CASEWORKER, "reason": REASON})
    assert response.status_code == 302 and response.url == url("access:user", "supervisor")
    assert membership(world.supervisor).role == Role.CASEWORKER
    entry = last_entry("membership.role")
    assert (entry.actor, entry.reason, entry.additional_data) == (
        world.admin,
        REASON,
        {"from": Role.SUPERVISOR, "to": Role.CASEWORKER},
    )


def test_making_someone_a_supervisor_waits_for_a_supervisor_to_confirm(admin_client, world):
    response = admin_client.post(url("access:user_role", "teammate"), {"role": Role.SUPERVISOR, "reason": REASON})
    assert response.status_code == 302
    assert membership(world.teammate).role == Role.CASEWORKER
    assert not AuditEntry.objects.filter(event="membership.role").exists()
    entry = last_entry("access.request")
    assert (entry.actor, entry.reason, entry.additional_data["kind"]) == (world.admin, REASON, "role")
    (request,) = AccessRequest.objects.pending()
    access.request_confirm(by=world.supervisor, request=request)
    assert membership(world.teammate).role == Role.SUPERVISOR


def test_a_role_change_the_service_refuses_shows_why(admin_client, world):
    response = admin_client.post(url("access:user_role", "lead"), {"role": Role.ADMIN, "reason": REASON})
    assert response.status_code == 400
    assert "reassign it first" in response.content.decode()
    assert membership(world.lead).role == Role.CASEWORKER
    assert not AuditEntry.objects.filter(event="membership.role").exists()


def test_nobody_changes_her_own_role(admin_client, world):
    assert admin_client.get(url("access:user", "admin")).status_code == 200
    response = admin_client.post(url("access:user_role", "admin"), {"role": Role.SUPERVISOR})
    assert response.status_code == 400
    assert "You cannot change your own role" in response.content.decode()
    assert membership(world.admin).role == Role.ADMIN


def test_an_unknown_role_is_refused(admin_client, world):
    response = admin_client.post(url("access:user_role", "teammate"), {"role": "owner"})
    assert response.status_code == 400
    assert membership(world.teammate).role == Role.CASEWORKER


def test_changing_teams_is_done_and_audited(admin_client, world):
    data = {"supervised_teams": [world.team_a.pk, world.team_b.pk]}
    response = admin_client.post(url("access:user_teams", "other_supervisor"), data)
    assert response.status_code == 302
    # Team B she keeps; team A waits for a supervisor of team A.
    assert set(membership(world.other_supervisor).supervised_teams.all()) == {world.team_b}
    entry = last_entry("membership.teams")
    assert (entry.actor, entry.additional_data["supervises"]) == (world.admin, ["team-b"])
    assert last_entry("access.request").additional_data["supervises"] == ["team-a"]
    assert not Case.objects.restrict(User.objects.get(pk=world.other_supervisor.pk), "view").filter(pk=world.case.pk)
    (request,) = AccessRequest.objects.pending()
    access.request_confirm(by=world.supervisor, request=request)
    assert set(membership(world.other_supervisor).supervised_teams.all()) == {world.team_a, world.team_b}
    assert Case.objects.restrict(User.objects.get(pk=world.other_supervisor.pk), "view").filter(pk=world.case.pk)


def test_a_caseworker_cannot_be_made_to_supervise(admin_client, world):
    response = admin_client.post(url("access:user_teams", "teammate"), {"supervised_teams": [world.team_b.pk]})
    assert response.status_code == 400
    assert "Only supervisors supervise teams." in response.content.decode()
    assert not membership(world.teammate).supervised_teams.exists()


# Deactivating and reactivating -------------------------------------------------------


def test_deactivating_signs_her_out_at_once(admin_client, world):
    hers = signed_in_client(world.lead)
    assert hers.get(case_page(world.case)).status_code == 200
    page = admin_client.get(url("access:user_deactivate", "lead")).content.decode()
    assert "signed out everywhere" in page
    response = admin_client.post(url("access:user_deactivate", "lead"), {"reason": REASON})
    assert response.status_code == 302
    assert not membership(world.lead).is_active
    entry = last_entry("membership.deactivate")
    assert (entry.actor, entry.reason, entry.object_pk) == (world.admin, REASON, str(world.lead.pk))
    assert sent_to_login(hers.get(case_page(world.case)))
    assert "lead is deactivated" in admin_client.get(response.url).content.decode()


def test_nobody_deactivates_herself(admin_client, world):
    response = admin_client.post(url("access:user_deactivate", "admin"), {"reason": REASON})
    assert response.status_code == 400
    assert "You cannot deactivate your own account" in response.content.decode()
    assert membership(world.admin).is_active


def test_reactivating_lists_what_she_regains_and_gives_it_back(admin_client, world):
    page = admin_client.get(url("access:user_reactivate", "deactivated")).content.decode()
    assert world.case.display_code in page
    response = admin_client.post(url("access:user_reactivate", "deactivated"), {"reason": REASON})
    assert response.status_code == 302
    assert membership(world.deactivated).is_active
    entry = last_entry("membership.reactivate")
    assert (entry.actor, entry.reason) == (world.admin, REASON)
    assert signed_in_client(User.objects.get(pk=world.deactivated.pk)).get(case_page(world.case)).status_code == 200


def test_reactivating_someone_active_is_refused(admin_client, world):
    response = admin_client.post(url("access:user_reactivate", "lead"), {"reason": REASON})
    assert response.status_code == 400
    assert "already active" in response.content.decode()


# Second factor and sign-in lock -----------------------------------------------------


def test_resetting_the_second_factor_ends_her_session(admin_client, world):
    hers = signed_in_client(world.teammate)
    key = hers.cookies[settings.SESSION_COOKIE_NAME].value
    assert TOTPDevice.objects.filter(user=world.teammate).exists()
    response = admin_client.post(url("access:user_second_factor_reset", "teammate"), {"reason": "Lost her phone"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=world.teammate).exists()
    assert not Session.objects.filter(session_key=key).exists()
    entry = last_entry("otp.reset")
    assert (entry.actor, entry.reason, entry.object_pk) == (world.admin, "Lost her phone", str(world.teammate.pk))
    assert sent_to_login(hers.get(case_page(world.case)))


def test_nobody_resets_her_own_second_factor(admin_client, world):
    response = admin_client.post(url("access:user_second_factor_reset", "admin"), {"reason": REASON})
    assert response.status_code == 400
    assert "Only another administrator" in response.content.decode()
    assert TOTPDevice.objects.filter(user=world.admin).exists()


def test_unlocking_lets_her_sign_in_again(admin_client, world):
    assert admin_client.get(url("access:user_unlock", "teammate")).status_code == 405
    response = admin_client.post(url("access:user_unlock", "teammate"))
    assert response.status_code == 302
    entry = last_entry("login.unlock")
    assert (entry.actor, entry.object_pk) == (world.admin, str(world.teammate.pk))
    assert "teammate can sign in again" in admin_client.get(response.url).content.decode()


# Off-boarding ------------------------------------------------------------------------


@pytest.fixture
def leaving(world):
    """The lead, who also holds a grant on the other team's case and is signed in."""
    access.grant_add(by=world.other_supervisor, case=world.other_case, user=world.lead, level="view", reason="Cover")
    return signed_in_client(world.lead)


def test_the_offboarding_page_says_exactly_what_will_happen(admin_client, world, leaving):
    page = admin_client.get(url("access:user_offboard", "lead")).content.decode()
    assert "1 signed-in session is ended" in page
    assert world.other_case.display_code in page and "View" in page
    assert world.case.display_code in page
    assert "I confirm that lead has left" in page
    assert LoginSession.objects.filter(user=world.lead).count() == 1


def test_offboarding_needs_a_reason_and_the_confirmation(admin_client, world, leaving):
    assert admin_client.post(url("access:user_offboard", "lead"), {"reason": REASON}).status_code == 400
    assert admin_client.post(url("access:user_offboard", "lead"), {"confirm": "on"}).status_code == 400
    assert membership(world.lead).is_active
    assert not AuditEntry.objects.filter(event="membership.offboard").exists()


def test_offboarding_takes_everything_and_lists_the_cases_to_reassign(admin_client, world, leaving):
    response = admin_client.post(url("access:user_offboard", "lead"), {"reason": REASON, "confirm": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("access:case", args=[world.case.display_code]) in page
    assert "coworker" in page and "Team-A" in page
    assert not membership(world.lead).is_active
    assert not Grant.objects.current().filter(user=world.lead).exists()
    entry = last_entry("membership.offboard")
    assert (entry.actor, entry.reason, entry.additional_data["grants_revoked"]) == (world.admin, REASON, 1)
    assert sent_to_login(leaving.get(case_page(world.case)))
    fresh = User.objects.get(pk=world.lead.pk)
    assert not Case.objects.restrict(fresh, "view").exists()
    # Even back in, the revoked grant gives nothing; only her assignment counts again.
    access.membership_reactivate(by=world.admin, membership=membership(world.lead))
    assert list(Case.objects.restrict(User.objects.get(pk=world.lead.pk), "view")) == [world.case]


def test_nobody_offboards_herself(admin_client, world):
    response = admin_client.post(url("access:user_offboard", "admin"), {"reason": REASON, "confirm": "on"})
    assert response.status_code == 400
    assert "You cannot off-board yourself" in response.content.decode()
    assert membership(world.admin).is_active


def test_a_new_temporary_password_is_shown_once_and_sends_her_to_choose_her_own(admin_client, world):
    her = signed_in_client(world.teammate)  # sign_in gives her a confirmed authenticator
    page = admin_client.get(url("access:user_password_reset", "teammate"))
    assert page.status_code == 200 and "Her second factor does not change" in page.content.decode()
    response = admin_client.post(url("access:user_password_reset", "teammate"), {"reason": "Forgot it"})
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode() and response["Cache-Control"] == "no-store"
    assert sent_to_login(her.get(reverse("home")))  # her old session is gone
    teammate = User.objects.get(pk=world.teammate.pk)
    assert teammate.check_password(password) and membership(teammate).must_change_password
    entry = last_entry("password.reset")
    assert (entry.actor, entry.reason) == (world.admin, "Forgot it")
    assert password not in json.dumps(list(AuditEntry.objects.values_list("reason", "additional_data", "changes")))
