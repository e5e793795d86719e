"""The de-identified export, through HTTP with a real sign-in, played as someone who holds a
leaked file and wants to find the cases in it: by code, by date, by row order, by a rare
profile. Every test here can fail: each seeds what it looks for."""

import csv
import io
import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.access import services as access
from casework.audit.models import AuditEntry
from casework.cases import codes
from casework.cases.models import Case
from casework.cases.services import export as export_service
from casework.cases.services.export import COLUMNS, defuse
from tests.factories import make_case, make_caseworker, make_contact, make_need, make_referral, make_supervisor
from tests.signing import sign_in

URL = reverse("cases:export")
REASON = {"reason": "Quarterly report to the board"}
HEADER = [
    "row",
    "team",
    "status",
    "opened_month",
    "closed_month",
    "risk_level",
    "age_band",
    "gender",
    "nationality",
    "region",
    "exploitation_types",
    "intake_source",
    "needs_total",
    "needs_open",
    "referrals_total",
    "referrals_active",
    "contacts_total",
]
CONSENT = {"consent_given_by": "survivor", "consent_given_on": date(2024, 1, 2), "consent_method": "written"}
K = 5
# A row's code: X and four groups of four Crockford characters.
ROW_CODE = re.compile(r"^X(-[0-9A-HJKMNP-TV-Z]{4}){4}$")
# A day, in any of the forms a spreadsheet reads as one.
DAY = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}:\d{2}")
MONTH = re.compile(r"^\d{4}-\d{2}$")


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.REPORT_MIN_COUNT = K


def export(client, user, data=REASON):
    sign_in(client, user)
    response = client.post(URL, data)
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def body(response):
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def rows_of(response):
    header, *rows = csv.reader(io.StringIO(body(response)))
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


def exports():
    return AuditEntry.objects.filter(event="export.csv")


def cases(lead, count, team=None, **profile):
    return [make_case(lead, team, **profile) for _ in range(count)]


# Who may export, and what -------------------------------------------------------------


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


def test_it_streams_a_csv_file_named_by_todays_date(client, world):
    response = export(client, world.supervisor)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    expected = f'attachment; filename="casework-cases-{timezone.localdate():%Y-%m-%d}.csv"'
    assert response["Content-Disposition"] == expected


def test_its_header_is_fixed(client, world):
    assert list(COLUMNS) == HEADER
    assert body(export(client, world.supervisor)).splitlines()[0] == ",".join(HEADER)


def test_it_exports_exactly_the_cases_the_supervisor_may_see(client, world):
    # Groups of k alike (with world.case and world.other_case, of the default profile), each
    # team's marked by a risk level that is no quasi-identifier.
    cases(world.lead, K, risk_level="low")
    cases(world.other_team_worker, K, risk_level="critical")
    cases(world.outsider, K, risk_level="high")
    expected = {
        world.supervisor: {(world.team_a.name, "low"): K, (world.team_a.name, "medium"): 1},
        world.other_supervisor: {(world.team_b.name, "critical"): K, (world.team_b.name, "medium"): 1},
        world.head: {
            (world.team_a.name, "low"): K,
            (world.team_a.name, "medium"): 1,
            (world.team_b.name, "critical"): K,
            (world.team_b.name, "medium"): 1,
        },
    }
    for user, rows in expected.items():
        found = Counter((row["team"], row["risk_level"]) for row in rows_of(export(client, user)))
        assert found == rows, user.username


