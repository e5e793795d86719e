"""Whoever stands over her clicks around: every page the menu and her home page offer must
answer a duress sign-in as it answers an ordinary account with nothing in it.

tests/accounts/test_safety.py compares four pages (home, the case list, security, safety).
The navigation stays the same under duress on purpose (casework.context_processors), so the
pages it leads to must open too: a "Not found" where an ordinary empty account gets a page,
one click on "New case", "Audit" or "Reports", would tell the captor this account is not
ordinary. They open with nothing in them (no trail, no flag, nothing waiting, nothing in
the inbox), and whatever she sends from them is refused as an outage would refuse it
(test_account_protection_writes).
"""

import re
import uuid

import pytest
from django.urls import reverse

from casework.access.models import Membership
from casework.accounts import protection
from casework.audit import review
from tests.accounts.test_safety import DURESS_PASSWORD, same_shape, through_pages
from tests.factories import (
    make_admin,
    make_caseworker,
    make_org,
    make_partnership,
    make_provider,
    make_supervisor,
    make_team,
    make_user,
)
from tests.reports.conftest import page_tables


def statuses(client, pages):
    return {page: client.get(reverse(page)).status_code for page in pages}


def offered(client, pages):
    """The pages among ``pages`` that her menu or home page link to."""
    text = client.get(reverse("home")).content.decode()
    return [page for page in pages if f'href="{reverse(page)}' in text]


def test_new_case_answers_a_duress_caseworker_as_it_answers_an_empty_one(world):
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_caseworker(world.org, world.team_a, username="emptyacc"))
    duress, _steps = through_pages(world.lead, password=DURESS_PASSWORD)
    pages = ["cases:new", "exchange:home"]
    assert offered(duress, pages) == offered(baseline, pages) == ["cases:new"]  # the "New case" button
    assert statuses(duress, pages) == statuses(baseline, pages)
    for page in pages:  # not only the same status: the same page
        same_shape(duress.get(reverse(page)), baseline.get(reverse(page)))


SUPERVISOR_PAGES = [
    "cases:new",
    "cases:export",
    "audit:trail",
    "audit:flags",
    "audit:export",
    "reports:report",
    "reports:donor",
    "retention:rules",
    "retention:organisation",
    "access:cases",
    "access:confirmations",
    "partners:home",
    "partners:settings",
    "partners:approvals",
    "partners:inbox",
    "exchange:home",
    "exchange:import",
]
# Pages whose content depends on nothing of her team (its name, its people): the same bytes.
# (Not the case directory: its filters name the organisation's teams and people, and under
# duress they name nobody: test_a_supervisors_case_directory_under_duress_names_no_colleague.
# Nor the flags: the ordinary supervisor is told of the other's duress sign-in; hers are
# empty: test_her_trail_under_duress_is_empty_and_her_flags_raise_nothing.)
SAME_BYTES = [
    "cases:export",
    "retention:rules",
    "retention:organisation",
    "access:confirmations",
    "partners:home",
    "partners:approvals",
    "partners:inbox",
    "exchange:home",
    "exchange:import",
]


@pytest.fixture
def supervisors(world):
    """An ordinary supervisor of a team with nothing in it, and a supervisor of a team with
    cases, trail and flags, signed in with her duress password."""
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_supervisor(world.org, make_team(world.org, "team-c"), username="emptysup"))
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    return baseline, duress


def test_a_supervisors_menu_leads_under_duress_where_it_leads_an_empty_supervisor(world, supervisors):
    baseline, duress = supervisors
    links = ["audit:trail", "reports:report", "cases:new"]
    assert offered(duress, links) == offered(baseline, links) == links  # the menu and "New case" say so
    assert statuses(duress, SUPERVISOR_PAGES) == statuses(baseline, SUPERVISOR_PAGES)
    assert set(statuses(baseline, SUPERVISOR_PAGES).values()) == {200}
    for page in SAME_BYTES:
        same_shape(duress.get(reverse(page)), baseline.get(reverse(page)))


