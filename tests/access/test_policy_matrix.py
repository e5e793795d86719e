"""The access policy table of DESIGN.md, cell by cell, against the one door: ``Case.objects.restrict``.

The expected answers are written out by hand below, not derived from the code under test,
so that a change in ``restrict()`` or in the services that write permission rows shows up
here as a cell that no longer matches the policy.
"""

import re
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casework.access import services as access
from casework.access.models import AccessRequest
from casework.accounts import protection
from casework.cases import codes
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case
from casework.partners import services as partners
from tests.factories import (
    make_admin,
    make_case,
    make_caseworker,
    make_org,
    make_partnership,
    make_referral,
    make_supervisor,
    make_team,
)
from tests.personas import PROTECTED, fresh, person

ACTIONS = ("view", "change", "reveal", "manage")
DURESS_PASSWORD = "a grey heron waits by the ford"
CASES = ("case", "other_case", "foreign_case")

# Who may do what, as DESIGN.md's access policy table says it for the `world` personas.
# world.case is in team A (lead: lead; co-worker: coworker; grants: viewer, editor, revealer);
# other_case is in team B (lead: other_team_worker); foreign_case is in the other organisation
# (lead: outsider). "-" means nothing at all, which the case page answers with a 404.
POLICY = """
persona           | case (team A)             | other_case (team B)       | foreign_case (org B)
lead              | view change reveal        | -                         | -
coworker          | view change               | -                         | -
teammate          | -                         | -                         | -
other_team_worker | -                         | view change reveal        | -
viewer            | view                      | -                         | -
editor            | view change               | -                         | -
revealer          | view reveal               | -                         | -
supervisor        | view change reveal manage | -                         | -
other_supervisor  | -                         | view change reveal manage | -
head              | view change reveal manage | view change reveal manage | -
admin             | -                         | -                         | -
other_admin       | -                         | -                         | -
outsider          | -                         | -                         | view change reveal
deactivated       | -                         | -                         | -
reactivated       | view change               | -                         | -
offboarded        | -                         | -                         | -
expired_grantee   | -                         | -                         | -
moved             | view change               | -                         | -
moved_and_unassigned | -                      | -                         | -
demoted           | -                         | -                         | -
superuser         | -                         | -                         | -
global_viewer     | -                         | -                         | -
reporter          | -                         | -                         | -
partner_supervisor | -                        | -                         | -
partner_intake    | -                         | -                         | -
partner_admin     | -                         | -                         | -
frozen            | -                         | -                         | -
travelling        | -                         | -                         | -
duress            | -                         | -                         | -
anonymous         | -                         | -                         | -
"""
# The personas below the first table's own need a change of circumstances (see `matrix_world`):
# reactivated: a co-worker on case, deactivated and switched back on; offboarded: a co-worker
# and a reveal grantee on case, then "this person left"; expired_grantee: an edit grant on case
# whose expiry has passed; moved: a co-worker on case moved from team A to team B;
# moved_and_unassigned: the same, with the administrator choosing to take her off team A's
# cases; demoted: the supervisor of team A made a caseworker; other_admin: an administrator
# of the other organisation; partner_*: the supervisor, an intake caseworker and the
# administrator of a partner organisation that accepted a packet of case (into a case of
# its own, which the intake caseworker leads): a partner's people see nothing of the
# sender's cases, ever. frozen, travelling, duress (tests.personas.PROTECTED): co-workers on
# case with a reveal grant, then frozen by a supervisor, in travel mode, or signed in with
# the duress password: nothing, whatever their rows say, until a supervisor lifts it.


def _parse(table):
    rows = [line.split("|") for line in table.strip().splitlines()[1:]]
    return {
        cells[0].strip(): {name: set(cell.split()) - {"-"} for name, cell in zip(CASES, cells[1:], strict=True)}
        for cells in rows
    }


EXPECTED = _parse(POLICY)
PERSONAS = tuple(EXPECTED)
assert all(set(actions) <= set(ACTIONS) for row in EXPECTED.values() for actions in row.values()), "typo in POLICY"


def the_case(world, foreign_case, case_name):
    return foreign_case if case_name == "foreign_case" else getattr(world, case_name)


def may(user, action, case):
    return Case.objects.restrict(user, action).filter(pk=case.pk).exists()


def actions_on(user, case):
    return {action for action in ACTIONS if may(user, action, case)}