def test_it_exports_months_values_and_counts(client, world):
    profile = {"age_band": "18-24", "exploitation_types": ["sexual", "cybersex"], "region": "CN-JL"}
    case, *_alike = cases(world.lead, K, risk_level="high", opened_on=date(2024, 3, 9), **profile)
    make_case(world.lead, status="closed", opened_on=date(2023, 11, 30), closed_on=date(2024, 2, 1), **profile)
    make_need(case, world.lead)
    make_need(case, world.lead, status="met")
    make_need(case, world.lead, status="declined")
    make_referral(case, world.lead, status="sent", **CONSENT)
    make_referral(case, world.lead, status="accepted", **CONSENT)
    make_referral(case, world.lead)
    last = timezone.make_aware(datetime(2024, 3, 9, 23, 30))
    make_contact(case, world.lead, occurred_at=last - timedelta(days=3))
    make_contact(case, world.lead, occurred_at=last, follow_up_on=date(2024, 3, 20))
    rows = [row for row in rows_of(export(client, world.supervisor)) if row["age_band"] == "18-24"]
    assert len(rows) == K + 1
    busy = [row for row in rows if row["needs_total"] != "0"]
    assert len(busy) == 1
    row = busy[0]
    assert row["team"] == world.team_a.name
    assert (row["status"], row["opened_month"], row["closed_month"]) == ("open", "2024-03", "")
    assert (row["risk_level"], row["region"]) == ("high", "CN-JL")
    assert row["exploitation_types"] == "cybersex;sexual"  # sorted: the same types in any order are one fact
    assert (row["needs_total"], row["needs_open"]) == ("3", "1")
    assert (row["referrals_total"], row["referrals_active"]) == ("3", "2")
    assert row["contacts_total"] == "2"
    assert [(row["opened_month"], row["closed_month"]) for row in rows if row["status"] == "closed"] == [
        ("2023-11", "2024-02")
    ]


def test_it_never_exports_free_text_or_people(client, world):
    case, *_alike = cases(world.lead, K, summary="CANARY-SUMMARY")
    make_contact(case, world.lead, notes="CANARY-NOTES", place="CANARY-PLACE")
    make_need(case, world.lead, outcome_notes="CANARY-OUTCOME")
    make_referral(case, world.lead, external_provider="CANARY-PROVIDER", outcome="CANARY-REFERRAL")
    text = body(export(client, world.supervisor))
    assert len(text.splitlines()) == 1 + K + 1  # the rows are there: the test can fail
    assert "CANARY" not in text
    for user in (world.lead, world.coworker, world.supervisor):
        assert user.username not in text


def test_it_defuses_cells_a_spreadsheet_would_run(client, world):
    team = access.team_create(by=None, organisation=world.org, name="=cmd", slug="cmd")
    cases(make_caseworker(world.org, team), K)
    rows = rows_of(export(client, make_supervisor(world.org, team)))
    assert [row["team"] for row in rows] == ["'=cmd"] * K
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert defuse(f"{start}1+1") == f"'{start}1+1"
    assert defuse("2024-03") == "2024-03"
    assert defuse(None) == ""


# Codes and dates ------------------------------------------------------------------------


def test_two_exports_share_no_code_and_no_code_is_a_case_code(client, world):
    cases(world.lead, K)
    cases(world.outsider, K)
    first = [row["row"] for row in rows_of(export(client, world.head))]
    second = [row["row"] for row in rows_of(export(client, world.head))]
    assert len(first) == len(second) == K + 1  # world.case and its like; world.other_case alone is left out
    assert len(set(first)) == len(first) and not set(first) & set(second)
    in_app = set(Case.objects.values_list("code", flat=True))  # every organisation's
    assert len(in_app) >= 2 * K + 2
    for code in first + second:
        assert ROW_CODE.match(code), code
        assert codes.normalise(code) is None  # not even the shape of a case code, typed any way
        assert code not in in_app and code.replace("-", "") not in in_app
        assert code not in {codes.display(case_code) for case_code in in_app}


def test_a_row_code_has_80_random_bits_in_a_shape_no_case_code_has():
    made = {export_service.row_code() for _ in range(2000)}
    assert len(made) == 2000
    assert all(ROW_CODE.match(code) and codes.normalise(code) is None for code in made)
    # Every character of the body takes every value: no fixed or biased position.
    for position in range(2, 21):
        if position % 5 != 1:
            assert len({code[position] for code in made}) == 32, position


