"""The reporting role: the organisation's reports, aggregates only, and no case page at all."""

from django.urls import reverse

from casework.access.models import Role
from casework.cases.models import Case
from tests.access.test_separation import case_routes
from tests.accounts.test_csrf import records  # noqa: F401  (a fixture)
from tests.factories import make_user
from tests.reports.conftest import page_tables, report_url, seed


def test_the_reporting_role_gets_404_on_every_case_url_whatever_the_method(client, world, records, sign_in):  # noqa: F811
    sign_in(client, world.reporter)
    urls = case_routes(records)
    assert reverse("cases:list") in urls and reverse("cases:detail", args=[world.case.display_code]) in urls
    answers = {url: (client.get(url).status_code, client.post(url, {"reason": "x"}).status_code) for url in urls}
    assert {url: answer for url, answer in answers.items() if answer not in {(404, 404), (405, 404)}} == {}
    assert sum(answer == (404, 404) for answer in answers.values()) > 20


def test_restrict_gives_the_reporting_role_no_case(world):
    assert not Case.objects.restrict(world.reporter, "view").exists()


def test_her_home_page_is_plain_with_a_link_to_the_reports(client, world, sign_in):
    sign_in(client, world.reporter)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("reports:report")}"' in page
    assert f'href="{reverse("cases:list")}"' not in page and f'href="{reverse("cases:new")}"' not in page
    assert world.case.display_code not in page and world.other_case.display_code not in page


def test_she_sees_the_whole_organisation_and_nothing_of_another(client, world, sign_in):
    sign_in(client, world.reporter)
    seed(world, cases=3, region_pair=False)
    seed(world, lead=world.other_team_worker, cases=3, region_pair=False)
    before = page_tables(client.get(report_url()).content.decode())
    assert list(before["follow_ups"]["rows"]) == ["Team-A", "Team-B", "Total"]  # both teams, never Team-X
    assert before["stages"]["rows"]["Rescued, in hiding"][-1] == 5  # three and three: 6 shown together, rounded
    seed(world, lead=world.outsider, cases=9)  # the other organisation, a lot
    assert page_tables(client.get(report_url()).content.decode()) == before


def test_until_a_supervisor_vouches_she_sees_no_report(client, world, sign_in):
    unvouched = make_user(world.org, Role.REPORTING, username="new-reporter", vouched=False)
    sign_in(client, unvouched)
    assert client.get(reverse("reports:report")).status_code == 404
    page = client.get(reverse("home")).content.decode()
    assert "vouched" in page and f'href="{reverse("reports:report")}"' not in page


def test_an_unvouched_supervisor_sees_no_report_either(client, world, sign_in):
    unvouched = make_user(world.org, Role.SUPERVISOR, supervises=[world.team_a], username="new-sup", vouched=False)
    sign_in(client, unvouched)
    assert client.get(reverse("reports:report")).status_code == 404


def test_she_reaches_no_page_but_her_home_the_reports_and_her_own_account(client, world, records, sign_in):  # noqa: F811
    """Least privilege: the provider directory and the partner pages (partners' names and
    secure channels, packets) are no business of a role that reads counts."""
    sign_in(client, world.reporter)
    for url in (reverse("providers:list"), reverse("partners:home"), reverse("access:cases"), reverse("audit:trail")):
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("reports:report")).content.decode()
    for link in (reverse("providers:list"), reverse("partners:home"), reverse("cases:list")):
        assert f'href="{link}"' not in page, link
    # A supervisor still has both.
    sign_in(client, world.supervisor)
    assert client.get(reverse("providers:list")).status_code == 200
    assert client.get(reverse("partners:home")).status_code == 200