@contextmanager
def clock_at(moment):
    # restrict() and the services read django.utils.timezone.now() at call time.
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# The matrix ---------------------------------------------------------------------------

GRANT_EXPIRES_IN = timedelta(hours=8)


@pytest.fixture
def matrix_world(world, foreign_case):
    """``world`` and the personas of the table that need something to have happened first.
    Returns the moment at which the table holds (after the expired grant's end)."""
    admin = world.admin
    world.other_admin = make_admin(world.other_org, username="other_admin")
    for name in ("reactivated", "offboarded", "moved", "moved_and_unassigned"):
        person = make_caseworker(world.org, world.team_a, username=name)
        access.case_assign(by=world.supervisor, case=world.case, user=person, role=AssignmentRole.COWORKER)
        setattr(world, name, person)
    access.membership_deactivate(by=admin, membership=world.reactivated.membership, reason="On leave")
    access.membership_reactivate(by=admin, membership=world.reactivated.membership, reason="Back")
    access.grant_add(by=admin, case=world.case, user=world.offboarded, level="reveal", reason="Family tracing")
    access.person_offboard(by=admin, membership=world.offboarded.membership, reason="Left the organisation")
    for name, unassign in (("moved", False), ("moved_and_unassigned", True)):
        membership = getattr(world, name).membership
        access.team_member_move(
            by=admin, membership=membership, from_team=world.team_a, to_team=world.team_b, unassign=unassign
        )
    world.expired_grantee = make_caseworker(world.org, world.team_b, username="expired_grantee")
    access.grant_add(
        by=admin,
        case=world.case,
        user=world.expired_grantee,
        level="edit",
        reason="One night's cover",
        expires=timezone.now() + GRANT_EXPIRES_IN,
    )
    world.demoted = make_supervisor(world.org, world.team_a, username="demoted")
    access.membership_set_role(by=admin, membership=world.demoted.membership, role="caseworker")
    _partner_accepts_a_packet_of_case(world)
    _protected_personas(world)
    for name, value in list(vars(world).items()):
        if isinstance(value, User):
            setattr(world, name, fresh(value))
    return timezone.now() + GRANT_EXPIRES_IN + timedelta(minutes=1)


def _protected_personas(world):
    for name in PROTECTED:
        person = make_caseworker(world.org, world.team_a, username=name)
        access.case_assign(by=world.supervisor, case=world.case, user=person, role=AssignmentRole.COWORKER)
        access.grant_add(by=world.supervisor, case=world.case, user=person, level="reveal", reason="Family tracing")
        setattr(world, name, person)
    protection.account_freeze(by=world.supervisor, user=world.frozen, reason="Phone taken")
    until = timezone.localdate() + timedelta(days=5)
    protection.travel_start(by=world.travelling, user=world.travelling, until=until)
    protection.duress_password_set(user=world.duress, password=DURESS_PASSWORD)
    signing_in = Client().post(reverse("login"), {"username": "duress", "password": DURESS_PASSWORD})
    assert signing_in.status_code == 302


def _partner_accepts_a_packet_of_case(world):
    partner_org = make_org("org-partner")
    partner_team = make_team(partner_org, "team-p")
    world.partner_supervisor = make_supervisor(partner_org, partner_team, username="partner_supervisor")
    world.partner_intake = make_caseworker(partner_org, partner_team, username="partner_intake")
    world.partner_admin = make_admin(partner_org, username="partner_admin")
    make_partnership(world.admin, world.supervisor, world.partner_admin, world.partner_supervisor)
    partners.intake_name(by=world.partner_supervisor, member=world.partner_intake.membership, receives=True)
    referral = make_referral(
        world.case,
        world.lead,
        partner=partner_org,
        consent_given_by="survivor",
        consent_given_on=timezone.localdate(),
        consent_method="written",
        consent_scope=["needs", "age_band"],
        consent_recipient=partner_org.name,
    )
    packet = partners.packet_build(by=world.lead, referral=referral, categories=["needs", "age_band"])
    partners.packet_approve(by=world.supervisor, packet=packet)
    partners.packet_accept(by=world.partner_intake, packet=packet, team=partner_team)


