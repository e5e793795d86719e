"""Parallel writers never fork the chain: each append waits for the one before it."""

import io
import threading
import time

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction
from django.test import TransactionTestCase

from casework.audit.models import AuditEntry
from casework.audit.services import record

TABLE = AuditEntry._meta.db_table
WRITERS, EACH = 6, 15
EVENT = "demo.seed"  # any catalogued event: record() refuses others


def append(number, retries):
    """One entry in its own transaction. SQLite's shared in-memory test database refuses a
    second writer at once instead of waiting: the writer tries again, as SQLite clients do.
    PostgreSQL writers wait on the advisory lock and never need to."""
    while True:
        try:
            with transaction.atomic():
                record(event=EVENT, actor=None, reason=f"{threading.get_ident()} {number}")
            return
        except OperationalError as error:
            if connection.vendor != "sqlite" or "locked" not in str(error):
                raise
            retries.append(1)
            time.sleep(0.001)


def write(errors, retries, start):
    try:
        start.wait()
        for number in range(EACH):
            append(number, retries)
    except Exception as error:  # reported by the test
        errors.append(error)
    finally:
        connections.close_all()


class TestParallelWriters(TransactionTestCase):
    databases = {"default", "keystore"}  # each case's key lives in the key store

    """Writers commit for real from their own connections, so no rolled-back transaction
    wraps this test; it removes its own entries afterwards instead of flushing every table
    (pausing the append-only trigger for that, as only the table's owner can)."""

    def _fixture_teardown(self):
        with connection.cursor() as cursor:
            tables = ("audit_auditentry", "audit_chainverification")
            if connection.vendor == "postgresql":
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM audit_auditentry WHERE event IN (%s, 'audit.verify')", [EVENT])
            cursor.execute("DELETE FROM audit_chainverification")
            if connection.vendor == "postgresql":
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    def test_they_leave_one_unbroken_chain(self):
        assert not AuditEntry.objects.exists(), "the test database should hold no committed entries"
        errors, retries, start = [], [], threading.Barrier(WRITERS)
        threads = [threading.Thread(target=write, args=(errors, retries, start)) for _ in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        total = WRITERS * EACH
        assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
        assert AuditEntry.objects.values("prev_hash").distinct().count() == total
        out = io.StringIO()
        # Earlier transactional tests flushed and remade the content types under new ids.
        ContentType.objects.clear_cache()
        call_command("audit_verify", stdout=out)
        assert f"intact: {total:,} entries" in out.getvalue()
        if connection.vendor == "postgresql":
            assert retries == []  # they waited on the lock instead
