"""The blind index: keyed digests (HMAC-SHA256 under the blind-index key derived from
CASEWORK_INDEX_KEY, see casework.keys) of normalised names
with the birth date, and of phone numbers. Equal inputs give equal digests, so duplicates
are found with an indexed lookup, and nobody without the key can test a guess against them.
"""

from casework import keys
from casework.identity.models import IndexKind
from casework.identity.normalise import name_keys, phone_key


def digest(kind, value):
    message = f"casework identity index\0{kind}\0{value}".encode()
    return keys.keyed_hash(keys.BLIND_INDEX, message)


def digests(values):
    """``{(kind, digest)}`` for an identity's clear ``values`` (legal and other names with the
    birth date, each phone)."""
    born = values.get("date_of_birth")
    born = born.isoformat() if born else ""
    found = set()
    for name in [values.get("legal_name") or "", *(values.get("other_names") or [])]:
        for key in name_keys(name):
            found.add((IndexKind.NAME, digest(IndexKind.NAME, f"{key}\0{born}")))
    for phone in values.get("phones") or []:
        key = phone_key(phone)
        if key:
            found.add((IndexKind.PHONE, digest(IndexKind.PHONE, key)))
    return found
