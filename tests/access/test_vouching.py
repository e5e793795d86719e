"""An administrator cannot read cases through an account she controls (issue 14, section 1).

Played as the attacker would: the administrator creates an account on the People page, is
shown its temporary password, signs in with it on the real sign-in pages, enrols her own
authenticator, chooses a password, and opens or reveals cases. Whatever role, supervision,
assignment or grant she gave it, the account gets the answer a wrong case code gets until a
supervisor, who already reaches those cases, vouches for it with a fresh code.
"""

import base64
import time

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access import services as access
from casework.access.models import AccessRequest, Membership, Role
from casework.audit.models import AuditEntry
from casework.audit.review import entries_for
from casework.cases.models import Case
from tests.factories import make_org, make_team, make_user
from tests.identity.conftest import VALUES, current_code
from tests.personas import signed_in_client

WRONG_CODE = "ZZZ-ZZZZ-ZZZ"
NEW_PASSWORD = "a long walk by the quiet river"


def code_from(secret, steps_ahead=0):
    key = base64.b32decode(secret.replace(" ", ""))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def admin_creates(admin_client, username, role, **placement):
    data = {"username": username, "role": role, **placement}
    response = admin_client.post(reverse("access:user_new"), data)
    assert response.status_code == 200, response.content.decode()
    return response.context["password"]


