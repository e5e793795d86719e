"""Encryption of identity values: AES-256-GCM under the keys of ``CASEWORK_FIELD_KEYS``.

Why AES-GCM and not Fernet: every value is bound to where it belongs (the case and the
field, as associated data), so a database operator who copies one survivor's encrypted
name onto another case, or a phone number into the name column, gets a loud failure
instead of a plausible wrong identity. Each token names the key it was made with, so
with several keys configured (newest first) decryption picks the right one at once and
``rotate_field_keys`` knows which values still need re-encrypting.

A token reads ``cw2:<key id>:<base64 of nonce + ciphertext + tag>``. The key id is a
short hash of the key, not the key. Nothing here ever derives from ``SECRET_KEY``.

``cw2`` tokens are sealed with a context that also names the record's version (see
``Identity._context``), so an older value of the same field cannot be put back undetected.
``cw1`` tokens, from before, were bound to case and field only: ordinary reads refuse
them; only the upgrade (identity migration 0002) and ``rotate_field_keys --seal-legacy``
read them, with ``legacy_context``, to seal them again as ``cw2``.
"""

import base64
import binascii
import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "cw2"
LEGACY_PREFIX = "cw1"  # bound to case and field, not to the version
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionError(Exception):
    """A stored value could not be decrypted. The message never holds the value or a key."""


def new_key() -> str:
    """A fresh key in the form ``CASEWORK_FIELD_KEYS`` takes: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"casework field key id\0" + key).hexdigest()[:8]


def parse_key(text: str, position: int) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"Key {position} of CASEWORK_FIELD_KEYS is not 32 random bytes in URL-safe base64. "
            f"Generate one with: python manage.py field_key_new"
        )
    return key


@lru_cache(maxsize=4)
def _keyring(configured: tuple[str, ...]) -> list[tuple[str, AESGCM]]:
    keys = [parse_key(text, position) for position, text in enumerate(configured, start=1)]
    if not keys:
        raise ImproperlyConfigured("CASEWORK_FIELD_KEYS holds no key.")
    return [(key_id(key), AESGCM(key)) for key in keys]


def keyring() -> list[tuple[str, AESGCM]]:
    """The configured keys as ``[(key id, cipher)]``, newest first."""
    return _keyring(tuple(settings.FIELD_KEYS))


def newest_key_id() -> str:
    return keyring()[0][0]


def encrypt(plaintext: str, context: str) -> str:
    """Encrypt ``plaintext`` (str) bound to ``context`` (str: where the value belongs)."""
    kid, cipher = keyring()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def token_key_id(token: str) -> str | None:
    parts = token.split(":")
    return parts[1] if len(parts) == 3 and parts[0] in (PREFIX, LEGACY_PREFIX) else None


def is_legacy(token: str) -> bool:
    return token.startswith(f"{LEGACY_PREFIX}:")


def decrypt(token: str, context: str, legacy_context: str | None = None) -> str:
    """The plaintext of ``token``, or DecryptionError saying why (never what). A legacy
    token is read only when ``legacy_context`` is given (by the upgrade and key rotation)."""
    kid = token_key_id(token)
    if kid is None:
        raise DecryptionError("A stored identity value is not in the expected encrypted form.")
    if is_legacy(token):
        if legacy_context is None:
            raise DecryptionError(
                "A stored identity value is in the old form, not bound to its record's version: left "
                "over from the upgrade (see rotate_field_keys --seal-legacy), or put back by hand."
            )
        context = legacy_context
    cipher = dict(keyring()).get(kid)
    if cipher is None:
        raise DecryptionError(
            f"A stored identity value was encrypted with key {kid}, which is not in CASEWORK_FIELD_KEYS. "
            "Put that key back (after the newest one) and run rotate_field_keys before removing it."
        )
    try:
        raw = base64.urlsafe_b64decode(token.split(":")[2].encode())
        return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(
            f"A stored identity value does not decrypt with key {kid}: the key is wrong, "
            "or the value was altered or moved from another case or field."
        ) from None


# Values under a case's own key (casework.keystore): ``cw3:<base64 of nonce + ciphertext + tag>``.
# No key id: the key is the one of the case the value belongs to, named by its context.
CASE_PREFIX = "cw3"


def seal(key: bytes, plaintext: str, context: str) -> str:
    """``plaintext`` encrypted under ``key`` (a case's), bound to ``context``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{CASE_PREFIX}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def is_sealed(token: str) -> bool:
    return token.startswith(f"{CASE_PREFIX}:")


def unseal(key: bytes, token: str, context: str) -> str:
    """The plaintext of a ``seal`` token, or DecryptionError saying why (never what)."""
    if not is_sealed(token):
        raise DecryptionError("A stored value is not in the expected encrypted form.")
    try:
        raw = base64.urlsafe_b64decode(token[len(CASE_PREFIX) + 1 :].encode())
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode()).decode()
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(
            "A stored value does not decrypt with its case's key: it was altered, or moved from another "
            "case, record or field."
        ) from None