def test_no_cell_holds_a_date_finer_than_a_month(client, world):
    for day in (1, 15, 28):
        cases(world.lead, K, opened_on=date(2024, 2, day), status="closed", closed_on=date(2024, 5, day))
    for case in Case.objects.filter(team=world.team_a)[:3]:
        make_contact(case, world.lead, follow_up_on=date(2024, 6, 12))
        make_need(case, world.lead, identified_on=date(2024, 6, 1), due_on=date(2024, 7, 3))
    text = body(export(client, world.supervisor))
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == 3 * K + 1
    assert not DAY.search(text)
    opened, closed = HEADER.index("opened_month"), HEADER.index("closed_month")
    assert {row[opened] for row in rows} >= {"2024-02"}
    assert {row[closed] for row in rows} == {"2024-05", ""}
    for row in rows:
        assert MONTH.match(row[opened]) and (row[closed] == "" or MONTH.match(row[closed]))


# k-anonymity ------------------------------------------------------------------------------

COMMON = {"age_band": "25-34", "gender": "female", "nationality": "KP", "region": "CN-JL"}
FORCED_MARRIAGE = ["forced_marriage"]
# What a generalised cell may stand for (read by the test itself, not the service's rules).
AREAS = {
    "china": {"CN-JL", "CN-LN", "CN-HL", "CN-SD", "CN-HE", "CN-BJ", "CN-NM", "CN-YN", "CN-GX", "CN-other"},
    "third_country": {"transit", "MN", "RU", "VN", "LA", "KH", "TH", "MM"},
    "south_korea": {"KR"},
    "elsewhere_or_unknown": {"other", "unknown"},
}
AGES = {"child": {"0-13", "14-17"}, "adult": {"18-24", "25-34", "35-49", "50+"}, "age_unknown": {"unknown"}}


@pytest.fixture
def rare(world):
    """The head's organisation, with common and rare profiles (with world.case and
    world.other_case, of the default profile, alone in their teams):

    - 6 alike in team A: exported as they are;
    - 2 in Yunnan (team A) and 3 in Liaoning (team B), otherwise alike: too few each, even
      with the team withheld; together "somewhere in China": 5, generalised;
    - 4 aged 18-24 in sexual exploitation and 1 alone in domestic servitude (team A): too few
      until the age is "adult" and the types withheld: 5, generalised;
    - a boy of 14-17 in Thailand in forced labour (team B), and world.case and world.other_case
      (age, region and types unknown, one per team): too few at every step, left out.
    """
    a, b = world.lead, world.other_team_worker
    cases(a, 6, **COMMON, exploitation_types=FORCED_MARRIAGE)
    cases(a, 2, **{**COMMON, "region": "CN-YN"}, exploitation_types=FORCED_MARRIAGE)
    cases(b, 3, **{**COMMON, "region": "CN-LN"}, exploitation_types=FORCED_MARRIAGE)
    cases(a, 4, **{**COMMON, "age_band": "18-24"}, exploitation_types=["sexual"])
    cases(a, 1, **COMMON, exploitation_types=["domestic"])
    make_case(b, age_band="14-17", gender="male", nationality="KP", region="TH", exploitation_types=["labour"])
    return {"rows": 16, "generalised": 10, "left_out": 3}


def matches(row, case):
    """Could ``case`` be behind ``row``, on every quasi-identifier?"""
    types = ";".join(sorted(case.exploitation_types))
    return (
        row["team"] in (case.team.name, "withheld")
        and (row["age_band"] == case.age_band or case.age_band in AGES.get(row["age_band"], ()))
        and row["gender"] == case.gender
        and row["nationality"] == case.nationality
        and (row["region"] == case.region or case.region in AREAS.get(row["region"], ()))
        and row["exploitation_types"] in (types, "withheld")
    )


