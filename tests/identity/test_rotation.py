"""rotate_field_keys: re-encrypting identities under a new key, in batches, without an edit."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from casework.audit.models import AuditEntry
from casework.identity import crypto, services
from casework.identity.management.commands import rotate_field_keys
from casework.identity.models import Identity

A, B, C = crypto.new_key(), crypto.new_key(), crypto.new_key()
FIRST = {
    "legal_name": "김영희",
    "other_names": ["王秀英", "Kim Young-hee"],
    "date_of_birth": datetime.date(1998, 3, 14),
}
SECOND = {"legal_name": "李美玲", "phones": ["+86 139 0000 1111"], "notes": "Lives near Yanji; 연길 근처"}
CLEAR = ["김영희", "王秀英", "Kim Young-hee", "1998-03-14", "李美玲", "+86 139 0000 1111", "Yanji", "연길"]


def kid(key):
    return crypto.key_id(crypto.parse_key(key, 1))


def rotate(**options):
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def two_identities(world, settings):
    """The identities of two cases, written under key A alone; returned in pk order."""
    settings.FIELD_KEYS = [A]
    services.identity_save(by=world.lead, case=world.case, values=FIRST)
    services.identity_save(by=world.other_team_worker, case=world.other_case, values=SECOND)
    return list(Identity.objects.order_by("pk"))


def key_ids(identity):
    identity.refresh_from_db()
    return {crypto.token_key_id(getattr(identity, name)) for name in identity.filled()}


def test_a_rotation_moves_every_value_to_the_new_key(two_identities, settings):
    before = [(identity.version, identity.updated_at, identity.updated_by_id) for identity in two_identities]
    updates = AuditEntry.objects.filter(event="identity.update").count()
    settings.FIELD_KEYS = [B, A]

    output = rotate(batch_size=1)

    settings.FIELD_KEYS = [B]  # the old key is gone: everything still reads
    first, second = (Identity.objects.get(pk=identity.pk) for identity in two_identities)
    assert first.read(list(FIRST)) == FIRST
    assert second.read(list(SECOND)) == SECOND
    assert key_ids(first) == key_ids(second) == {kid(B)}
    after = [(identity.version, identity.updated_at, identity.updated_by_id) for identity in (first, second)]
    assert after == before
    assert "rotated 1 of 2 identities (1 to go)" in output
    assert "rotated 2 of 2 identities (0 to go)" in output
    assert f"Done: 2 identities (6 values) re-encrypted under key {kid(B)}." in output
    assert not any(value in output for value in CLEAR)
    assert AuditEntry.objects.filter(event="identity.update").count() == updates
    entry = AuditEntry.objects.get(event="identity.rotate_keys")
    assert (entry.actor, entry.outcome, entry.additional_data) == (None, "ok", {"rotated": 2, "key": kid(B)})


def test_a_second_run_finds_nothing_and_records_nothing(two_identities, settings):
    settings.FIELD_KEYS = [B, A]
    rotate()
    output = rotate()
    assert output.strip() == f"Nothing to rotate: every identity value is under key {kid(B)}."
    assert AuditEntry.objects.filter(event="identity.rotate_keys").count() == 1


def test_nothing_to_rotate_on_a_fresh_install(db, settings):
    settings.FIELD_KEYS = [B]
    assert rotate().startswith("Nothing to rotate")
    assert not AuditEntry.objects.filter(event="identity.rotate_keys").exists()


def test_a_dry_run_checks_and_counts_but_changes_nothing(two_identities, settings):
    settings.FIELD_KEYS = [B, A]
    output = rotate(dry_run=True)
    assert "checked 2 of 2 identities (0 to go)" in output
    assert "Dry run: 2 identities (6 values) would be re-encrypted" in output
    assert all(key_ids(identity) == {kid(A)} for identity in two_identities)
    assert not AuditEntry.objects.filter(event="identity.rotate_keys").exists()


def test_a_wrong_key_fails_loudly_naming_the_key_never_the_value(two_identities, settings):
    settings.FIELD_KEYS = [C]
    with pytest.raises(crypto.DecryptionError, match=kid(A)) as error:
        two_identities[0].read()
    assert not any(value in str(error.value) for value in CLEAR)

    with pytest.raises(CommandError) as error:
        rotate()
    message = str(error.value)
    assert f"Identity {two_identities[0].pk}, field legal_name" in message
    assert kid(A) in message and "after the newest key" in message
    assert not any(value in message for value in [*CLEAR, A, C])
    assert key_ids(two_identities[0]) == {kid(A)}
    assert not AuditEntry.objects.filter(event="identity.rotate_keys").exists()


def test_it_stops_at_a_value_it_cannot_read_keeping_the_batches_before_it(world, settings):
    settings.FIELD_KEYS = [A]
    services.identity_save(by=world.lead, case=world.case, values=FIRST)
    settings.FIELD_KEYS = [C]  # the second identity under a key that is later lost
    services.identity_save(by=world.other_team_worker, case=world.other_case, values=SECOND)
    first, second = Identity.objects.order_by("pk")
    settings.FIELD_KEYS = [B, A]

    with pytest.raises(CommandError, match=f"Identity {second.pk}, field legal_name"):
        rotate(batch_size=1)

    assert key_ids(first) == {kid(B)}
    assert key_ids(second) == {kid(C)}
    entry = AuditEntry.objects.get(event="identity.rotate_keys")
    assert (entry.outcome, entry.additional_data) == ("error", {"rotated": 1, "key": kid(B)})


def test_an_interrupted_rotation_resumes_where_it_stopped(two_identities, settings, monkeypatch):
    settings.FIELD_KEYS = [B, A]
    rotate_one = rotate_field_keys.Command._rotate
    calls = []

    def power_cut_at_the_second_identity(self, identity, *, save):
        calls.append(identity.pk)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return rotate_one(self, identity, save=save)

    monkeypatch.setattr(rotate_field_keys.Command, "_rotate", power_cut_at_the_second_identity)
    with pytest.raises(RuntimeError):
        rotate(batch_size=1)
    first, second = two_identities
    assert (key_ids(first), key_ids(second)) == ({kid(B)}, {kid(A)})

    monkeypatch.setattr(rotate_field_keys.Command, "_rotate", rotate_one)
    output = rotate(batch_size=1)
    assert "rotated 1 of 1 identities (0 to go)" in output
    settings.FIELD_KEYS = [B]
    assert key_ids(first) == key_ids(second) == {kid(B)}
    assert second.read(list(SECOND)) == SECOND
    entries = AuditEntry.objects.filter(event="identity.rotate_keys").order_by("pk")
    assert [(entry.outcome, entry.additional_data["rotated"]) for entry in entries] == [("error", 1), ("ok", 1)]


def test_the_batch_size_must_be_positive(db):
    with pytest.raises(CommandError, match="at least 1"):
        rotate(batch_size=0)
