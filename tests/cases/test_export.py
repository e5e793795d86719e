import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.access import services as access
from casework.audit.models import AuditEntry
from casework.cases.services.export import COLUMNS, defuse
from tests.factories import make_case, make_caseworker, make_contact, make_need, make_referral, make_supervisor
from tests.signing import sign_in

URL = reverse("cases:export")
REASON = {"reason": "Quarterly report to the board"}
HEADER = [
    "code",
    "team",
    "status",
    "opened_on",
    "closed_on",
    "risk_level",
    "age_band",
    "gender",
    "nationality",
    "region",
    "exploitation_types",
    "intake_source",
    "follow_up_on",
    "needs_total",
    "needs_open",
    "referrals_total",
    "referrals_active",
    "contacts_total",
    "last_contact_on",
]
CONSENT = {"consent_given_by": "survivor", "consent_given_on": date(2024, 1, 2), "consent_method": "written"}


def export(client, user, data=REASON):
    sign_in(client, user)
    response = client.post(URL, data)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def rows_of(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def by_code(response):
    header, *rows = rows_of(response)
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def exports():
    return AuditEntry.objects.filter(event="export.csv")


def test_anonymous_is_sent_to_login(client, world):
    for response in (client.get(URL), client.post(URL, REASON)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["lead", "teammate", "admin", "outsider", "superuser", "global_viewer"])
def test_everyone_but_supervisors_gets_404(client, world, persona):
    sign_in(client, getattr(world, persona))
    assert client.get(URL).status_code == 404
    assert client.post(URL, REASON).status_code == 404
    assert not exports().exists()


def test_a_supervisor_gets_the_form(client, world):
    sign_in(client, world.supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="reason"' in page
    assert world.case.display_code not in page
    assert not exports().exists()


def test_a_supervisor_sees_the_link_on_the_case_list_and_a_caseworker_does_not(client, world):
    sign_in(client, world.supervisor)
    assert URL in client.get(reverse("cases:list")).content.decode()
    sign_in(client, world.lead)
    assert URL not in client.get(reverse("cases:list")).content.decode()


@pytest.mark.parametrize("data", [{"reason": ""}, {"reason": "   "}, {}])
def test_it_refuses_an_export_without_a_reason(client, world, data):
    sign_in(client, world.supervisor)
    response = client.post(URL, data)
    assert response.status_code == 400
    assert 'class="error-summary"' in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert not exports().exists()


def test_it_answers_a_csv_file_named_by_todays_date(client, world):
    response = export(client, world.supervisor)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    expected = f'attachment; filename="casework-cases-{timezone.localdate():%Y-%m-%d}.csv"'
    assert response["Content-Disposition"] == expected


def test_its_header_is_fixed(client, world):
    assert list(COLUMNS) == HEADER
    assert rows_of(export(client, world.supervisor))[0] == HEADER


def test_it_exports_exactly_the_cases_the_supervisor_may_see(client, world):
    elsewhere = make_case(world.outsider)
    expected = {
        world.supervisor: {world.case.display_code},
        world.other_supervisor: {world.other_case.display_code},
        world.head: {world.case.display_code, world.other_case.display_code},
    }
    for user, codes in expected.items():
        assert set(by_code(export(client, user))) == codes, user.username
    assert elsewhere.display_code not in export(client, world.head).content.decode()


def test_it_exports_values_dates_and_counts(client, world):
    case = make_case(world.lead, risk_level="high", age_band="18-24", exploitation_types=["sexual", "cybersex"])
    make_need(case, world.lead)
    make_need(case, world.lead, status="met")
    make_need(case, world.lead, status="declined")
    make_referral(case, world.lead, status="sent", **CONSENT)
    make_referral(case, world.lead, status="accepted", **CONSENT)
    make_referral(case, world.lead)
    last = timezone.make_aware(datetime(2024, 3, 9, 23, 30))
    make_contact(case, world.lead, occurred_at=last - timedelta(days=3))
    make_contact(case, world.lead, occurred_at=last)
    row = by_code(export(client, world.supervisor))[case.display_code]
    assert row["team"] == world.team_a.name
    assert row["status"] == "open"
    assert row["opened_on"] == case.opened_on.isoformat()
    assert row["closed_on"] == ""
    assert (row["risk_level"], row["age_band"]) == ("high", "18-24")
    assert row["exploitation_types"] == "sexual;cybersex"
    assert (row["needs_total"], row["needs_open"]) == ("3", "1")
    assert (row["referrals_total"], row["referrals_active"]) == ("3", "2")
    assert row["contacts_total"] == "2"
    assert row["last_contact_on"] == timezone.localdate(last).isoformat()
    empty = by_code(export(client, world.supervisor))[world.case.display_code]
    assert (empty["needs_total"], empty["contacts_total"], empty["last_contact_on"]) == ("0", "0", "")


def test_it_never_exports_free_text_or_people(client, world):
    case = make_case(world.lead, summary="CANARY-SUMMARY")
    make_contact(case, world.lead, notes="CANARY-NOTES", place="CANARY-PLACE")
    make_need(case, world.lead, outcome_notes="CANARY-OUTCOME")
    make_referral(case, world.lead, external_provider="CANARY-PROVIDER", outcome="CANARY-REFERRAL")
    body = export(client, world.supervisor).content.decode()
    assert case.display_code in body
    assert "CANARY" not in body
    for user in (world.lead, world.coworker, world.supervisor):
        assert user.username not in body


def test_each_export_is_audited_once_with_its_reason(client, world):
    export(client, world.supervisor)
    entry = exports().get()
    assert entry.actor == world.supervisor
    assert entry.reason == REASON["reason"]
    assert entry.organisation_id == world.org.pk
    assert entry.case_code == ""
    assert entry.additional_data == {"cases": 1, "what": "cases"}


def test_it_defuses_cells_a_spreadsheet_would_run(client, world):
    team = access.team_create(by=None, organisation=world.org, name="=cmd", slug="cmd")
    case = make_case(make_caseworker(world.org, team))
    row = by_code(export(client, make_supervisor(world.org, team)))[case.display_code]
    assert row["team"] == "'=cmd"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert defuse(f"{start}1+1") == f"'{start}1+1"
    assert defuse("2024-03-09") == "2024-03-09"
    assert defuse(None) == ""


def _grow(world, cases):
    for _ in range(cases):
        case = make_case(world.lead, exploitation_types=["labour"])
        make_need(case, world.lead)
        make_contact(case, world.lead)
        make_referral(case, world.lead, status="sent", **CONSENT)


def test_its_query_count_does_not_grow_with_the_data(client, world, django_assert_max_num_queries):
    sign_in(client, world.supervisor)
    _grow(world, 2)
    with django_assert_max_num_queries(14) as small:
        response = client.post(URL, REASON)
    assert len(rows_of(response)) == 1 + 3
    _grow(world, 22)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.post(URL, REASON)
    assert len(rows_of(response)) == 1 + 25
