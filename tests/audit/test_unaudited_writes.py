"""Nothing reaches an audited table without an entry: bulk writes are refused, raw SQL is not used."""

import pathlib
import re

import pytest
from auditlog.registry import auditlog
from django.apps import apps
from django.db import transaction

from casework.audit.guard import AuditedQuerySet, UnauditedWrite, unaudited_writes
from casework.cases.models import Case, Contact
from tests.factories import make_contact

ROOT = pathlib.Path(__file__).resolve().parents[2] / "casework"
# Raw SQL, and where it is allowed: never on a case, access or identity table.
RAW_SQL = re.compile(r"\.raw\(|RawSQL|\.extra\(|cursor\(\)|_raw_delete\(")
RAW_SQL_ALLOWED = {
    "audit/chain.py": "reads the chain's head through casework_audit_head() on PostgreSQL",
    "cases/services/export.py": "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY for the export (PostgreSQL)",
    "demo/seeding.py": "seed_demo --reset, refused unless CASEWORK_DEBUG=1: bulk deletes of demo data",
    "keystore/services.py": "VACUUM of the key store's own tables after keys are destroyed (PostgreSQL)",
    "web/health.py": "SELECT 1 on each database, the health check's whole question",
    "audit/roles.py": "GRANT/REVOKE and role questions to PostgreSQL's catalogues, for least privilege",
    "audit/management/commands/db_roles.py": "runs the GRANT statements audit/roles.py writes",
    "backup/databases.py": "lists the tables of a database to restore into, which must have none",
    "backup/management/commands/restore_drill.py": "counts the rows of every table, in the drill's own databases",
}


def audited_models():
    return [model for model in apps.get_models() if auditlog.contains(model)]


def test_every_audited_model_refuses_bulk_writes_through_its_managers():
    models = audited_models()
    assert len(models) >= 12
    for model in models:
        assert issubclass(model._default_manager._queryset_class, AuditedQuerySet), model._meta.label


@pytest.mark.parametrize("write", ["update", "bulk_update", "bulk_create"])
def test_bulk_writes_are_refused(world, write):
    contact = make_contact(world.case, world.lead, notes="first")
    calls = {
        "update": lambda: world.case.contacts.update(notes="changed"),
        "bulk_update": lambda: Contact.objects.bulk_update([contact], ["notes"]),
        "bulk_create": lambda: Case.objects.bulk_create([]),
    }
    with pytest.raises(UnauditedWrite, match="bypass the audit trail"):
        calls[write]()
    contact.refresh_from_db()
    assert contact.notes == "first"


def test_an_explained_bulk_write_is_allowed(world):
    contact = make_contact(world.case, world.lead, notes="first")
    with unaudited_writes("a test of the escape hatch"):
        assert Contact.objects.filter(pk=contact.pk).update(safety_concern=True) == 1
    with pytest.raises(UnauditedWrite):
        Contact.objects.filter(pk=contact.pk).update(safety_concern=False)


def test_even_an_explained_bulk_write_cannot_put_clear_text_into_an_encrypted_field(world):
    contact = make_contact(world.case, world.lead, notes="first")
    writes = [
        lambda: Contact.objects.filter(pk=contact.pk).update(notes="changed"),
        lambda: Contact.objects.bulk_update([contact], ["notes"]),
    ]
    contact.notes = "changed"
    for write in writes:
        with unaudited_writes("a test"), pytest.raises(ValueError, match="encrypted"), transaction.atomic():
            write()
    assert Contact.objects.get(pk=contact.pk).notes == "first"


def test_no_raw_sql_outside_migrations_and_the_chain():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in f"/{relative}" or relative in RAW_SQL_ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if RAW_SQL.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
