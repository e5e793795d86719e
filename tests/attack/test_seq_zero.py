"""An entry numbered 0 is outside the chain and still on the review pages.

A full ``audit_verify`` walks ``seq > 0`` from the genesis hash; ``seq`` is a
PositiveBigIntegerField, so 0 is a valid, unique value that no walk ever reads. Someone with
write access but no chain key can insert one forged entry there (a night-time reveal by a
caseworker he wants blamed, a refused sign-in) and every verification says the trail is
intact, while the supervisors' review pages and flags show it.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from casework.audit import verification
from casework.audit.models import AuditEntry
from casework.audit.services import record
from tests.audit.test_chain import sql

pytestmark = pytest.mark.django_db


def forge_at_zero(template_seq, **changes):
    columns = [field.column for field in AuditEntry._meta.concrete_fields if field.column != "id"]
    chosen = [f"%s AS {name}" if name in changes or name == "seq" else name for name in columns]
    params = [0 if name == "seq" else changes[name] for name in columns if name in changes or name == "seq"]
    template = "INSERT INTO audit_auditentry ({}) SELECT {} FROM audit_auditentry WHERE seq = %s"
    statement = template.format(", ".join(columns), ", ".join(chosen))  # the model's own columns
    sql(statement, [*params, template_seq])


def test_an_entry_outside_the_chain_is_never_shown_as_genuine(world, sign_in):
    real = record(
        event="identity.reveal",
        actor=world.supervisor,
        case=world.case,
        reason="Safety plan",
        details={"fields": ["legal_name"], "purpose": "safety"},
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        forge_at_zero(real.seq, actor_id=world.lead.pk, reason="Selling it")  # the database refuses it
    if connection.vendor != "postgresql":
        return
    # An owner can drop the constraint first: then the full walk names the entry outside the chain.
    sql("ALTER TABLE audit_auditentry DROP CONSTRAINT audit_seq_in_chain")
    forge_at_zero(real.seq, actor_id=world.lead.pk, reason="Selling it")
    run = verification.verify_chain()
    assert (run.ok, run.problem_seq) == (False, 0)
    client = Client()
    sign_in(client, world.supervisor)
    assert "failed verification" in client.get(reverse("audit:trail")).content.decode()