def test_her_trail_under_duress_is_empty_and_her_flags_raise_nothing(world, supervisors):
    _baseline, duress = supervisors
    # Her team's trail is not empty: the other case was opened and read in team B, and
    # she signed in under duress, which her fellow supervisors see (not she).
    client, _steps = through_pages(world.other_team_worker)
    assert client.get(reverse("cases:detail", args=[world.other_case.display_code])).status_code == 200
    assert review.entries_for(world.head).filter(event="account.duress").exists()
    listed = duress.get(f"{reverse('audit:trail')}?list=1")
    assert listed.status_code == 200 and listed.context["entries"] == []
    week = duress.get(reverse("audit:trail"))
    assert week.status_code == 200 and not week.context["sensitive"] and not week.context["people"]
    assert week.context["mark"] is None
    exported = duress.get(reverse("audit:export"))
    assert exported.status_code == 200 and exported.content.decode().strip().count("\n") == 0  # the header row
    assert duress.get(reverse("audit:flags")).context["flags"] == []
    for response in (listed, week, exported):
        assert world.other_case.display_code not in response.content.decode()
    assert "account.duress" not in exported.content.decode()
    # A person's or a case's trail: the same 404 as for any supervisor outside her teams.
    assert duress.get(reverse("audit:user", args=[world.other_team_worker.username])).status_code == 404
    assert duress.get(reverse("audit:case", args=[world.other_case.display_code])).status_code == 404
    # The comparison can fail: the same supervisor, signed in as on any day (after a supervisor
    # unfreezes her), reads her team's trail.
    protection.account_unfreeze(by=world.head, user=world.other_supervisor, reason="She is safe")
    ordinary, _steps = through_pages(world.other_supervisor)
    assert world.other_case.display_code in ordinary.get(f"{reverse('audit:trail')}?list=1").content.decode()


def test_the_reports_answer_a_duress_reporter_as_they_answer_any_reporter(world):
    protection.duress_password_set(user=world.reporter, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_user(world.org, "reporting", username="emptyrep"))
    duress, _steps = through_pages(world.reporter, password=DURESS_PASSWORD)
    links = ["reports:report"]
    assert offered(duress, links) == offered(baseline, links) == links  # "Go to the reports"
    assert statuses(duress, links) == statuses(baseline, links)
    # It opens as on any day and counts nothing: every count reads "fewer than 5".
    tables = page_tables(duress.get(reverse("reports:report")).content.decode())
    assert len(tables) == 11 and all(value is None for t in tables.values() for row in t["grid"] for value in row)


def test_nobody_waits_for_a_supervisor_under_duress(world):
    """Someone new in her team waits for a supervisor to vouch for her. Under duress her home
    page and her confirmations say nothing waits, as for a supervisor whose team has nobody
    new: a name on them would hand whoever stands over her a colleague, and vouching (a
    change) would be refused anyway. A captor who knew someone waits would see the
    difference; that is the price of naming nobody."""
    make_caseworker(world.org, world.team_b, username="newcomer", vouched=False)
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_supervisor(world.org, make_team(world.org, "team-c"), username="emptysup"))
    # Before: she is told, on her home page and on her confirmations.
    ordinary, _steps = through_pages(world.other_supervisor)
    assert offered(ordinary, ["access:confirmations"]) == ["access:confirmations"]
    assert "newcomer" in ordinary.get(reverse("access:confirmations")).content.decode()
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    assert offered(duress, ["access:confirmations"]) == offered(baseline, ["access:confirmations"]) == []
    same_shape(duress.get(reverse("access:confirmations")), baseline.get(reverse("access:confirmations")))
    for page in ("home", "access:confirmations"):
        assert "newcomer" not in duress.get(reverse(page)).content.decode()


