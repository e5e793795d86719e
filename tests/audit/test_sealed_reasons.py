"""Reasons typed about a case are kept in the trail sealed under the case's key: readable on
the review pages and exports while the case lives, gone everywhere once it is erased, with
the chain still verifying. Reasons about no case, and reasons written before, stay in clear."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from casework.audit.models import AuditEntry
from casework.audit.services import record
from casework.identity import crypto
from tests.factories import make_case
from tests.retention.conftest import erase

pytestmark = pytest.mark.django_db

TRAIL = reverse("audit:trail")
EXPORT = reverse("audit:export")
CANARY = "CANARY-REASON-8812"


def close(client, case, reason):
    case.refresh_from_db()
    url = reverse("cases:close", args=[case.display_code])
    return client.post(url, {"version": case.version, "reason": reason})


def trail_page(client):
    return client.get(TRAIL, {"list": "1"}).content.decode()


def exported(client):
    response = client.get(EXPORT)
    assert response.status_code == 200
    return b"".join(response.streaming_content if response.streaming else [response.content]).decode()


def audit_export():
    out = io.StringIO()
    call_command("audit_export", stdout=out)
    return out.getvalue()


def every_column():
    return json.dumps(list(AuditEntry.objects.values()), default=str, ensure_ascii=False)


def verified():
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_a_close_reason_is_readable_while_the_case_lives_and_stored_sealed(client, world, sign_in):
    sign_in(client, world.supervisor)
    assert close(client, world.case, f"Resettled {CANARY}").status_code == 302
    entry = AuditEntry.objects.get(event="case.close")
    assert crypto.is_sealed(entry.reason)
    assert CANARY not in every_column()
    assert CANARY in trail_page(client)
    rows = list(csv.reader(io.StringIO(exported(client))))
    assert [row[5] for row in rows if row[2] == "case.close"] == [f"Resettled {CANARY}"]
    assert CANARY in audit_export()
    assert "intact" in verified()


def test_after_erasure_the_reason_is_nowhere_and_the_chain_verifies(
    client, world, sign_in, django_capture_on_commit_callbacks
):
    case = make_case(world.lead)
    sign_in(client, world.supervisor)
    assert close(client, case, f"Resettled {CANARY}").status_code == 302
    assert CANARY in trail_page(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert erase(client, world.supervisor, case).status_code == 302
    shown = [trail_page(client), exported(client), audit_export()]
    for where in [*shown, every_column()]:
        assert CANARY not in where
    assert not [where for where in shown if "cw3:" in where]  # never a token instead
    assert "(erased)" in audit_export()
    for person in (world.head, world.admin):
        assert CANARY not in trail_page(sign_in(type(client)(), person))
    assert "intact" in verified()


def test_the_trail_marks_an_erased_reason_instead_of_showing_a_token(
    client, world, sign_in, django_capture_on_commit_callbacks
):
    case = make_case(world.lead)
    # Administrators review access management organisation-wide, erased cases included.
    record(event="grant.add", actor=world.supervisor, case=case, reason=f"Tracing {CANARY}")
    sign_in(client, world.admin)
    assert f"Tracing {CANARY}" in trail_page(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert erase(sign_in(type(client)(), world.supervisor), world.supervisor, case).status_code == 302
    page, rows = trail_page(client), exported(client)
    assert "(erased)" in page and "(erased)" in rows
    assert not [where for where in (page, rows) if CANARY in where or "cw3:" in where]
    lines = [json.loads(line) for line in audit_export().splitlines()]
    (granting,) = [line for line in lines if line["event"] == "grant.add" and line["case_code"] == case.code]
    assert granting["reason"] == "(erased)"


def test_a_reason_about_no_case_stays_in_clear_and_readable(client, world, sign_in):
    record(event="export.csv", actor=world.supervisor, reason=f"Quarterly report {CANARY}", organisation=world.org)
    assert AuditEntry.objects.get(event="export.csv").reason == f"Quarterly report {CANARY}"
    sign_in(client, world.admin)
    assert CANARY in exported(client)


def test_a_reason_stored_in_clear_before_sealing_is_shown_as_it_is(client, world, sign_in):
    # What record() wrote before reasons were sealed: the case's code, the reason in clear.
    record(event="case.close", actor=world.supervisor, case_code=world.case.code, reason=f"Old {CANARY}")
    sign_in(client, world.supervisor)
    assert f"Old {CANARY}" in trail_page(client)
    assert f"Old {CANARY}" in exported(client)


def _grow(world, n):
    for number in range(n):
        case = make_case(world.lead)
        record(event="case.close", actor=world.supervisor, case=case, reason=f"Closed {number}")


@pytest.mark.parametrize("page", [TRAIL, EXPORT])
def test_opening_reasons_costs_the_same_queries_for_many_cases(
    client, world, sign_in, page, django_assert_max_num_queries
):
    sign_in(client, world.supervisor)
    _grow(world, 2)
    with django_assert_max_num_queries(30) as small:
        assert client.get(page, {"list": "1"}).status_code == 200
    _grow(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(page, {"list": "1"})
    assert "Closed 29" in (response.content.decode() if page == TRAIL else exported(client))
