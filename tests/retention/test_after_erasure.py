"""After an erasure: every URL of the case answers as for a code never issued, to everyone,
and the case's canaries are in no page, no audit entry, no export and no database column."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from casework.access import services as access
from casework.audit.models import AuditEntry
from casework.cases import codes
from casework.cases.models import Case, JourneyStep
from tests.factories import make_case
from tests.retention.conftest import CANARIES, case_routes, erase

pytestmark = pytest.mark.django_db

PERSONAS = ["lead", "supervisor", "head", "admin", "viewer", "other_supervisor", "outsider"]
PARAMETER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")
RECORD_OF = {"contacts": "contact", "needs": "need", "referrals": "referral", "journey": "journey_step"}


@pytest.fixture
def erased(client, world, canaried, sign_in):
    """The canaried case, with a grant, erased by its supervisor through the page."""
    grant = access.grant_add(by=world.supervisor, case=canaried.case, user=world.viewer, level="view", reason="Cover")
    canaried.grant_uid = str(grant.uid)
    canaried.display_code = canaried.case.display_code
    sign_in(client, world.supervisor)
    assert erase(client, world.supervisor, canaried.case).status_code == 302
    assert not Case.objects.filter(code=canaried.code).exists()
    return canaried


def never_issued():
    while True:
        code = codes.generate()
        if not Case.objects.filter(code=code).exists():
            return code


def fill(route, display_code, records):
    def value(match):
        name = match["name"]
        if name == "code":
            return display_code
        if name == "grant_uid":
            return records.grant_uid
        owner = RECORD_OF[route[: match.start()].rstrip("/").rsplit("/", 1)[-1]]
        return str(getattr(records, owner).uid)

    return "/" + PARAMETER.sub(value, route)


def test_the_walk_reaches_every_kind_of_case_page():
    routes = case_routes()
    assert len(routes) > 25
    for part in (
        "identity/",
        "contacts/<str:uid>/",
        "needs/<str:uid>/",
        "referrals/<str:uid>/",
        "journey/<str:uid>/",
        "retention/",
        "audit/",
    ):
        assert any(part in route for route in routes), part


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_of_the_case_answers_as_for_a_code_never_issued(world, erased, sign_in, persona):
    client = sign_in(Client(), getattr(world, persona))
    other = codes.display(never_issued())
    for route in case_routes():
        url, guess = fill(route, erased.display_code, erased), fill(route, other, erased)
        for method in (client.get, client.post):
            answer, wrong = method(url), method(guess)
            assert answer.status_code == wrong.status_code, (persona, method.__name__, url)
            assert answer.status_code in (404, 405), (persona, method.__name__, url, answer.status_code)
            body = answer.content.decode()
            assert not [canary for canary in CANARIES if canary in body], url
        assert client.get(url).status_code == 404 or client.post(url).status_code == 404, url


def test_its_journey_steps_go_with_it(erased):
    assert not JourneyStep.objects.filter(pk=erased.journey_step.pk).exists()
    assert not JourneyStep.objects.filter(case_id=erased.case.pk).exists()


def test_no_page_shows_a_canary_afterwards(world, erased, sign_in):
    pages = {
        "supervisor": ["/", "/cases/", "/retention/", "/audit/", f"/audit/?code={erased.code}"],
        "head": ["/", "/cases/", "/audit/"],
        "lead": ["/", "/cases/"],
        "admin": ["/", "/access/cases/", "/audit/"],
    }
    for persona, urls in pages.items():
        client = sign_in(Client(), getattr(world, persona))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (persona, url)
            body = response.content.decode()
            assert not [canary for canary in CANARIES if canary in body], (persona, url)


def test_the_export_holds_neither_the_case_nor_its_canaries(client, world, erased, sign_in, settings):
    settings.REPORT_MIN_COUNT = 2
    make_case(world.lead)  # with world.case, two alike: exported (the export has rows: it can fail)
    sign_in(client, world.supervisor)
    response = client.post(reverse("cases:export"), {"reason": "Quarterly report"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert len(text.splitlines()) == 1 + 2
    assert AuditEntry.objects.get(event="export.csv").additional_data["rows"] == 2
    assert erased.code not in text and erased.display_code not in text
    assert not [canary for canary in CANARIES if canary in text]


def test_no_audit_entry_holds_a_canary(world, erased):
    fields = ("changes", "changes_text", "additional_data", "object_repr", "reason", "serialized_data")
    rows = AuditEntry.objects.values_list(*fields)
    assert rows.filter(case_code=erased.code).exists()  # the trail of the case is still there
    text = "\n".join(str(value) for row in rows for value in row)
    assert not [canary for canary in CANARIES if canary in text]


def test_no_database_column_holds_a_canary(world, erased):
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [column.name for column in connection.introspection.get_table_description(cursor, table)]
            quote = connection.ops.quote_name
            texts = ", ".join(f"CAST({quote(column)} AS TEXT)" for column in columns)
            cursor.execute(f"SELECT {texts} FROM {quote(table)}")  # noqa: S608 (names from introspection)
            for row in cursor.fetchall():
                found += [(table, canary) for value in row if value for canary in CANARIES if canary in value]
    assert found == []
