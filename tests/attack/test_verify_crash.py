"""A tampered row that makes ``audit_verify`` crash leaves no trace of the failure.

verify_chain() writes its ChainVerification row and its ``audit.verify`` entry in one
transaction with the walk. If the walk raises (a value the driver cannot load), all of it
rolls back: no failed run is kept, the supervisors' home pages keep showing the last
intact run, and nothing says that verification stopped working (no alarm for a run that is
overdue). A database writer without the chain key makes one row unreadable and every later
scheduled run dies the same way, for good.
"""

import pytest
from django.db import connection

from casework.audit import verification
from casework.audit.models import AuditEntry
from casework.audit.services import record
from tests.audit.test_chain import sql
from tests.factories import make_caseworker, make_org, make_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    org = make_org("crash-org")
    return make_caseworker(org, make_team(org, "crash-team"), username="crash")


def unreadable(seq):
    """Make entry ``seq`` impossible to load: bytes that are not UTF-8 on SQLite, JSON
    nested deeper than Python's json module will parse on PostgreSQL."""
    if connection.vendor == "sqlite":
        sql("UPDATE audit_auditentry SET reason = CAST(x'ff' AS TEXT) WHERE seq = %s", [seq])
    else:
        deep = "[" * 3000 + "]" * 3000
        sql("UPDATE audit_auditentry SET additional_data = %s::jsonb WHERE seq = %s", [deep, seq])


def test_a_walk_that_crashes_is_still_a_failed_verification(person):
    for number in range(4):
        record(event="case.list", actor=person, reason=f"entry {number}")
    assert verification.verify_chain().ok
    first = AuditEntry.objects.order_by("seq").first().seq
    unreadable(first)
    run = verification.verify_chain()  # whatever the driver raises, the run is kept as failed
    assert (run.ok, run.problem_seq) == (False, first)
    assert run.problem.startswith("could not be read")
    assert verification.failed() is not None, "the home pages still say the chain was verified intact"
