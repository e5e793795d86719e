"""Backups encrypted to a public key: the server that makes them cannot read them.

Each file gets a fresh X25519 key pair; its private half is used once, for the
Diffie-Hellman agreement with the backup public key, and forgotten. HKDF-SHA256 turns the
shared secret into an AES-256-GCM key for that file alone. The data goes in records of at
most ``RECORD`` bytes, each sealed with its number and whether it is the last one (the
nonce), and the file's header (associated data): a record moved, dropped, changed, or a
file cut short, fails to open rather than restoring something else. Only the backup
private key, kept offline, opens a backup.

The file: ``MAGIC``, the file's public key (32 bytes), a salt (16 bytes), then records,
each a 4-byte big-endian length and the sealed bytes.
"""

import base64
import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"casework-backup-1\n"
RECORD = 1 << 20
_LENGTH = struct.Struct(">I")
_RAW = serialization.Encoding.Raw


class BackupError(Exception):
    """A backup that does not open: another key, or a file altered or cut short."""


def new_key_pair() -> tuple[str, str]:
    """(private, public), each 32 bytes in URL-safe base64."""
    private = X25519PrivateKey.generate()
    return _text(private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())), _text(
        private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    )


def public_key_of(private: str) -> str:
    key = X25519PrivateKey.from_private_bytes(_bytes(private))
    return _text(key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _bytes(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise BackupError("A backup key is 32 bytes in URL-safe base64 (python manage.py backup_key_new).")
    return raw


def _file_key(shared: bytes, salt: bytes, sender: bytes, recipient: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"casework backup" + sender + recipient)
    return AESGCM(derived.derive(shared))


def _nonce(number: int, last: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def seal(chunks: Iterable[bytes], out: BinaryIO, public: str) -> int:
    """Write ``chunks`` to ``out`` sealed to ``public``; the number of bytes sealed."""
    recipient = X25519PublicKey.from_public_bytes(_bytes(public))
    ephemeral = X25519PrivateKey.generate()
    sender = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    salt = os.urandom(16)
    header = MAGIC + sender + salt
    aead = _file_key(
        ephemeral.exchange(recipient), salt, sender, recipient.public_bytes(_RAW, serialization.PublicFormat.Raw)
    )
    out.write(header)
    total, number, pending = 0, 0, b""
    for chunk in _records(chunks):
        if number or pending:
            out.write(_sealed(aead, number, pending, header, last=False))
            number += 1
        pending = chunk
        total += len(chunk)
    out.write(_sealed(aead, number, pending, header, last=True))
    return total


def _records(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The data again, in records of exactly ``RECORD`` bytes (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= RECORD:
            yield bytes(buffer[:RECORD])
            del buffer[:RECORD]
    if buffer:
        yield bytes(buffer)


def _sealed(aead: AESGCM, number: int, data: bytes, header: bytes, *, last: bool) -> bytes:
    sealed = aead.encrypt(_nonce(number, last), data, header)
    return _LENGTH.pack(len(sealed)) + sealed


def opened(source: BinaryIO, private: str) -> Iterator[bytes]:
    """The data of a backup, record by record; BackupError if it does not open whole."""
    key = X25519PrivateKey.from_private_bytes(_bytes(private))
    header = source.read(len(MAGIC) + 48)
    if len(header) != len(MAGIC) + 48 or not header.startswith(MAGIC):
        raise BackupError("This is not a casework backup.")
    sender, salt = header[len(MAGIC) : len(MAGIC) + 32], header[len(MAGIC) + 32 :]
    recipient = key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    aead = _file_key(key.exchange(X25519PublicKey.from_public_bytes(sender)), salt, sender, recipient)
    number = 0
    while True:
        length = source.read(_LENGTH.size)
        if len(length) != _LENGTH.size:
            raise BackupError("The backup is cut short: its last part is missing.")
        sealed = source.read(_LENGTH.unpack(length)[0])
        last = source.peek(1) == b"" if hasattr(source, "peek") else _at_end(source)
        try:
            data = aead.decrypt(_nonce(number, last), sealed, header)
        except InvalidTag:
            raise BackupError("The backup does not open with this key, or it was altered or cut short.") from None
        yield data
        if last:
            return
        number += 1


def _at_end(source: BinaryIO) -> bool:
    here = source.tell()
    at_end = source.read(1) == b""
    source.seek(here)
    return at_end
