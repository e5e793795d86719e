"""A backup opens with its private key only, and only whole: nothing altered, moved or cut."""

import io
import os

import pytest

from casework.backup import envelope


@pytest.fixture
def keys():
    return envelope.new_key_pair()


@pytest.fixture
def small_records(monkeypatch):
    monkeypatch.setattr(envelope, "RECORD", 1000)


def sealed(data, public, chunk=333):
    out = io.BytesIO()
    envelope.seal((data[i : i + chunk] for i in range(0, len(data), chunk)), out, public)
    return out.getvalue()


def opened(blob, private):
    return b"".join(envelope.opened(io.BytesIO(blob), private))


def records(blob):
    """The header and each sealed record, as written."""
    header, rest = blob[: len(envelope.MAGIC) + 48], blob[len(envelope.MAGIC) + 48 :]
    parts = []
    while rest:
        length = int.from_bytes(rest[:4], "big")
        parts.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return header, parts


@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 4321])
def test_what_is_sealed_opens_again_whole(keys, small_records, size):
    private, public = keys
    data = os.urandom(size)
    blob = sealed(data, public)
    assert opened(blob, private) == data
    # Nothing in clear. A run of random bytes this short turns up in any
    # ciphertext by chance (one byte in about one blob in five), so the
    # clear-text check needs a stretch long enough to mean something.
    if size >= 16:
        assert data not in blob


def test_a_recognisable_text_is_nowhere_in_the_sealed_file(keys, small_records):
    _private, public = keys
    canary = b"CANARY-backup-clear-text " * 200  # spans several small records
    blob = sealed(canary, public)
    assert b"CANARY" not in blob
    assert canary[:16] not in blob


def test_two_backups_of_the_same_data_differ(keys):
    _private, public = keys
    assert sealed(b"same", public) != sealed(b"same", public)  # a fresh key per file


def test_another_key_does_not_open_it(keys):
    _private, public = keys
    other_private, _other_public = envelope.new_key_pair()
    with pytest.raises(envelope.BackupError, match="does not open"):
        opened(sealed(b"data", public), other_private)


def test_a_changed_byte_anywhere_is_refused(keys, small_records):
    private, public = keys
    blob = sealed(os.urandom(2500), public)
    for position in (len(envelope.MAGIC) + 5, len(envelope.MAGIC) + 40, len(blob) // 2, len(blob) - 1):
        changed = bytearray(blob)
        changed[position] ^= 1
        with pytest.raises(envelope.BackupError):
            opened(bytes(changed), private)


def test_records_cut_moved_dropped_or_added_are_refused(keys, small_records):
    private, public = keys
    header, parts = records(sealed(os.urandom(3500), public))
    assert len(parts) == 4
    for altered in (
        parts[:-1],  # cut short at a record's end
        [parts[0], parts[2], parts[1], parts[3]],  # reordered
        [parts[0], parts[1], parts[3]],  # one dropped
        [*parts, parts[1]],  # one added after the last
        [parts[0]],  # only the first
    ):
        with pytest.raises(envelope.BackupError):
            opened(header + b"".join(altered), private)


def test_a_file_that_is_not_a_backup_is_refused(keys):
    private, _public = keys
    with pytest.raises(envelope.BackupError, match="not a casework backup"):
        opened(b"PGDMP" + os.urandom(100), private)


def test_a_malformed_key_is_refused_with_a_plain_message():
    with pytest.raises(envelope.BackupError, match="32 bytes"):
        envelope.public_key_of("not a key")
