"""audit_export, audit_checkpoint and audit_verify against a signed checkpoint."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from casework.audit import checkpoint
from casework.audit.models import AuditEntry
from casework.audit.services import record
from tests.audit.test_chain import sql

TABLE = AuditEntry._meta.db_table


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def keys(settings):
    settings.AUDIT_SIGNING_KEY, settings.AUDIT_PUBLIC_KEY = checkpoint.new_keypair()
    return settings


def test_export_prints_one_json_line_per_entry_with_the_agreed_keys(world):
    record(event="export.csv", actor=world.lead, case=world.case, reason="because")
    lines = [json.loads(line) for line in run("audit_export", "--case", world.case.display_code).splitlines()]
    assert lines and all(line["case_code"] == world.case.code for line in lines)
    mine = [line for line in lines if line["event"] == "export.csv"]
    assert len(mine) == 1
    assert {"seq", "timestamp", "actor", "event", "case_code", "outcome", "reason"} <= set(mine[0])
    assert (mine[0]["actor"], mine[0]["reason"], mine[0]["outcome"]) == ("lead", "because", "ok")
    seqs = [line["seq"] for line in lines]
    assert seqs == sorted(seqs)


def test_export_filters_by_actor_and_date(world):
    record(event="export.csv", actor=world.admin)
    by_admin = run("audit_export", "--actor", "admin").splitlines()
    assert by_admin and all(json.loads(line)["actor"] == "admin" for line in by_admin)
    assert run("audit_export", "--since", "2999-01-01") == ""
    with pytest.raises(CommandError):
        run("audit_export", "--since", "yesterday")


def test_a_checkpoint_is_signed_and_verifies(world, keys, tmp_path):
    signed = json.loads(run("audit_checkpoint"))
    head = AuditEntry.objects.order_by("-seq").first()
    assert (signed["seq"], signed["entry_hash"]) == (head.seq, head.entry_hash)
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(signed))
    record(event="case.list", actor=world.lead)
    assert "matches the signed checkpoint" in run("audit_verify", "--checkpoint", str(path))


def test_a_rewritten_chain_fails_against_the_checkpoint(world, keys, tmp_path):
    """Recomputing every hash after an edit keeps the chain consistent, not the checkpoint."""
    path = tmp_path / "checkpoint.json"
    path.write_text(run("audit_checkpoint"))
    from casework.audit import chain

    prev = chain.GENESIS
    for entry in AuditEntry.objects.order_by("seq"):
        if entry.seq == 2:
            entry.reason = "rewritten"
        new_hash = chain.entry_hash(prev, entry)
        sql(
            "UPDATE audit_auditentry SET reason = %s, prev_hash = %s, entry_hash = %s WHERE seq = %s",
            [entry.reason, prev, new_hash, entry.seq],
        )
        prev = new_hash
    assert "intact" in run("audit_verify")
    with pytest.raises(CommandError, match="does not match the checkpoint"):
        run("audit_verify", "--checkpoint", str(path))


def test_a_forged_checkpoint_is_refused(world, keys, tmp_path):
    signed = json.loads(run("audit_checkpoint"))
    signed["seq"] -= 1
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(signed))
    with pytest.raises(CommandError, match="signature"):
        run("audit_verify", "--checkpoint", str(path))


def test_without_a_signing_key_the_checkpoint_says_how_to_make_one(world, settings):
    settings.AUDIT_SIGNING_KEY = None
    with pytest.raises(CommandError, match="--new-key"):
        run("audit_checkpoint")


def test_an_archived_trail_verifies_from_its_checkpoint(world, keys, tmp_path):
    path = tmp_path / "checkpoint.json"
    path.write_text(run("audit_checkpoint"))
    archived = json.loads(path.read_text())["seq"]
    record(event="case.list", actor=world.lead)
    sql("DELETE FROM audit_auditentry WHERE seq <= %s", [archived])
    with pytest.raises(CommandError, match="seq 1: missing"):
        run("audit_verify")
    # test.after, then the failed run's own audit.verify entry
    assert f"intact: entries {archived + 1:,} to {archived + 2:,}" in run(
        "audit_verify", "--from-checkpoint", str(path)
    )
