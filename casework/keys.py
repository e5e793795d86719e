"""Keys derived from ``CASEWORK_INDEX_KEY``, one per purpose, with HKDF-SHA256.

One secret keys three kinds of keyed hash: the identity blind index, the client-address
hashes of the audit trail, and the lockout counters. Under one key, a value hashed for
one purpose could be tested against another's (an address hash looked up among the
lockout keys, a phone number's digest compared with something typed into a username
field). Each purpose gets its own key, derived with its own label, so no digest of one
can be matched with a digest of another, and none reveals the secret they come from.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# The HKDF "info" labels. Changing one changes every digest of that purpose: the blind
# index must then be rebuilt (manage.py reindex_identities).
BLIND_INDEX = b"casework blind index v1"
ADDRESS_HASH = b"casework address hash v1"
LOCKOUT = b"casework lockout v1"
# The audit review pages name entries (a page's continuation, a flag) without their seq:
# a reviewer who saw the numbering would count the entries hidden from her.
AUDIT_REFERENCE = b"casework audit reference v1"
PURPOSES = (BLIND_INDEX, ADDRESS_HASH, LOCKOUT, AUDIT_REFERENCE)


@lru_cache(maxsize=16)
def _derive(secret: str, purpose: bytes) -> bytes:
    if purpose not in PURPOSES:
        raise ValueError("Unknown key purpose.")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret.encode())


def derived_key(purpose: bytes) -> bytes:
    """The 32-byte key for ``purpose`` (one of PURPOSES), derived from CASEWORK_INDEX_KEY."""
    return _derive(settings.INDEX_KEY, purpose)


def keyed_hash(purpose: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under the key of ``purpose``, as hex."""
    return hmac.new(derived_key(purpose), message, hashlib.sha256).hexdigest()


def seal_number(purpose: bytes, number: int) -> str:
    """``number`` encrypted (AES-GCM under the key of ``purpose``) into an opaque, URL-safe
    token: it can be handed out and taken back, but neither read nor made up."""
    nonce = os.urandom(12)
    sealed = AESGCM(derived_key(purpose)).encrypt(nonce, str(number).encode(), purpose)
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_number(purpose: bytes, token: str) -> int | None:
    """The number sealed in ``token`` by seal_number, or None for anything else."""
    try:
        data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return int(AESGCM(derived_key(purpose)).decrypt(data[:12], data[12:], purpose))
    except (ValueError, TypeError, InvalidTag):
        return None