def take_over(username, password):
    """Sign in as a new account the way whoever holds its temporary password would: the
    password page, enrolment of her own authenticator, then a password of her choosing."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    secret = client.get(reverse("accounts:enrol")).context["secret"]
    response = client.post(reverse("accounts:enrol"), {"code": code_from(secret)})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    data = {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post(reverse("accounts:password"), data).url == reverse("home")
    return client


def case_urls(case):
    code = case.display_code
    return [reverse("cases:detail", args=[code]), reverse("cases:identity", args=[code])]


def answers(client, case):
    return [client.get(url).status_code for url in case_urls(case)]


def listed_codes(client):
    response = client.get(reverse("cases:list"))
    return {case.code for case in response.context["page"]} if response.status_code == 200 else set()


def vouch(client, username, code, **extra):
    data = {"met": "on", "reason": "Met her at the office", "code": code, **extra}
    return client.post(reverse("access:vouch", args=[username]), data)


@pytest.fixture
def admin_client(world):
    return signed_in_client(world.admin)


@pytest.fixture
def identity(world):
    from casework.identity import services

    services.identity_save(by=world.lead, case=world.case, values=VALUES)


def test_an_admin_made_supervisor_of_every_team_reads_nothing_through_it(admin_client, world, identity):
    password = admin_creates(admin_client, "puppet1", Role.SUPERVISOR, supervises_all_teams="on")
    puppet = take_over("puppet1", password)
    # A right guess (a case that exists) answers exactly as a wrong one.
    assert answers(puppet, world.case) == answers(puppet, world.other_case) == [404, 404]
    assert puppet.get(reverse("cases:detail", args=[WRONG_CODE])).status_code == 404
    assert listed_codes(puppet) == set()
    assert puppet.get(reverse("access:confirmations")).status_code == 404
    assert puppet.get(reverse("audit:trail")).status_code == 404
    assert VALUES["legal_name"] not in puppet.get(case_urls(world.case)[1]).content.decode()
    membership = Membership.objects.get(user__username="puppet1")
    assert (membership.role, membership.is_vouched) == (Role.CASEWORKER, False)
    assert not membership.user.groups.exists()  # no permission row changed


def test_an_admin_made_caseworker_with_assignment_and_reveal_grant_reads_nothing(admin_client, world, identity):
    password = admin_creates(admin_client, "puppet1", Role.CASEWORKER, teams=[world.team_a.pk])
    code = world.case.display_code
    # Naming the lead (who reveals) is for a supervisor of the case's team: refused, nothing changed.
    as_lead = {"assign-user": "puppet1", "assign-role": "lead", "assign-reason": "Cover"}
    assert admin_client.post(reverse("access:case_assign", args=[code]), as_lead).status_code == 400
    assert not world.case.assignments.filter(user__username="puppet1").exists()
    assigned = admin_client.post(reverse("access:case_assign", args=[code]), {**as_lead, "assign-role": "coworker"})
    granted = admin_client.post(
        reverse("access:case_grant", args=[code]),
        {"grant-user": "puppet1", "grant-level": "reveal", "grant-reason": "Cover"},
    )
    assert (assigned.status_code, granted.status_code) == (302, 302)
    puppet = take_over("puppet1", password)
    assert answers(puppet, world.case) == [404, 404]
    assert listed_codes(puppet) == set()
    # The same account, once a supervisor of the team vouched for her, works on the case:
    # so the 404s above are the vouching, not a page nobody may open.
    supervisor = signed_in_client(world.supervisor)
    assert vouch(supervisor, "puppet1", current_code(world.supervisor)).status_code == 302
    assert answers(puppet, world.case)[0] == 200
    assert listed_codes(puppet) == {world.case.code}


def test_two_admin_accounts_cannot_make_a_puppet_a_supervisor(admin_client, world, identity):
    second_password = admin_creates(admin_client, "admin-b", Role.ADMIN)
    puppet_password = admin_creates(admin_client, "puppet1", Role.CASEWORKER, teams=[world.team_a.pk])
    admin_b = take_over("admin-b", second_password)
    response = admin_b.post(reverse("access:user_role", args=["puppet1"]), {"role": Role.SUPERVISOR, "reason": "x"})
    assert response.status_code == 302
    teams = {"supervises_all_teams": "on", "teams": [world.team_a.pk]}
    admin_b.post(reverse("access:user_teams", args=["puppet1"]), teams)
    puppet = take_over("puppet1", puppet_password)
    assert answers(puppet, world.case) == answers(puppet, world.other_case) == [404, 404]
    assert Membership.objects.get(user__username="puppet1").role == Role.CASEWORKER
    assert AccessRequest.objects.pending().filter(membership__user__username="puppet1").count() == 1


def test_a_supervisor_made_by_an_admin_needs_a_vouch_and_a_confirmation(admin_client, world):
    password = admin_creates(admin_client, "newsup", Role.SUPERVISOR, supervised_teams=[world.team_b.pk])
    her = take_over("newsup", password)
    other = signed_in_client(world.other_supervisor)
    assert vouch(other, "newsup", current_code(world.other_supervisor)).status_code == 302
    assert answers(her, world.other_case) == [404, 404]  # vouched, but still a caseworker of no case
    request = AccessRequest.objects.pending().get(membership__user__username="newsup")
    url = reverse("access:request_decide", args=[request.uid])
    assert signed_in_client(world.supervisor).get(url).status_code == 404  # team A's supervisor does not cover team B
    other.post(url, {"decision": "confirm", "reason": "Agreed"})
    assert answers(her, world.other_case) == [200, 200]
    assert answers(her, world.case) == [404, 404]


def test_an_unvouched_supervisor_vouches_for_nobody(world):
    # Made by an operator, supervising every team, but nobody vouched for her.
    puppet = make_user(world.org, Role.SUPERVISOR, supervises_all=True, username="sup-puppet", vouched=False)
    make_user(world.org, Role.CASEWORKER, teams=[world.team_a], username="puppet2", vouched=False)
    client = signed_in_client(puppet)
    assert client.get(reverse("access:confirmations")).status_code == 404
    assert vouch(client, "puppet2", current_code(puppet)).status_code == 404
    assert not Membership.objects.get(user__username="puppet2").is_vouched
    assert not Case.objects.restrict(puppet, "view").exists()


def test_vouching_needs_a_right_fresh_code_and_is_audited(world):
    make_user(world.org, Role.CASEWORKER, teams=[world.team_a], username="newcomer", vouched=False)
    TOTPDevice.objects.create(user=Membership.objects.get(user__username="newcomer").user, confirmed=True)
    supervisor = signed_in_client(world.supervisor)
    page = supervisor.get(reverse("access:confirmations")).content.decode()
    assert reverse("access:vouch", args=["newcomer"]) in page
    assert reverse("access:vouch", args=["newcomer"]) in supervisor.get(reverse("home")).content.decode()
    assert vouch(supervisor, "newcomer", "000000").status_code == 400
    assert not Membership.objects.get(user__username="newcomer").is_vouched
    assert AuditEntry.objects.filter(event="access.vouch", outcome="denied", actor=world.supervisor).exists()
    TOTPDevice.objects.get(user=world.supervisor).throttle_reset()  # a wrong code makes the next try wait
    assert vouch(supervisor, "newcomer", current_code(world.supervisor)).status_code == 302
    membership = Membership.objects.get(user__username="newcomer")
    assert membership.is_vouched and membership.vouched_by == world.supervisor
    assert AuditEntry.objects.filter(event="access.vouch", outcome="ok", actor=world.supervisor).exists()


def test_a_supervisor_of_another_team_cannot_vouch(world):
    make_user(world.org, Role.CASEWORKER, teams=[world.team_a], username="newcomer", vouched=False)
    other = signed_in_client(world.other_supervisor)
    assert vouch(other, "newcomer", current_code(world.other_supervisor)).status_code == 404
    assert not Membership.objects.get(user__username="newcomer").is_vouched


def test_a_second_factor_reset_unvouches_until_a_supervisor_vouches_again(admin_client, world):
    lead = signed_in_client(world.lead)
    assert answers(lead, world.case) == [200, 200]
    response = admin_client.post(reverse("access:user_second_factor_reset", args=["lead"]), {"reason": "Lost phone"})
    assert response.status_code == 302
    # Whoever knows her password enrols the next authenticator.
    client = Client()
    client.post(reverse("login"), {"username": "lead", "password": "correct horse battery staple"})
    secret = client.get(reverse("accounts:enrol")).context["secret"]
    assert client.post(reverse("accounts:enrol"), {"code": code_from(secret)}).status_code == 200
    assert answers(client, world.case) == [404, 404]
    entry = AuditEntry.objects.get(event="access.unvouch")
    assert (entry.actor, entry.additional_data["cause"]) == (world.admin, "otp.reset")
    assert vouch(signed_in_client(world.supervisor), "lead", current_code(world.supervisor)).status_code == 302
    assert answers(client, world.case) == [200, 200]


def test_a_password_reset_unvouches_too(admin_client, world):
    assert answers(signed_in_client(world.lead), world.case) == [200, 200]
    response = admin_client.post(reverse("access:user_password_reset", args=["lead"]), {"reason": "Forgot it"})
    assert response.status_code == 200
    temporary = response.context["password"]
    assert not Membership.objects.get(user=world.lead).is_vouched
    client = signed_in_client(User.objects.get(pk=world.lead.pk))  # as after her own code: both factors
    data = {"old_password": temporary, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    assert client.post(reverse("accounts:password"), data).url == reverse("home")
    assert answers(client, world.case) == [404, 404]
    assert AuditEntry.objects.get(event="access.unvouch").additional_data["cause"] == "password.reset"


def test_an_admins_reveal_grant_waits_for_a_supervisor_of_the_case(admin_client, world):
    code = world.case.display_code
    data = {"grant-user": "teammate", "grant-level": "reveal", "grant-reason": "Family tracing"}
    assert admin_client.post(reverse("access:case_grant", args=[code]), data).status_code == 302
    teammate = signed_in_client(world.teammate)
    assert answers(teammate, world.case) == [404, 404]
    request = AccessRequest.objects.pending().get()
    url = reverse("access:request_decide", args=[request.uid])
    assert signed_in_client(world.other_supervisor).get(url).status_code == 404
    supervisor = signed_in_client(world.supervisor)
    refused = supervisor.post(url, {"decision": "refuse", "reason": "", "code": current_code(world.supervisor)})
    assert refused.status_code == 400  # a refusal needs a reason
    supervisor = signed_in_client(world.supervisor)
    supervisor.post(url, {"decision": "confirm", "reason": "Agreed", "code": current_code(world.supervisor)})
    assert answers(teammate, world.case) == [200, 200]
    assert AuditEntry.objects.filter(event="access.confirm", actor=world.supervisor).exists()


def test_every_supervisor_sees_an_account_created_in_no_team(admin_client, world):
    admin_creates(admin_client, "puppet1", Role.ADMIN)
    admin_creates(admin_client, "puppet2", Role.SUPERVISOR, supervises_all_teams="on")
    for supervisor in (world.supervisor, world.other_supervisor, world.head):
        seen = set(entries_for(supervisor).values_list("event", "object_repr"))
        assert {("user.create", "puppet1"), ("user.create", "puppet2"), ("access.request", "puppet2")} <= seen


class TestBootstrap:
    def test_an_operator_makes_the_first_supervisor_of_an_organisation(self, db, capsys):
        org = make_org("fresh")
        team = make_team(org, "only")
        call_command("org_bootstrap_supervisor", "fresh", "first")
        out = capsys.readouterr().out
        assert "Temporary password" in out
        membership = Membership.objects.get(user__username="first")
        assert (membership.role, membership.supervises_all_teams, membership.is_vouched) == ("supervisor", True, True)
        assert membership.vouched_by is None and membership.user.groups.filter(supervised_team=team).exists()
        assert AuditEntry.objects.filter(event="access.bootstrap_supervisor").exists()
        with pytest.raises(CommandError, match="already has a supervisor"):
            call_command("org_bootstrap_supervisor", "fresh", "second")

    def test_an_existing_account_needs_a_code_from_her_own_authenticator(self, db):
        org = make_org("fresh")
        make_team(org, "only")
        user = make_user(org, Role.CASEWORKER, username="named", vouched=False)
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        for code in ("", "12345"):  # none, and never a valid six-digit code
            with pytest.raises(CommandError, match="code"):
                call_command("org_bootstrap_supervisor", "fresh", "named", "--code", code)
        assert not Membership.objects.get(user=user).is_vouched
        secret = base64.b32encode(device.bin_key).decode()
        call_command("org_bootstrap_supervisor", "fresh", "named", "--code", code_from(secret))
        membership = Membership.objects.get(user=user)
        assert (membership.role, membership.supervises_all_teams, membership.is_vouched) == ("supervisor", True, True)

    def test_pages_cannot_make_the_first_one(self, db):
        org = make_org("fresh")
        admin = make_user(org, Role.ADMIN, username="fresh-admin")
        client = signed_in_client(admin)
        password = admin_creates(client, "first", Role.SUPERVISOR, supervises_all_teams="on")
        assert password
        assert not access.pending_for(Membership.objects.get(user__username="first").user)
        assert Membership.objects.get(user__username="first").role == Role.CASEWORKER


def test_someone_nobody_vouched_for_opens_no_case_either(admin_client, world):
    password = admin_creates(admin_client, "puppet1", Role.CASEWORKER, teams=[world.team_a.pk])
    puppet = take_over("puppet1", password)
    assert puppet.get(reverse("cases:new")).status_code == 404
    with pytest.raises(PermissionDenied):
        access.case_open(by=User.objects.get(username="puppet1"), team=world.team_a)
    assert signed_in_client(world.lead).get(reverse("cases:new")).status_code == 200
