"""The audit table's indexes.

Every index is written on each audited request (a GET too), so the table keeps the ones its
queries use and no others. A new one needs a reason: add it to AuditEntry.Meta with a name
that says which query it serves, and to the list below.
"""

import pytest
from django.db import connection

from casework.audit.models import AuditEntry

NAMED = {
    "audit_trail_org_newest",
    "audit_case_timeline",
    "audit_person_activity",
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