def test_restrict_answers_as_the_policy_table_says(world, foreign_case, matrix_world):
    # One world for the whole table (building it per cell took most of the suite's time);
    # a failure lists every cell that differs, not just the first.
    with clock_at(matrix_world):
        actual = {
            persona: {
                case_name: actions_on(person(world, persona), the_case(world, foreign_case, case_name))
                for case_name in CASES
            }
            for persona in PERSONAS
        }
    differing = [
        f"{persona} on {case_name}: policy {sorted(EXPECTED[persona][case_name])}, "
        f"got {sorted(actual[persona][case_name])}"
        for persona in PERSONAS
        for case_name in CASES
        if actual[persona][case_name] != EXPECTED[persona][case_name]
    ]
    assert not differing, "\n".join(differing)


def test_the_matrix_test_sees_a_cell_that_differs(world, foreign_case):
    # The comparison above is only as good as actions_on(): one granted cell must show up.
    assert actions_on(world.teammate, world.case) == set()
    access.grant_add(by=world.admin, case=world.case, user=world.teammate, level="view", reason="Cover")
    assert actions_on(fresh(world.teammate), world.case) == {"view"} != EXPECTED["teammate"]["case"]


# The same policy through HTTP: a case page is there for whoever may view it, a 404 for everyone else.

_CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def _without_csrf_token(content):
    # The masked CSRF token is different in every response by design (BREACH); nothing else may differ.
    return _CSRF_TOKEN.sub(b'name="csrfmiddlewaretoken" value=""', content)


def _unused_case_url():
    code = codes.generate()
    assert not Case.objects.filter(code=code).exists()
    return reverse("cases:detail", args=[codes.display(code)])


# A deactivated account is no longer signed in at all (Django's ModelBackend refuses inactive
# users), so her old session is sent to the login page like an anonymous visitor.
SIGNED_OUT = {"anonymous", "deactivated", "offboarded"}
SIGNED_IN = [persona for persona in PERSONAS if persona not in SIGNED_OUT]


def test_the_case_page_is_shown_only_to_those_who_may_view_it(client, world, matrix_world, sign_in):
    url = reverse("cases:detail", args=[world.case.display_code])
    with clock_at(matrix_world):
        statuses = {}
        for persona in SIGNED_IN:
            sign_in(client, getattr(world, persona))
            statuses[persona] = client.get(url).status_code
    assert statuses == {persona: 200 if "view" in EXPECTED[persona]["case"] else 404 for persona in SIGNED_IN}


def test_a_deactivated_persons_session_is_sent_to_the_login_page(client, world, sign_in):
    sign_in(client, world.deactivated)
    url = reverse("cases:detail", args=[world.case.display_code])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_the_case_page_sends_anonymous_visitors_to_the_login_page(client, world):
    url = reverse("cases:detail", args=[world.case.display_code])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_a_case_that_is_not_yours_looks_exactly_like_one_that_does_not_exist(client, world, matrix_world, sign_in):
    # Anything that differs (status, wording, length, a header) would tell a curious insider
    # or a stolen login that a case exists under that code.
    outside = [persona for persona in SIGNED_IN if not EXPECTED[persona]["case"]]
    assert {"admin", "other_admin", "expired_grantee", "moved_and_unassigned", "demoted"} <= set(outside)
    with clock_at(matrix_world):
        for persona in outside:
            sign_in(client, getattr(world, persona))
            forbidden = client.get(reverse("cases:detail", args=[world.case.display_code]))
            missing = client.get(_unused_case_url())
            assert forbidden.status_code == missing.status_code == 404, persona
            assert _without_csrf_token(forbidden.content) == _without_csrf_token(missing.content), persona
            assert dict(forbidden.headers) == dict(missing.headers), persona


def test_signed_out_personas_are_sent_to_the_login_page(client, world, matrix_world, sign_in):
    url = reverse("cases:detail", args=[world.case.display_code])
    for persona in SIGNED_OUT - {"anonymous"}:
        sign_in(client, getattr(world, persona))
        response = client.get(url)
        assert (response.status_code, response.url) == (302, f"{reverse('login')}?next={url}"), persona


# Personas the table needs a change of circumstances for --------------------------------


