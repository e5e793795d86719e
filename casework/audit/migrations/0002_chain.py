"""The hash chain (seq, prev_hash, entry_hash) over existing entries, new indexes, and on
PostgreSQL a trigger that refuses UPDATE, DELETE and TRUNCATE on the audit table, and the
function that reads the chain's head under its lock."""

from django.db import migrations, models

from casework.audit import chain

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION casework_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
-- The chain's head, read after waiting for the chain's lock: one round trip per entry. A
-- VOLATILE function takes a fresh snapshot for each statement, so the SELECT sees every
-- entry committed by the writer that held the lock before.
CREATE OR REPLACE FUNCTION casework_audit_head(lock_key bigint)
RETURNS TABLE (seq bigint, entry_hash varchar) AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY SELECT a.seq::bigint, a.entry_hash FROM audit_auditentry a ORDER BY a.seq DESC LIMIT 1;
END;
$$ LANGUAGE plpgsql VOLATILE;
CREATE TRIGGER casework_audit_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION casework_audit_append_only();
CREATE TRIGGER casework_audit_no_truncate BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION casework_audit_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS casework_audit_no_update_delete ON audit_auditentry;
DROP TRIGGER IF EXISTS casework_audit_no_truncate ON audit_auditentry;
DROP FUNCTION IF EXISTS casework_audit_append_only();
DROP FUNCTION IF EXISTS casework_audit_head(bigint);
"""


def link_existing(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    prev_hash = chain.GENESIS
    for seq, entry in enumerate(AuditEntry.objects.order_by("timestamp", "id").iterator(), start=1):
        entry.seq, entry.prev_hash = seq, prev_hash
        entry.entry_hash = prev_hash = chain.unkeyed_hash(prev_hash, entry)
        entry.save(update_fields=["seq", "prev_hash", "entry_hash"])


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


def drop_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, editable=False, verbose_name="sequence"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="previous hash"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(link_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, unique=True, verbose_name="sequence"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["organisation", "-seq"], name="audit_org_seq"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["case_code", "-seq"], name="audit_case_seq"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["actor", "-seq"], name="audit_actor_seq"),
        ),
        migrations.RunPython(append_only, drop_append_only),
    ]
