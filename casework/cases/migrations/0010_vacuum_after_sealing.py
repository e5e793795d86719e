from django.db import migrations

# The tables whose values the upgrade to per-case keys sealed in place.
SEALED_TABLES = [
    "cases_case",
    "cases_contact",
    "cases_supportneed",
    "cases_referral",
    "cases_referralstep",
    "identity_identity",
    "partners_packet",
]


def rewrite_tables(apps, schema_editor):
    """PostgreSQL keeps each row's old version, clear text and all, in the table's file after
    an UPDATE, until VACUUM; VACUUM FULL writes each table anew, holding only what is current.
    (SQLite overwrites in place: it runs with secure_delete.)"""
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.alias == "keystore":
        return
    with connection.cursor() as cursor:
        for table in SEALED_TABLES:
            cursor.execute(f"VACUUM FULL {connection.ops.quote_name(table)}")


class Migration(migrations.Migration):
    # VACUUM cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("cases", "0009_sealed_free_text"),
        ("identity", "0003_seal_under_case_keys"),
        ("partners", "0004_sealed_packet_note"),
    ]

    operations = [migrations.RunPython(rewrite_tables, migrations.RunPython.noop)]