def test_a_grant_gives_access_until_it_expires(client, world, sign_in):
    now = timezone.now()
    access.grant_add(
        by=world.supervisor,
        case=world.case,
        user=world.teammate,
        level="reveal",
        reason="Covering a shift",
        expires=now + timedelta(hours=8),
    )
    with clock_at(now + timedelta(hours=7, minutes=59)):
        assert actions_on(world.teammate, world.case) == {"view", "reveal"}
    # Expiry is exclusive: at the stated moment the grant is already gone.
    for later in (timedelta(hours=8), timedelta(hours=9), timedelta(days=30)):
        with clock_at(now + later):
            assert actions_on(world.teammate, world.case) == set()
    with clock_at(now + timedelta(hours=9)):
        sign_in(client, world.teammate)
        assert client.get(reverse("cases:detail", args=[world.case.display_code])).status_code == 404


def test_a_revoked_grant_gives_nothing(world):
    grant = access.grant_add(
        by=world.supervisor, case=world.case, user=world.teammate, level="edit", reason="Covering a shift"
    )
    assert actions_on(world.teammate, world.case) == {"view", "change"}
    access.grant_remove(by=world.admin, grant=grant, reason="Shift over")
    assert actions_on(fresh(world.teammate), world.case) == set()


def test_revoking_one_grant_leaves_the_others_and_the_assignment(world):
    reveal = access.grant_add(
        by=world.supervisor, case=world.case, user=world.coworker, level="reveal", reason="Family tracing"
    )
    assert actions_on(world.coworker, world.case) == {"view", "change", "reveal"}
    access.grant_remove(by=world.supervisor, grant=reveal)
    assert actions_on(world.coworker, world.case) == {"view", "change"}


def test_a_caseworker_moved_to_another_team_keeps_her_cases_and_gains_none_of_the_new_team(world):
    new_teams_case = make_case(world.other_team_worker)
    access.membership_set_teams(by=world.admin, membership=world.lead.membership, teams=[world.team_b])
    lead = fresh(world.lead)
    # Assignment, not team membership, is what gives a caseworker access.
    assert actions_on(lead, world.case) == {"view", "change", "reveal"}
    assert actions_on(lead, world.other_case) == set()
    assert actions_on(lead, new_teams_case) == set()


def test_moving_a_case_to_another_team_moves_its_supervision(world):
    access.case_move_team(by=world.head, case=world.case, team=world.team_b, reason="Team B handles this region")
    assert actions_on(world.supervisor, world.case) == set()
    assert actions_on(world.other_supervisor, world.case) == {"view", "change", "reveal", "manage"}
    assert actions_on(world.head, world.case) == {"view", "change", "reveal", "manage"}
    # The people working the case keep it.
    assert actions_on(world.lead, world.case) == {"view", "change", "reveal"}
    assert actions_on(world.coworker, world.case) == {"view", "change"}
    assert actions_on(world.viewer, world.case) == {"view"}


def test_a_supervisor_who_stops_supervising_a_team_loses_its_cases(world):
    access.membership_set_teams(by=world.admin, membership=world.supervisor.membership, supervised_teams=[world.team_b])
    supervisor = fresh(world.supervisor)
    # Letting team A go takes effect at once; taking team B on waits for a supervisor of team B.
    assert actions_on(supervisor, world.case) == set()
    assert actions_on(supervisor, world.other_case) == set()
    (request,) = AccessRequest.objects.pending()
    access.request_confirm(by=world.other_supervisor, request=request)
    assert actions_on(fresh(world.supervisor), world.other_case) == {"view", "change", "reveal", "manage"}


def test_a_deactivated_membership_gives_nothing_even_if_the_login_is_switched_back_on(world):
    # An administrator could re-enable the account in the Django admin without restoring the
    # membership; the assignment rows are still there, so the membership check must hold the line.
    User.objects.filter(pk=world.deactivated.pk).update(is_active=True)
    deactivated = fresh(world.deactivated)
    assert deactivated.is_active
    assert actions_on(deactivated, world.case) == set()
    assert actions_on(deactivated, world.other_case) == set()


def test_a_switched_off_login_gives_nothing_even_while_the_membership_is_active(world):
    # The other way round: the Django account disabled, the membership and its rows untouched.
    User.objects.filter(pk__in=[world.lead.pk, world.supervisor.pk]).update(is_active=False)
    assert actions_on(fresh(world.lead), world.case) == set()
    assert actions_on(fresh(world.supervisor), world.case) == set()


def test_deactivating_a_supervisor_takes_away_her_teams_cases(world):
    access.membership_deactivate(by=world.admin, membership=world.head.membership, reason="Left")
    head = fresh(world.head)
    assert actions_on(head, world.case) == set()
    assert actions_on(head, world.other_case) == set()
