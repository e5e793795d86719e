"""The chain is keyed: someone who can write to the database but does not hold
CASEWORK_AUDIT_CHAIN_KEY cannot rewrite history and recompute it. Keys rotate by segment;
verification runs incrementally on a schedule and leaves its own trace."""

import hashlib

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.audit import chain, verification
from casework.audit.models import AuditEntry, ChainVerification
from casework.audit.services import record
from tests.audit.test_chain import broken_at, sql, verify
from tests.factories import make_admin, make_caseworker, make_org, make_team
from tests.signing import sign_in

NEW_KEY = "test-only-next-chain-key-5b8e1d4a7c2f9e"


@pytest.fixture
def person(db):
    org = make_org("keyed-org")
    return make_caseworker(org, make_team(org, "keyed-team"), username="keyed")


def write(person, count, event="case.list"):
    for number in range(count):
        record(event=event, actor=person, reason=f"entry {number}")


def rewrite_from(seq, hasher, chain_key, reason="nothing happened"):
    """What a forger with write access does: change entry ``seq`` (unless ``reason`` is None)
    and re-link it and every entry after it with ``hasher(prev_hash, entry)``, so that the
    links agree again."""
    if reason is not None:
        sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", [reason, seq])
    entries = list(AuditEntry.objects.filter(seq__gte=seq).order_by("seq"))
    prev_hash = chain.GENESIS if seq == 1 else AuditEntry.objects.get(seq=seq - 1).entry_hash
    for entry in entries:
        entry.prev_hash, entry.chain_key = prev_hash, chain_key
        entry.entry_hash = prev_hash = hasher(prev_hash, entry)
        sql(
            "UPDATE audit_auditentry SET prev_hash = %s, entry_hash = %s, chain_key = %s WHERE seq = %s",
            [entry.prev_hash, entry.entry_hash, entry.chain_key, entry.seq],
        )


def test_an_entry_rewritten_with_a_plain_sha256_chain_is_detected(person):
    write(person, 6)
    target = AuditEntry.objects.order_by("seq")[3].seq

    def sha256(prev_hash, entry):
        return hashlib.sha256((prev_hash + chain.canonical(entry)).encode()).hexdigest()

    rewrite_from(target, sha256, chain_key="")
    assert f"seq {target}: it is not keyed" in broken_at()


def test_an_entry_rewritten_under_a_guessed_key_is_detected(person):
    write(person, 6)
    target = AuditEntry.objects.order_by("seq")[3].seq
    real_name = chain.key_id(chain.current_key())
    rewrite_from(target, lambda prev, entry: chain.entry_hash(prev, entry, key="a-guess"), chain_key=real_name)
    assert f"seq {target}: its content was changed" in broken_at()
    rewrite_from(target, lambda prev, entry: chain.entry_hash(prev, entry, key="a-guess"), chain_key="0123456789ab")
    assert f"seq {target}: it was hashed under a key this server does not hold" in broken_at()


def test_the_hash_is_an_hmac_under_the_chain_key_never_stored(person):
    write(person, 2)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.chain_key == chain.key_id(settings.AUDIT_CHAIN_KEY) != settings.AUDIT_CHAIN_KEY[:12]
    assert entry.entry_hash == chain.entry_hash(entry.prev_hash, entry, key=settings.AUDIT_CHAIN_KEY)
    assert entry.entry_hash != chain.unkeyed_hash(entry.prev_hash, entry)


def test_a_rotated_key_closes_a_segment_that_the_retired_key_still_verifies(person, settings):
    old = settings.AUDIT_CHAIN_KEY
    write(person, 3)
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_RETIRED_KEYS = NEW_KEY, [old]
    write(person, 3)
    names = list(AuditEntry.objects.order_by("seq").values_list("chain_key", flat=True))
    assert names[0] == names[-4] == chain.key_id(old) and names[-3:] == [chain.key_id(NEW_KEY)] * 3
    assert "intact" in verify()
    settings.AUDIT_CHAIN_RETIRED_KEYS = []
    assert "a key this server does not hold" in broken_at()


def test_a_retired_key_cannot_be_used_again_after_its_segment_closed(person, settings):
    old = settings.AUDIT_CHAIN_KEY
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_RETIRED_KEYS = NEW_KEY, [old]
    write(person, 2)
    settings.AUDIT_CHAIN_KEY, settings.AUDIT_CHAIN_RETIRED_KEYS = old, [NEW_KEY]  # someone kept the old key
    write(person, 1)
    last = AuditEntry.objects.order_by("-seq").first().seq
    assert f"seq {last}: it goes back to a chain key that was already retired" in broken_at()


