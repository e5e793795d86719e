"""Attack: the operator's bootstrap vouches for an account an administrator holds.

``org_bootstrap_supervisor ORG USERNAME`` on an existing username makes that account a
vouched supervisor of every team without asking whether someone other than its owner could
sign in with it: an account an administrator created on the People page still has the
temporary password she was shown, and no authenticator, so whoever enrols first owns it.
The README tells operators to run the command "once per organisation" after upgrading,
with the person the organisation names; the administrator names her own puppet (or simply
creates the account of the real supervisor-to-be a minute before the operator runs it).
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casework.access import services as access
from casework.access.models import Membership, Role
from tests.access.test_vouching import admin_creates, answers, listed_codes, take_over
from tests.factories import make_case, make_org, make_team, make_user
from tests.personas import signed_in_client as force_signed_in


@pytest.fixture
def fresh(db):
    """An organisation just upgraded: an administrator, a team, a vouched caseworker with a case, no supervisor."""
    org = make_org("fresh")
    team = make_team(org, "only")
    admin = make_user(org, Role.ADMIN, username="fresh-admin")
    worker = make_user(org, Role.CASEWORKER, teams=[team], username="fresh-worker")
    case = make_case(worker)
    return org, team, admin, case


def test_bootstrap_of_an_admin_created_account_hands_every_case_to_the_admin(fresh, capsys):
    _org, _team, admin, case = fresh
    password = admin_creates(force_signed_in(admin), "boss", Role.SUPERVISOR, supervises_all_teams="on")
    # The operator makes "boss" the first supervisor, as the README says to. Since the fix the
    # command refuses (the administrator's temporary password is still hers); before, it vouched.
    with pytest.raises(CommandError, match="temporary password"):
        call_command("org_bootstrap_supervisor", "fresh", "boss")
    assert "Temporary password" not in capsys.readouterr().out  # the operator never saw a password
    membership = Membership.objects.get(user__username="boss")
    assert membership.must_change_password  # the administrator's temporary password is still hers
    # Whoever holds that password (the administrator) enrols first and owns a vouched head supervisor.
    puppet = take_over("boss", password)
    assert answers(puppet, case) == [404, 404], (
        "the bootstrap vouched for an account whose temporary password and enrolment the administrator controlled"
    )
    assert listed_codes(puppet) == set()


def test_bootstrap_reopens_when_an_admin_deactivates_the_vouched_supervisor(fresh):
    """'Refused once the organisation has a vouched supervisor': an administrator can make
    that false at will (deactivate her, or reset her password), and ask again."""
    _org, _team, admin, _case = fresh
    call_command("org_bootstrap_supervisor", "fresh", "first")
    first = Membership.objects.get(user__username="first")
    access.membership_deactivate(by=admin, membership=first, reason="On leave")
    with pytest.raises(CommandError, match="already has a supervisor"):
        call_command("org_bootstrap_supervisor", "fresh", "second")
