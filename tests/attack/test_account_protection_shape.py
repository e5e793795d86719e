"""Whoever stands over her clicks around: every page the menu and her home page offer must
answer a duress sign-in as it answers an ordinary account with nothing in it.

tests/accounts/test_safety.py compares four pages (home, the case list, security, safety).
The navigation stays the same under duress on purpose (casework.context_processors), but
the pages it leads to answer "Not found" where an ordinary empty account gets a page: one
click on "New case", "Audit" or "Reports" tells the captor this account is not ordinary.
"""

import pytest
from django.urls import reverse

from casework.accounts import protection
from tests.accounts.test_safety import DURESS_PASSWORD, same_shape, through_pages
from tests.factories import make_caseworker, make_supervisor, make_team, make_user
from tests.reports.conftest import page_tables

DESIGN = (
    "Design decision: what an emptied workspace shows on a supervisor's pages beyond the cases (the "
    "audit trail, flags, the audit export, retention rules, the partner inbox, confirmations, saving "
    "partner settings). Today they answer 404 (or 403) under duress while an ordinary empty supervisor "
    "gets a page; showing one means deciding what an empty trail contains and what a write through a "
    "frozen account does. Decided so far: the intake form shows and sending it answers as an outage "
    "does; a caseworker's exchange opens with nothing to carry; the reports open and count nothing."
)


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
    "audit:trail",
    "audit:flags",
    "audit:export",
    "reports:report",
    "reports:donor",
    "retention:rules",
    "access:confirmations",
    "partners:inbox",
    "exchange:home",
]


@pytest.mark.xfail(strict=True, reason=DESIGN)
def test_a_supervisors_menu_leads_under_duress_where_it_leads_an_empty_supervisor(world):
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_supervisor(world.org, make_team(world.org, "team-c"), username="emptysup"))
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    links = ["audit:trail", "reports:report", "cases:new"]
    assert offered(duress, links) == offered(baseline, links) == links  # the menu and "New case" say so
    assert statuses(duress, SUPERVISOR_PAGES) == statuses(baseline, SUPERVISOR_PAGES)


@pytest.mark.xfail(strict=True, reason=DESIGN)
def test_saving_partner_settings_answers_a_duress_supervisor_as_an_empty_one(world):
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_supervisor(world.org, make_team(world.org, "team-c"), username="emptysup"))
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    page = reverse("partners:settings")
    assert duress.get(page).status_code == baseline.get(page).status_code == 200  # the same form
    data = {"packets_need_approval": "on"}
    assert duress.post(page, data).status_code == baseline.post(page, data).status_code


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


@pytest.mark.xfail(strict=True, reason=DESIGN)
def test_a_supervisors_home_under_duress_shows_who_waits_for_her_as_an_empty_supervisors_does(world):
    # Someone new in her team waits for a supervisor to vouch for her; the same in the baseline's.
    make_caseworker(world.org, world.team_b, username="newcomer", vouched=False)
    team_c = make_team(world.org, "team-c")
    make_caseworker(world.org, team_c, username="newcomer2", vouched=False)
    protection.duress_password_set(user=world.other_supervisor, password=DURESS_PASSWORD)
    baseline, _steps = through_pages(make_supervisor(world.org, team_c, username="emptysup"))
    duress, _steps = through_pages(world.other_supervisor, password=DURESS_PASSWORD)
    links = ["access:confirmations"]
    assert offered(baseline, links) == links  # "Everything waiting for a supervisor"
    assert offered(duress, links) == offered(baseline, links)
