"""The report through HTTP: what the page, the CSV and the charts show, and what they never do."""

import re

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.reports.periods import last_ended_quarter, quarter_of
from casework.reports.suppress import recoverable, recoverable_linked
from tests.reports.conftest import csv_tables, page_tables, period_query, report_url, seed

FEWER = "fewer than 5"


def _download(client, url, reason="Quarterly review"):
    return client.post(f"{url}?{period_query()}", {"reason": reason})


def _csv(client):
    response = _download(client, reverse("reports:csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return response.content.decode()


def _svg(client, section):
    response = _download(client, reverse("reports:chart", args=[section]))
    assert response.status_code == 200 and response["Content-Type"].startswith("image/svg+xml")
    return response.content.decode()


def test_a_region_of_two_cases_reads_fewer_than_5_on_the_page(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    tables = page_tables(client.get(report_url()).content.decode())
    jilin = tables["regions"]["rows"]["Jilin"]
    assert set(jilin) == {None}  # every cell of the row, and its total
    assert tables["regions"]["rows"]["Liaoning"][1] == 5  # the seven in hiding, shown (rounded)
    assert tables["regions"]["rows"]["Laos"][2] == 5


def test_the_same_region_reads_fewer_than_5_in_the_csv_and_the_chart(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    regions = csv_tables(_csv(client))["Journey stages reached, by region"]
    assert set(regions["rows"]["Jilin"]) == {None}
    assert regions["rows"]["Liaoning"][1] == 5
    drawing = _svg(client, "regions")
    jilin = re.search(r">Jilin</text>\s*<rect ([^>]*)/>\s*<text[^>]*>([^<]*)<", drawing)
    assert 'class="bar-suppressed"' in jilin.group(1) and "url(#regions-hatch)" in jilin.group(1)
    assert jilin.group(2) == FEWER
    liaoning = re.search(r">Liaoning</text>\s*<rect ([^>]*)/>\s*<text[^>]*>([^<]*)<", drawing)
    assert 'class="bar"' in liaoning.group(1) and liaoning.group(2) == "5"


def test_a_hidden_bar_is_drawn_the_same_whatever_the_count(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    widths = re.findall(r'class="bar-suppressed" x="220" y="\d+" width="(\d+)"', _svg(client, "regions"))
    assert len(widths) > 10 and len(set(widths)) == 1  # zero, two or four: one length


def test_no_total_on_the_page_or_in_the_csv_gives_a_hidden_count_back(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    page = page_tables(client.get(report_url()).content.decode())
    sheet = csv_tables(_csv(client))
    assert len(page) == len(sheet) == 11
    for name, table in [*page.items(), *sheet.items()]:
        assert recoverable(table["grid"]) == {}, name
        assert all(value is None or value >= 5 for row in table["grid"] for value in row), name
    assert any(value is not None for table in page.values() for row in table["grid"] for value in row)


def test_the_page_offers_ended_quarters_and_refuses_the_running_one_and_months(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    page = client.get(reverse("reports:report")).content.decode()
    assert "one calendar quarter that has ended" in page
    offered = re.findall(r'<option value="(\d{4}-Q[1-4])"', page)
    assert offered[0] == last_ended_quarter().key and len(offered) == len(set(offered)) > 100
    running = quarter_of(AuditEntry.objects.latest("seq").timestamp.date()).key
    assert running not in offered
    before = AuditEntry.objects.filter(event="report.view").count()
    for query in (f"quarter={running}", "quarter=2026-Q5", "quarter=1999-Q4", "quarter=x", "from=2025-01&to=2025-02"):
        response = client.get(f"{reverse('reports:report')}?{query}")
        assert response.status_code == 400 and b"<table" not in response.content, query
    assert "calendar quarters only" in response.content.decode()  # months: a word on why
    assert AuditEntry.objects.filter(event="report.view").count() == before  # nothing read


@pytest.mark.parametrize("name", ["reporter", "supervisor", "head"])
def test_who_may_read_reports_is_offered_them_and_gets_them(client, world, name, sign_in):
    sign_in(client, getattr(world, name))
    assert f'href="{reverse("reports:report")}"' in client.get(reverse("home")).content.decode()
    assert client.get(reverse("reports:report")).status_code == 200


@pytest.mark.parametrize("name", ["lead", "other_team_worker", "admin", "outsider", "viewer"])
def test_everyone_else_gets_the_page_that_does_not_exist(client, world, name, sign_in):
    sign_in(client, getattr(world, name))
    assert f'href="{reverse("reports:report")}"' not in client.get(reverse("home")).content.decode()
    for url in (
        reverse("reports:report"),
        reverse("reports:csv"),
        reverse("reports:donor"),
        reverse("reports:chart", args=["regions"]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(f"{url}?{period_query()}", {"reason": "x"}).status_code == 404


def test_signed_out_goes_to_sign_in(client):
    response = client.get(reverse("reports:report"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_unknown_chart_is_the_page_that_does_not_exist(client, world, sign_in):
    sign_in(client, world.reporter)
    assert client.get(reverse("reports:chart", args=["identity"])).status_code == 404
    assert client.get(reverse("reports:chart", args=["regions"])).status_code == 200


def _without_tokens(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a_supervisor_of_team_a_sees_nothing_of_team_b(client, world, seeded, sign_in):
    sign_in(client, world.supervisor)
    before = _without_tokens(client.get(report_url()).content.decode())
    csv_before = _csv(client)
    seed(world, lead=world.other_team_worker, cases=9)  # team B changes, a lot
    after = _without_tokens(client.get(report_url()).content.decode())
    assert after == before
    assert _csv(client) == csv_before
    assert "Team-B" not in after and "team-b" not in after.lower()
    # The head (every team) sees the change: the comparison above can fail.
    sign_in(client, world.head)
    assert (
        page_tables(client.get(report_url()).content.decode())["stages"]["rows"]["In transit (third country)"][-1] == 15
    )


def _linked_keys(name, table):
    """Keys for the tables that share totals, read from their labels: referrals by service
    (two tables total each service) and stages (by team, and by region: each stage's total)."""
    labels = list(table["rows"])
    width = len(table["grid"][0])
    keys = [[None] * width for _label in labels]
    if name in ("referrals", "referrals_teams"):
        for i, label in enumerate(labels):
            keys[i][-1] = ("referral_sent", label)
    if name == "stages":
        for i, label in enumerate(labels):
            keys[i][-1] = ("stage", label)
    if name == "regions":
        for j, label in enumerate(table["columns"]):
            keys[-1][j] = ("stage", label)
        keys[-1][-1] = ("stage", "Total")
    return keys


def test_tables_that_share_totals_give_nothing_away_together(client, world, seeded, sign_in):
    seed(world, cases=4, region_pair=False)  # more, so that some totals show and some hide
    sign_in(client, world.reporter)
    html = client.get(report_url()).content.decode()
    tables = page_tables(html)
    for name, table in tables.items():
        table["columns"] = re.findall(
            r'<th scope="col">([^<]*)</th>', html.split(f'id="{name}-table"')[1].split("</thead>")[0]
        )[1:-1]
    linked = [(tables[name]["grid"], _linked_keys(name, tables[name])) for name in tables]
    assert recoverable_linked(linked) == {}
    # The shared totals are hidden alike: each service's total in both referral tables.
    by_status, by_team = tables["referrals"]["rows"], tables["referrals_teams"]["rows"]
    assert [row[-1] is None for row in by_status.values()] == [row[-1] is None for row in by_team.values()]