def test_entries_from_before_the_keyed_chain_pass_only_up_to_the_configured_seq(person, settings):
    write(person, 4)
    rewrite_from(1, chain.unkeyed_hash, chain_key="", reason=None)  # a trail from before the key
    last = AuditEntry.objects.order_by("-seq").first().seq
    assert "seq 1: it is not keyed" in broken_at()
    settings.AUDIT_CHAIN_UNKEYED_UNTIL = last
    assert "intact" in verify()  # its own audit.verify entry is keyed, after the old segment
    write(person, 1)
    rewrite_from(last + 3, chain.unkeyed_hash, chain_key="", reason=None)
    assert f"seq {last + 3}: it is not keyed" in broken_at()


# Incremental verification ------------------------------------------------------------------


def test_an_incremental_run_reads_only_the_new_entries(person):
    write(person, 5)
    verification.verify_chain()

    def incremental_after(count):
        write(person, count)
        with CaptureQueriesContext(connection) as queries:
            run = verification.verify_chain(incremental=True)
        return run, len(queries)

    small, small_queries = incremental_after(3)
    # Each run's own audit.verify entry is new to the next run, too.
    assert (small.ok, small.entries) == (True, 3 + 1)
    large, large_queries = incremental_after(30)
    assert (large.ok, large.entries) == (True, 30 + 1)
    assert small_queries == large_queries
    assert large.from_seq == small.up_to_seq


def test_an_incremental_run_notices_a_change_at_where_it_resumes(person):
    write(person, 4)
    run = verification.verify_chain()
    sql("UPDATE audit_auditentry SET entry_hash = %s WHERE seq = %s", ["f" * 64, run.up_to_seq])
    again = verification.verify_chain(incremental=True)
    assert (again.ok, again.problem_seq) == (False, run.up_to_seq)


def test_a_full_run_finds_what_an_incremental_run_does_not_read(person):
    write(person, 4)
    verification.verify_chain()
    first = AuditEntry.objects.order_by("seq").first().seq
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["nothing to see", first])
    assert verification.verify_chain(incremental=True).ok  # it starts after what it verified before
    full = verification.verify_chain()
    assert (full.ok, full.problem_seq) == (False, first)


def test_a_verification_record_written_without_the_key_is_not_trusted(person):
    write(person, 4)
    forged = ChainVerification(kind="full", from_seq=0, up_to_seq=4, up_to_hash="0" * 64, entries=4, ok=True)
    forged.mac = "0" * 64
    forged.save()
    assert not forged.is_genuine()
    assert verification.resume_point() == verification.Start(0, chain.GENESIS)
    latest = verification.latest()
    assert (latest.pk, latest.ok) == (forged.pk, False)  # /audit/ says the record was altered


def test_every_run_is_recorded_with_its_outcome(person):
    write(person, 3)
    verify()
    assert verification.failed() is None
    first = AuditEntry.objects.order_by("seq").first().seq
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["edited", first])
    with pytest.raises(CommandError):
        verify()
    runs = AuditEntry.objects.filter(event="audit.verify").order_by("seq")
    assert [entry.outcome for entry in runs] == ["ok", "error"]
    assert runs[1].additional_data["broken_at"] == first
    assert verification.failed().problem_seq == first


def test_the_audit_middleware_is_the_last_that_handles_views():
    """It calls the view itself in its transaction: a process_view after it would be skipped."""
    from django.utils.module_loading import import_string

    names = settings.MIDDLEWARE
    after = names[names.index("casework.audit.middleware.AuditContextMiddleware") + 1 :]
    assert [name for name in after if hasattr(import_string(name), "process_view")] == []


# What the people who rely on it see -------------------------------------------------------


def test_the_trail_page_says_how_far_the_chain_was_verified(client, world):
    sign_in(client, world.supervisor)
    assert "has not been verified yet" in client.get(reverse("audit:trail")).content.decode()
    run = verification.verify_chain()
    page = client.get(reverse("audit:trail")).content.decode()
    assert f"verified intact up to entry {run.up_to_seq}" in page


def test_a_failed_verification_is_on_the_home_page_of_every_supervisor_and_admin(world):
    first = AuditEntry.objects.order_by("seq").first().seq
    verification.verify_chain()
    personas = [world.supervisor, world.other_supervisor, world.head, world.admin, world.lead]
    for user in personas:
        assert "failed verification" not in home_of(user)
    sql("UPDATE audit_auditentry SET reason = %s WHERE seq = %s", ["edited", first])
    verification.verify_chain(incremental=False)
    outsider_admin = make_admin(world.other_org, username="other_org_admin")
    for user in [*personas[:4], outsider_admin]:
        assert f"Entry {first} does not match the chain" in home_of(user), user.username
    assert "failed verification" not in home_of(world.lead)  # a caseworker cannot act on it


def home_of(user):
    client = Client()
    sign_in(client, user)
    return client.get(reverse("home")).content.decode()
