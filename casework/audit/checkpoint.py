"""Signed checkpoints of the chain's head, to keep outside the database.

A checkpoint says "entry ``seq`` had hash ``entry_hash``", signed with an Ed25519 key that
the database never holds (``CASEWORK_AUDIT_SIGNING_KEY``). Whoever can rewrite the whole
table can recompute a consistent chain; he cannot make it agree with a checkpoint kept
elsewhere. ``audit_verify --checkpoint FILE`` checks it with ``CASEWORK_AUDIT_PUBLIC_KEY``.
"""

import base64
import binascii
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


class CheckpointError(Exception):
    pass


def _b64(data):
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text, what):
    try:
        data = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        data = b""
    if len(data) != 32:
        raise ImproperlyConfigured(f"{what} is not 32 bytes in URL-safe base64.")
    return data


def new_keypair():
    private = Ed25519PrivateKey.generate()
    return _b64(private.private_bytes_raw()), _b64(public_bytes(private.public_key()))


def public_bytes(public):
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signing_key():
    text = settings.AUDIT_SIGNING_KEY
    if not text:
        raise ImproperlyConfigured(
            "CASEWORK_AUDIT_SIGNING_KEY is not set; make a key pair with: python manage.py audit_checkpoint --new-key"
        )
    return Ed25519PrivateKey.from_private_bytes(_unb64(text, "CASEWORK_AUDIT_SIGNING_KEY"))


def verifying_key():
    text = settings.AUDIT_PUBLIC_KEY
    if text:
        return Ed25519PublicKey.from_public_bytes(_unb64(text, "CASEWORK_AUDIT_PUBLIC_KEY"))
    if settings.AUDIT_SIGNING_KEY:
        return signing_key().public_key()
    raise ImproperlyConfigured("Set CASEWORK_AUDIT_PUBLIC_KEY to check a checkpoint.")


def _message(seq, entry_hash, signed_at):
    return f"casework audit checkpoint\n{seq}\n{entry_hash}\n{signed_at}".encode()


def sign(seq, entry_hash):
    key = signing_key()
    signed_at = timezone.now().isoformat(timespec="seconds")
    return {
        "seq": seq,
        "entry_hash": entry_hash,
        "signed_at": signed_at,
        "public_key": _b64(public_bytes(key.public_key())),
        "signature": _b64(key.sign(_message(seq, entry_hash, signed_at))),
    }


def load(text):
    """A checkpoint read from ``text``, its signature checked with the trusted public key."""
    try:
        data = json.loads(text)
        seq, entry_hash, signed_at = int(data["seq"]), str(data["entry_hash"]), str(data["signed_at"])
        signature = base64.urlsafe_b64decode(str(data["signature"]).encode())
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise CheckpointError("The checkpoint file is not a casework checkpoint.") from None
    try:
        verifying_key().verify(signature, _message(seq, entry_hash, signed_at))
    except InvalidSignature:
        raise CheckpointError("The checkpoint's signature does not match the trusted public key.") from None
    return seq, entry_hash