def test_no_row_joins_back_to_fewer_than_k_cases(client, world, rare):
    everyone = list(Case.objects.restrict(world.head, "view").select_related("team"))
    fine = Counter(
        (case.team_id, case.age_band, case.gender, case.nationality, case.region, tuple(case.exploitation_types))
        for case in everyone
    )
    assert min(fine.values()) < K  # the seed has rare profiles: the test can fail
    rows = rows_of(export(client, world.head))
    assert len(rows) == rare["rows"]
    combinations = Counter(tuple(row[name] for name in export_service.QUASI_IDENTIFIERS) for row in rows)
    assert min(combinations.values()) >= K
    for row in rows:
        behind = [case for case in everyone if matches(row, case)]
        assert len(behind) >= K, row


def test_it_generalises_step_by_step_and_only_as_far_as_needed(client, world, rare):
    rows = rows_of(export(client, world.head))
    found = Counter(tuple(row[name] for name in export_service.QUASI_IDENTIFIERS) for row in rows)
    team_a = world.team_a.name
    assert found == {
        (team_a, "25-34", "female", "KP", "CN-JL", "forced_marriage"): 6,
        ("withheld", "25-34", "female", "KP", "china", "forced_marriage"): 5,
        ("withheld", "adult", "female", "KP", "china", "withheld"): 5,
    }


def test_it_says_how_many_rows_were_generalised_and_left_out(client, world, rare):
    sign_in(client, world.head)
    page = client.get(URL).content.decode()
    numbers = re.search(r'<dl class="facts" id="export-numbers">(.*?)</dl>', page, re.S).group(1)
    assert re.findall(r"<dd>(\d+)</dd>", numbers) == ["16", "10", "3"]
    rows = rows_of(client.post(URL, REASON))
    assert len(rows) == rare["rows"]
    entry = exports().get()
    assert entry.additional_data == {"what": "cases", **rare, "min_count": K}
    assert entry.reason == REASON["reason"]
    assert (entry.actor, entry.organisation_id, entry.case_code) == (world.head, world.org.pk, "")


def test_the_threshold_follows_the_setting(client, world, rare, settings):
    settings.REPORT_MIN_COUNT = 2
    rows = rows_of(export(client, world.head))
    # Each small group is enough now; world.case and world.other_case together once the
    # team is withheld; the one in domestic servitude and the boy stay out.
    assert len(rows) == 17
    assert exports().get().additional_data == {
        "what": "cases",
        "rows": 17,
        "generalised": 2,
        "left_out": 2,
        "min_count": 2,
    }


# Order ---------------------------------------------------------------------------------

MARKS = [(source, risk) for source in ("self", "family", "partner", "broker", "hotline", "other") for risk in
         ("low", "medium", "high", "critical")]  # fmt: skip


def test_the_rows_of_a_month_come_in_no_order_of_the_cases(client, world):
    """24 alike cases opened in one month, each marked by a pair of values that no
    quasi-identifier holds: their order in the file is neither the codes', the pks' nor the
    days', and differs from one export to the next."""
    march = [
        make_case(world.lead, opened_on=date(2024, 3, 1 + day), intake_source=source, risk_level=risk)
        for day, (source, risk) in enumerate(MARKS)
    ]
    cases(world.lead, K, opened_on=date(2024, 4, 2))
    by_code = [(case.intake_source, case.risk_level) for case in sorted(march, key=lambda case: case.code)]
    by_pk = [(case.intake_source, case.risk_level) for case in sorted(march, key=lambda case: case.pk)]
    orders = []
    for _ in range(2):
        rows = rows_of(export(client, world.supervisor))
        months = [row["opened_month"] for row in rows]
        assert months == sorted(months)  # by month first
        orders.append([(row["intake_source"], row["risk_level"]) for row in rows if row["opened_month"] == "2024-03"])
    assert sorted(orders[0]) == sorted(MARKS)
    for order in orders:
        assert order not in (by_code, by_pk, MARKS)  # MARKS: the days' order
        assert order != list(reversed(by_code)) and order != list(reversed(by_pk))
    assert orders[0] != orders[1]