def test_the_organisations_directories_are_empty_under_duress(world):
    """Who helps survivors, where, and on which secure channel (the provider directory), and
    which organisations hers works with (the partner directory), are for nobody standing over
    her: under duress both read as directories nobody has filled in, and a provider's page is
    the 404 of an id that does not exist."""
    provider = make_provider(world.org, name="Riverside shelter")
    provider.secure_channel = "signal:+86-canary-channel"
    provider.save()
    partner_org = make_org("org-partner")
    partner_team = make_team(partner_org, "team-p")
    make_partnership(
        world.admin,
        world.supervisor,
        make_admin(partner_org, username="partner_admin"),
        make_supervisor(partner_org, partner_team, username="partner_supervisor"),
    )
    detail = reverse("providers:detail", args=[provider.uid])
    pages = [reverse("providers:list"), detail, reverse("partners:home"), reverse("exchange:home")]
    # The comparison can fail: on any day she sees both.
    ordinary, _steps = through_pages(world.lead)
    seen = "".join(ordinary.get(page).content.decode() for page in pages)
    assert "Riverside shelter" in seen and "canary-channel" in seen and "Org-Partner" in seen
    protection.duress_password_set(user=world.lead, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.lead, password=DURESS_PASSWORD)
    shown = "".join(duress.get(page).content.decode() for page in pages if page != detail)
    assert "Riverside shelter" not in shown and "canary-channel" not in shown and "Org-Partner" not in shown
    missing = reverse("providers:detail", args=[uuid.uuid4()])
    same_shape(duress.get(detail), duress.get(missing))
    assert duress.get(detail).status_code == 404


def test_an_administrator_under_duress_finds_nobody_but_herself(world):
    """Rescuer identities are what a state agent with a seized login is after: under duress
    an administrator's People list holds herself alone, there are no teams and no case in the
    access directory, and a colleague's page is the 404 of a name that does not exist."""
    pages = [reverse("access:users"), reverse("access:teams"), reverse("access:cases")]
    colleague = reverse("access:user", args=["lead"])
    team = reverse("access:team", args=[world.team_a.slug])
    # The comparison can fail: on any day she sees them all.
    ordinary, _steps = through_pages(world.admin)
    seen = "".join(ordinary.get(page).content.decode() for page in pages)
    assert all(name in seen for name in ("lead", "coworker", "Team-A", world.case.display_code))
    assert ordinary.get(colleague).status_code == ordinary.get(team).status_code == 200
    protection.duress_password_set(user=world.admin, password=DURESS_PASSWORD)
    duress, _steps = through_pages(world.admin, password=DURESS_PASSWORD)
    assert [duress.get(page).status_code for page in pages] == [200, 200, 200]
    shown = "".join(duress.get(page).content.decode() for page in pages)
    assert not any(name in shown for name in ("lead", "coworker", "Team-A", "Team-B", world.case.display_code))
    assert "admin" in duress.get(reverse("access:users")).content.decode()  # herself
    same_shape(duress.get(colleague), duress.get(reverse("access:user", args=["nobody-of-that-name"])))
    same_shape(duress.get(team), duress.get(reverse("access:team", args=["no-such-team"])))
    assert duress.get(colleague).status_code == 404


def test_a_supervisors_case_directory_under_duress_names_no_colleague(world, supervisors):
    baseline, duress = supervisors
    page = reverse("access:cases")
    assert "other_team_worker" in baseline.get(page).content.decode()  # the filter lists the people
    text = duress.get(page).content.decode()
    assert duress.get(page).status_code == 200
    assert not any(name in text for name in ("other_team_worker", "lead", "Team-B", world.other_case.display_code))


def test_a_supervisors_forms_under_duress_name_no_caseworker(world, supervisors):
    """ "New case" offers a supervisor her caseworkers as leads, and the partner settings list
    who works the intake: under duress, nobody."""
    _baseline, duress = supervisors
    usernames = Membership.objects.filter(organisation=world.org, role="caseworker").values_list("user__username")
    named = re.compile(rf">\s*(?:{'|'.join(re.escape(name) for (name,) in usernames)})\s*</(?:option|label)>")
    pages = [reverse("cases:new"), reverse("partners:settings")]
    ordinary, _steps = through_pages(world.supervisor)  # can fail: on any day they are named
    assert all(named.search(ordinary.get(page).content.decode()) for page in pages)
    for page in pages:
        response = duress.get(page)
        assert response.status_code == 200
        assert not named.search(response.content.decode()), page
