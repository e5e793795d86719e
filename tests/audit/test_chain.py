"""The hash chain: linked on every write, verified by audit_verify, tamper-evident, append-only."""

import io
import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from casework.audit import chain
from casework.audit.models import AuditEntry, AuditImmutable
from casework.audit.services import record
from tests.factories import make_caseworker, make_org, make_team

TABLE = AuditEntry._meta.db_table


@pytest.fixture
def trail(db):
    org = make_org("chain-org")
    user = make_caseworker(org, make_team(org, "chain-team"), username="chainer")
    for number in range(6):
        record(event="case.list", actor=user, reason=f"entry {number}")
    return list(AuditEntry.objects.order_by("seq"))


def verify():
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def broken_at():
    with pytest.raises(CommandError) as failure:
        verify()
    return str(failure.value)


def sql(statement, params=()):
    """Change the table behind the application's back, as a database operator could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks block ALTER
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")  # the operator owns the table
        cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_every_entry_links_to_the_one_before(trail):
    seqs = [entry.seq for entry in AuditEntry.objects.order_by("seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    entries = list(AuditEntry.objects.order_by("seq"))
    assert entries[0].prev_hash == chain.GENESIS
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.entry_hash == chain.entry_hash(before.entry_hash, after)
    assert "intact" in verify()


def test_an_edited_entry_is_named(trail):
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["nothing to see", trail[3].seq])
    assert f"seq {trail[3].seq}: its content was changed" in broken_at()


def test_a_removed_entry_is_named(trail):
    sql("DELETE FROM audit_auditentry WHERE seq = %s", [trail[2].seq])
    assert f"seq {trail[2].seq}: missing" in broken_at()


def test_two_swapped_entries_are_named(trail):
    first, second, parked = trail[1].seq, trail[4].seq, 10**9
    sql("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [parked, first])
    sql("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [first, second])
    sql("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [second, parked])
    assert f"seq {first}: does not follow" in broken_at()


def test_an_inserted_entry_breaks_the_link_after_it(trail):
    """A forged entry put between 3 and 4, hashed correctly against 3: entry 4 no longer follows."""
    at = trail[3].seq
    for seq in sorted((entry.seq for entry in trail if entry.seq >= at), reverse=True):
        sql("UPDATE audit_auditentry SET seq = %s WHERE seq = %s", [seq + 1, seq])
    forged = AuditEntry(event="test.forged", reason="never happened", content_type=trail[0].content_type)
    forged.object_pk, forged.object_repr, forged.action = "", "", AuditEntry.Action.ACCESS
    forged.timestamp = trail[2].timestamp
    forged.seq, forged.prev_hash = at, trail[2].entry_hash
    forged.chain_key = chain.key_id(chain.current_key())  # even a forger who holds the key
    forged.entry_hash = chain.entry_hash(forged.prev_hash, forged)
    insert(forged)
    assert f"seq {at + 1}: does not follow" in broken_at()


def insert(entry):
    """Write ``entry`` with raw SQL, as someone with database access but no application would."""
    values = [entry.content_type_id, "", "", entry.action, "", entry.timestamp, entry.event, "ok"]
    values += [entry.reason, "", "", entry.seq, entry.prev_hash, entry.entry_hash, entry.chain_key]
    sql(
        "INSERT INTO audit_auditentry (content_type_id, object_pk, object_repr, action, changes_text, timestamp,"
        " event, outcome, reason, case_code, ip_hash, seq, prev_hash, entry_hash, chain_key)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        values,
    )


def test_the_orm_refuses_to_change_or_remove_entries(trail):
    entry = trail[0]
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="changed")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.bulk_create([AuditEntry(event="x")])
    assert "intact" in verify()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_auditentry SET reason = 'changed'", "DELETE FROM audit_auditentry", "TRUNCATE audit_auditentry"],
)
def test_the_database_refuses_update_delete_and_truncate(trail, statement):
    """On PostgreSQL a trigger refuses them for the application's own database user. SQLite
    (development and tests only) has no such trigger: there the chain is the protection."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            assert cursor.fetchone()[0] == 0
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in a fresh transaction: nothing pending
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEntry.objects.count() == len(trail)
