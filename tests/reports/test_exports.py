"""Downloads of a report and the donor report: a reason asked, an export recorded, small
counts hidden as on the page, and nothing that names anyone (the organisation included,
unless it chooses)."""

from pathlib import Path

import pytest
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.cases.models import Case
from casework.reports.periods import last_ended_quarter
from casework.reports.suppress import recoverable
from tests.factories import make_contact
from tests.reports.conftest import csv_tables, page_tables, period_query, report_url

REASON = "Quarterly review for the board"


def _entries(user, event):
    return list(AuditEntry.objects.filter(actor=user, event=event).order_by("seq"))


def test_viewing_a_report_is_audited_with_its_period_and_scope(client, world, seeded, sign_in):
    sign_in(client, world.supervisor)
    client.get(report_url())
    (entry,) = _entries(world.supervisor, "report.view")
    quarter = last_ended_quarter()
    assert (
        entry.additional_data["from"] == f"{quarter.start:%Y-%m}"
        and entry.additional_data["to"] == f"{quarter.end:%Y-%m}"
    )
    assert entry.additional_data["scope"] == "teams" and entry.additional_data["teams"] == [world.team_a.pk]
    assert entry.organisation_id == world.org.pk and entry.case_code == ""
    sign_in(client, world.reporter)
    client.get(report_url())
    assert _entries(world.reporter, "report.view")[0].additional_data["scope"] == "organisation"


@pytest.mark.parametrize("url", ["reports:csv", "chart"])
def test_a_download_asks_a_reason_and_is_audited_as_an_export(client, world, seeded, sign_in, url):
    sign_in(client, world.reporter)
    address = reverse("reports:csv") if url == "reports:csv" else reverse("reports:chart", args=["stages"])
    form = client.get(f"{address}?{period_query()}")
    assert form.status_code == 200 and b'name="reason"' in form.content
    refused = client.post(f"{address}?{period_query()}", {"reason": ""})
    assert refused.status_code == 400 and not _entries(world.reporter, "export.report_csv")
    response = client.post(f"{address}?{period_query()}", {"reason": REASON})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    (entry,) = _entries(world.reporter, "export.report_csv")
    assert entry.reason == REASON and entry.additional_data["format"] in ("csv", "svg")


@pytest.mark.parametrize("query", ["quarter=2099-Q1", "from=2000-01&to=2000-02"])
def test_a_download_of_a_running_quarter_or_of_months_is_refused_and_not_recorded(client, world, sign_in, query):
    sign_in(client, world.reporter)
    response = client.post(f"{reverse('reports:csv')}?{query}", {"reason": REASON})
    assert response.status_code == 400 and not _entries(world.reporter, "export.report_csv")


def _donor(client, **fields):
    data = {"quarter": last_ended_quarter().key, "form": "page"}
    return client.post(reverse("reports:donor"), {**data, "reason": REASON, **fields})


def test_the_donor_report_names_no_organisation_unless_asked(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    assert b'type="checkbox" name="named"' in client.get(reverse("reports:donor")).content  # offered, unticked
    assert b"checked" not in client.get(reverse("reports:donor")).content.split(b'name="named"')[1][:40]
    for form in ("page", "csv"):
        content = _donor(client, form=form).content.decode()
        assert world.org.name not in content and world.org.slug not in content
        assert world.org.name.lower() not in content.lower()
        assert "Team-A" not in content and "Team 1" in content  # teams numbered, not named
    named = _donor(client, form="page", named="on").content.decode()
    assert world.org.name in named
    entries = _entries(world.reporter, "export.donor")
    assert [entry.additional_data["named"] for entry in entries] == [False, False, True]
    assert {entry.reason for entry in entries} == {REASON}


def test_the_donor_report_hides_the_same_small_counts(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    page = page_tables(_donor(client).content.decode())
    sheet = csv_tables(_donor(client, form="csv").content.decode())
    assert set(page["regions"]["rows"]["Jilin"]) == {None}
    assert set(sheet["Journey stages reached, by region"]["rows"]["Jilin"]) == {None}
    report = page_tables(client.get(report_url()).content.decode())
    assert [table["grid"] for table in page.values()] == [table["grid"] for table in report.values()]
    for table in [*page.values(), *sheet.values()]:
        assert recoverable(table["grid"]) == {}


def test_the_donor_report_needs_a_reason(client, world, sign_in):
    sign_in(client, world.reporter)
    assert _donor(client, reason="").status_code == 400
    assert not _entries(world.reporter, "export.donor")


def test_the_donor_page_is_printable_without_a_script(client, world, seeded, sign_in):
    sign_in(client, world.reporter)
    page = _donor(client).content.decode()
    assert "<script>" not in page and "style=" not in page
    assert "@media print" in (Path(__file__).resolve().parents[2] / "static/css/casework.css").read_text()


CANARY = "canary-report-Kim-Sun-hee"


def test_canaries_of_free_text_and_identity_appear_nowhere(client, world, seeded, sign_in):
    case = seeded[0]
    make_contact(case, world.lead, notes=f"Met {CANARY}", place=CANARY)
    case.summary = CANARY
    case.save()
    sign_in(client, world.reporter)
    outputs = [client.get(report_url()).content.decode()]
    outputs.append(client.post(f"{reverse('reports:csv')}?{period_query()}", {"reason": REASON}).content.decode())
    for section in ("regions", "stages", "follow_ups"):
        address = f"{reverse('reports:chart', args=[section])}?{period_query()}"
        outputs.append(client.post(address, {"reason": REASON}).content.decode())
    outputs += [_donor(client).content.decode(), _donor(client, form="csv").content.decode()]
    codes = [c.code for c in Case.objects.all()] + [c.display_code for c in Case.objects.all()]
    for output in outputs:
        assert CANARY.lower() not in output.lower()
        assert not [code for code in codes if code in output]
        assert world.lead.username not in output
    # The scanner is not blind: the canary is stored (sealed) and read back through the case.
    assert Case.objects.get(pk=case.pk).summary == CANARY