# Streaming, queries and the audit entry ---------------------------------------------------


def _grow(world, count):
    for case in cases(world.lead, count):
        make_need(case, world.lead)
        make_contact(case, world.lead)
        make_referral(case, world.lead, status="sent", **CONSENT)


def test_its_query_count_does_not_grow_with_the_data(client, world, django_assert_max_num_queries):
    sign_in(client, world.supervisor)
    _grow(world, K)
    with django_assert_max_num_queries(17) as small:
        rows = rows_of(client.post(URL, REASON))
    assert len(rows) == K + 1
    _grow(world, 4 * K)
    with CaptureQueriesContext(connection) as large:
        rows = rows_of(client.post(URL, REASON))
    assert len(rows) == 5 * K + 1
    assert len(large.captured_queries) == len(small.captured_queries)


def _statements(captured):
    return [query["sql"] for query in captured]


def _savepoints(statements):
    """The savepoints open when the audit entry was inserted, and those still open at the end."""
    stack, around = [], None
    for sql in statements:
        if sql.startswith("SAVEPOINT"):
            stack.append(sql.split()[-1])
        elif sql.startswith(("RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            stack.remove(sql.split()[-1])
        elif sql.startswith("INSERT") and "auditentry" in sql and around is None:
            around = list(stack)
    return around, stack


def test_the_audit_entry_is_committed_before_the_first_byte(client, world):
    """The request's transaction (a savepoint inside the test's) has ended, with the entry
    in it, when the view answers; the rows are read only when the body is read, in a
    transaction of their own that writes nothing."""
    cases(world.lead, K)
    sign_in(client, world.supervisor)
    with CaptureQueriesContext(connection) as answering:
        response = client.post(URL, REASON)
    statements = _statements(answering)
    around_the_entry, still_open = _savepoints(statements)
    assert around_the_entry  # the entry was written inside the request's savepoint ...
    assert not still_open  # ... which was released (committed into the test's transaction)
    assert exports().count() == 1
    assert not any("RAND" in sql.upper() for sql in statements)  # no row read yet
    with CaptureQueriesContext(connection) as streaming:
        rows = rows_of(response)
    assert len(rows) == K + 1
    assert any("RAND" in sql.upper() for sql in _statements(streaming))  # RANDOM() or SQLite's RAND()
    assert not [sql for sql in _statements(streaming) if sql.split()[0] in ("INSERT", "UPDATE", "DELETE")]


def test_the_audit_entry_stays_when_the_client_stops_reading(client, world, monkeypatch):
    cases(world.lead, K)
    response = export(client, world.supervisor)
    assert next(iter(response.streaming_content)).decode().startswith("row,team")
    # What a WSGI server does when the client goes away: close the response, which closes the
    # stream. (Keeping the connections, which hold the test's transactions.)
    for each in connections.all():
        monkeypatch.setattr(each, "close_if_unusable_or_obsolete", lambda: None)
    response.close()
    assert exports().count() == 1


def test_the_audit_entry_stays_when_the_stream_fails(client, world, monkeypatch):
    cases(world.lead, K)

    def broken(values, level):
        raise ConnectionResetError("the client went away")

    monkeypatch.setattr(export_service, "_row", broken)
    response = export(client, world.supervisor)
    with pytest.raises(ConnectionResetError):
        body(response)
    assert [entry.additional_data["rows"] for entry in exports()] == [K + 1], list(exports().values())


def test_it_sends_nothing_if_the_cases_changed_after_the_audit_entry(client, world):
    alike = cases(world.lead, K)
    response = export(client, world.supervisor)
    moved = alike[0]
    moved.region = "CN-YN"
    moved.save(update_fields=["region"])  # now 4 alike and one alone: not what was audited
    with pytest.raises(export_service.ExportChanged):
        next(iter(response.streaming_content))
