"""The audit table's indexes, and the shape of the trail's query.

Every index is written on each audited request (a GET too), so the table keeps the ones its
queries use and no others. A new one needs a reason: add it to AuditEntry.Meta with a name
that says which query it serves, and to the list below.
"""

import json

import pytest
from django.db import connection

from casework.audit import review
from casework.audit.models import AuditEntry
from casework.audit.services import record
from casework.cases.models import Case, CaseUserObjectPermission
from tests.factories import make_case

NAMED = {
    "audit_trail_org_newest",
    "audit_case_timeline",
    "audit_person_activity",
    "audit_person_events",
    "audit_event_newest",
    "audit_time_window",
    "audit_object_history",
}


def indexes_of(table):
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


@pytest.mark.django_db
def test_the_audit_table_has_exactly_the_named_indexes_and_its_keys():
    found = indexes_of(AuditEntry._meta.db_table)
    plain = {name for name, info in found.items() if info["index"] and not info["unique"]}
    unique = [info["columns"] for info in found.values() if info["unique"] and not info["primary_key"]]
    assert plain == NAMED
    # Beside the primary key, seq: the chain's head, verification's walk and the export read by it.
    assert unique == [["seq"]]


def test_each_named_index_is_declared_on_the_model():
    assert {index.name for index in AuditEntry._meta.indexes} == NAMED


def outer_nodes(plan):
    """The nodes of an EXPLAIN (FORMAT JSON) plan, but those of its subplans (the scope's
    tests of one entry, which the permission layer plans as it sees fit)."""
    yield plan
    for child in plan.get("Plans", []):
        if child.get("Parent Relationship") not in ("SubPlan", "InitPlan"):
            yield from outer_nodes(child)


def relations(plan):
    """Every table a plan node reads, its subplans included."""
    if "Relation Name" in plan:
        yield plan["Relation Name"]
    for child in plan.get("Plans", []):
        yield from relations(child)


@pytest.fixture
def busy_trail(world):
    """A few thousand entries over a few dozen cases of both teams and their people, analysed."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL query plan")
    people = [world.lead, world.teammate, world.other_team_worker, world.viewer]
    cases = [make_case(person) for person in people for _ in range(5)] + [world.case, world.other_case]
    for number in range(2400):
        case = cases[number % len(cases)]
        record(event="case.view" if number % 7 else "identity.reveal", actor=people[number % len(people)], case=case)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {AuditEntry._meta.db_table}")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["supervisor", "head"])
def test_the_trails_first_page_walks_the_organisation_newest_first_and_stops(world, busy_trail, persona):
    """A Limit over the organisation's index in seq order: no Sort of every entry of the
    organisation, no HashAggregate over every case she manages before the first row."""
    first_page = review.entries_for(getattr(world, persona)).select_related("actor").order_by("-seq")
    plan = json.loads(first_page[: review.PAGE_SIZE + 1].explain(format="json"))[0]["Plan"]
    outer = list(outer_nodes(plan))
    assert plan["Node Type"] == "Limit"
    kinds = {node["Node Type"] for node in outer}
    assert not kinds & {"Sort", "Incremental Sort", "HashAggregate"}
    # A join may keep a small table at hand (the actors, in a Materialize or a Hash), never
    # the entries, the cases or the permission rows: those would be read in full first.
    held = [node for node in outer if node["Node Type"] in ("Materialize", "Hash")]
    assert not {name for node in held for name in relations(node)} & {
        AuditEntry._meta.db_table,
        Case._meta.db_table,
        CaseUserObjectPermission._meta.db_table,
    }
    scans = [node for node in outer if node.get("Relation Name") == AuditEntry._meta.db_table]
    # Newest first by the organisation's index or, when most entries are hers, by seq's unique one backwards.
    assert len(scans) == 1 and scans[0]["Node Type"] == "Index Scan"
    walk = (scans[0]["Index Name"], scans[0]["Scan Direction"])
    assert walk == ("audit_trail_org_newest", "Forward") or (
        walk[0].startswith("audit_auditentry_seq_") and walk[1] == "Backward"
    )


@pytest.mark.django_db
def test_postgresql_compiles_no_query_just_in_time():
    """The scope's per-entry EXISTS is costed as if it ran on every entry: with JIT on, a
    page of fifty entries spent seconds compiling."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
