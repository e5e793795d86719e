"""Attacks on the keyed chain by someone with database write access but no chain key.

The chain proves that nothing inside it was changed; it says nothing about its end. Without
the key, an operator can still remove the newest entries (a reveal at night, the guesses
of a bribed colleague) and every later ``audit_verify`` run says the chain is intact, even
though an earlier, sealed verification record names a head that no longer exists. And a
failed verification is shown only while it is the newest ChainVerification row: a table
with no append-only trigger, whose rows anyone with write access can delete.
"""

import pytest
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from casework.audit import verification
from casework.audit.models import AuditEntry, ChainVerification
from casework.audit.services import record
from tests.audit.test_chain import sql, verify
from tests.factories import make_caseworker, make_org, make_team


@pytest.fixture
def person(db):
    org = make_org("trunc-org")
    return make_caseworker(org, make_team(org, "trunc-team"), username="trunc")


def write(person, count, event="case.list"):
    for number in range(count):
        record(event=event, actor=person, reason=f"entry {number}")


def head():
    return AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()


def test_a_full_run_notices_that_entries_it_verified_before_are_gone(person):
    """A genuine run sealed "intact up to N"; an operator deletes the newest entries,
    N among them (the trigger is his to disable on PostgreSQL). A full run must not report
    a chain shorter than one already verified as intact."""
    write(person, 6)
    before = verification.verify_chain()
    assert before.ok and before.is_genuine()
    sql("DELETE FROM audit_auditentry WHERE seq > %s", [before.up_to_seq - 3])
    with pytest.raises(CommandError):
        verify()  # today: "The audit chain is intact"


def _delete_run(pk):
    """Delete a run as a database writer would. On PostgreSQL the table refuses it (an
    append-only trigger); on SQLite, which has none, it goes, and the alarm must stand anyway."""
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_chainverification WHERE id = %s", [pk])
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_chainverification WHERE id = %s", [pk])


def test_a_failed_verification_cannot_be_hidden_by_deleting_its_record(person):
    """The run that found the edit is the only thing that puts the alarm on the
    supervisors' home pages; deleting that row (no trigger protects this table) brings
    back the previous, genuine "intact" run."""
    write(person, 4)
    verification.verify_chain()
    first = AuditEntry.objects.order_by("seq").first().seq
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["edited", first])
    failed = verification.verify_chain()
    assert not failed.ok and verification.failed() is not None
    _delete_run(failed.pk)
    assert verification.failed() is not None  # today: None, the home pages are quiet again


def test_after_hiding_the_failure_the_nightly_incremental_run_passes(person):
    """The scheduled run is incremental: once the failed record is gone it resumes after
    the edited entry and reports the chain intact, sealed, for good."""
    write(person, 4)
    verification.verify_chain()
    first = AuditEntry.objects.order_by("seq").first().seq
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["edited", first])
    failed = verification.verify_chain()
    _delete_run(failed.pk)
    run = verification.verify_chain(incremental=True)
    assert not run.ok  # today: ok, and latest() says intact


def test_a_deleted_run_leaves_the_alarm_where_it_was(person):
    """PostgreSQL refuses to delete a run (an append-only trigger). SQLite has no such
    trigger: the row goes, but the alarm is read from the run's entry in the chain."""
    write(person, 2)
    verification.verify_chain()
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["edited", AuditEntry.objects.first().seq])
    run = verification.verify_chain()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            ChainVerification.objects.filter(pk=run.pk).delete()
        assert ChainVerification.objects.filter(pk=run.pk).exists()
    else:
        ChainVerification.objects.filter(pk=run.pk).delete()
    assert verification.failed() is not None


def test_the_next_nightly_run_does_not_clear_the_alarm_by_itself(person):
    """No one touches the verification table: the full run finds the edited entry, and the
    next scheduled --incremental run resumes after the last *intact* run (past the edit),
    reports ok, and being newest it replaces the alarm on every home page."""
    write(person, 4)
    verification.verify_chain()
    first = AuditEntry.objects.order_by("seq").first().seq
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["edited", first])
    assert not verification.verify_chain().ok
    assert verification.failed() is not None
    write(person, 2)  # the day goes on
    verification.verify_chain(incremental=True)
    assert verification.failed() is not None, "the alarm is gone, the edit is still there"
