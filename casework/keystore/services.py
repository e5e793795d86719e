"""Each case's own key, and each organisation's: made, found, destroyed.

Every value that could identify a survivor, and every free-text field of her case, is
encrypted under her case's key (casework.keystore.fields, casework.identity.models). The
keys are kept in their own database (casework.keystore.router), so that erasing a case is
destroying one row there: the copies of her values in the main database's backups, made
before, then open no more.

Keys opened during a request are kept in memory, per thread, until it ends (``forget``, called by
casework.keystore.middleware), so a page of notes costs one query for its case's key, not
one per note. The audit trail, whose pages show reasons typed about many cases, opens their
keys together (``open_keys``).
"""

import base64
import os
import threading
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from casework.identity import crypto
from casework.keystore.models import CaseKey, OrganisationKey
from casework.keystore.router import ALIAS

KEY_BYTES = 32
# Keys made for a case whose transaction then failed belong to no case; ``sweep`` destroys
# them once they are older than this. Generous: a migration or a bulk load may hold its new
# cases uncommitted for hours, and an orphan's key seals nothing that was ever stored.
ORPHAN_AGE = timedelta(days=2)
_CACHE_LIMIT = 4096


class KeyErased(crypto.DecryptionError):
    """The case's key is no longer in the key store: the case was erased."""


class _Held(threading.local):
    """Keys opened in this thread's request (ref → key bytes), organisation keys (id → key
    bytes), and which key each case loaded in it uses (case pk → (ref, organisation id)).
    Per thread: a threaded server's requests never share them. Cleared at each request's end."""

    def __init__(self) -> None:
        self.case_keys: dict[uuid.UUID, bytes] = {}
        self.organisation_keys: dict[int, bytes] = {}
        self.case_refs: dict[int, tuple[uuid.UUID, int]] = {}


_held = _Held()


def forget() -> None:
    """Drop every key held in memory (at the end of each request, after an erasure)."""
    _held.case_keys.clear()
    _held.organisation_keys.clear()
    _held.case_refs.clear()


def held() -> int:
    """How many keys this thread holds in memory (for tests)."""
    return len(_held.case_keys) + len(_held.organisation_keys) + len(_held.case_refs)


def remember_case(case_pk: int, ref: uuid.UUID, organisation_id: int) -> None:
    """Note which key the case ``case_pk`` uses (called whenever a case is loaded)."""
    if len(_held.case_refs) > _CACHE_LIMIT:
        _held.case_refs.clear()
    _held.case_refs[case_pk] = (ref, organisation_id)


def _organisation_context(organisation_id: int) -> str:
    return f"organisation key:{organisation_id}"


def _case_context(ref: uuid.UUID) -> bytes:
    return b"case key:" + ref.bytes


def _open_organisation_key(row: OrganisationKey) -> bytes:
    key = _held.organisation_keys.get(row.organisation_id)
    if key is None:
        key = base64.urlsafe_b64decode(crypto.decrypt(row.sealed, _organisation_context(row.organisation_id)))
        _held.organisation_keys[row.organisation_id] = key
    return key


def _organisation_row(organisation_id: int, *, create: bool) -> OrganisationKey | None:
    row = OrganisationKey.objects.filter(organisation_id=organisation_id).first()
    if row is None and create:
        sealed = crypto.encrypt(crypto.new_key(), _organisation_context(organisation_id))
        try:
            with transaction.atomic(using=ALIAS):
                row = OrganisationKey.objects.create(organisation_id=organisation_id, sealed=sealed)
        except IntegrityError:  # made meanwhile by another request
            row = OrganisationKey.objects.get(organisation_id=organisation_id)
    return row


def organisation_key(organisation_id: int, *, create: bool = False) -> bytes:
    """The key of the organisation (made if ``create`` and missing); KeyErased if it has none."""
    key = _held.organisation_keys.get(organisation_id)
    if key is not None:
        return key
    row = _organisation_row(organisation_id, create=create)
    if row is None:
        raise KeyErased("The organisation's key is not in the key store: its data was erased.")
    return _open_organisation_key(row)


def _open_case_key(row: CaseKey) -> bytes:
    wrapping = _open_organisation_key(row.organisation_key)
    raw = base64.urlsafe_b64decode(row.wrapped)
    try:
        key = AESGCM(wrapping).decrypt(raw[:12], raw[12:], _case_context(row.ref))
    except InvalidTag:
        raise crypto.DecryptionError(
            "A case key does not open with its organisation's key: the key store was altered."
        ) from None
    if len(_held.case_keys) > _CACHE_LIMIT:
        _held.case_keys.clear()
    _held.case_keys[row.ref] = key
    return key


def case_key(ref: uuid.UUID, organisation_id: int, *, create: bool = False) -> bytes:
    """The key of the case whose reference is ``ref``, made if ``create`` and missing.
    KeyErased if it has none (the case was erased): nothing of it can be read any more."""
    key = _held.case_keys.get(ref)
    if key is not None:
        return key
    row = CaseKey.objects.select_related("organisation_key").filter(ref=ref).first()
    if row is None and create:
        try:
            with transaction.atomic(using=ALIAS):
                return create_case_keys([(ref, organisation_id)])[ref]
        except IntegrityError:  # made meanwhile by another request: use that one
            row = CaseKey.objects.select_related("organisation_key").get(ref=ref)
    if row is None:
        raise KeyErased("The case's key is not in the key store: the case was erased.")
    return _open_case_key(row)


def open_keys(pairs: Iterable[tuple[uuid.UUID, int]]) -> dict[uuid.UUID, bytes]:
    """The keys of many cases at once, as {reference: key}, for a page that opens text of
    several cases (the audit trail's reasons): one query for those not yet held. A case
    whose key is gone (erased) is missing from the answer."""
    refs = {ref for ref, _organisation_id in pairs}
    found = {ref: _held.case_keys[ref] for ref in refs if ref in _held.case_keys}
    missing = refs - found.keys()
    if missing:
        for row in CaseKey.objects.select_related("organisation_key").filter(ref__in=missing):
            found[row.ref] = _open_case_key(row)
    return found


def create_case_keys(pairs: Iterable[tuple[uuid.UUID, int]]) -> dict[uuid.UUID, bytes]:
    """A new key for each (reference, organisation id), written in batches, for the bulk
    writers (the demo's bulk path, the benchmark's generator); returns {reference: key}."""
    made: dict[uuid.UUID, bytes] = {}
    rows: list[CaseKey] = []
    wrapping: dict[int, tuple[OrganisationKey, AESGCM]] = {}
    for ref, organisation_id in pairs:
        if organisation_id not in wrapping:
            row = _organisation_row(organisation_id, create=True)
            assert row is not None
            wrapping[organisation_id] = (row, AESGCM(_open_organisation_key(row)))
        row, cipher = wrapping[organisation_id]
        key, nonce = os.urandom(KEY_BYTES), os.urandom(12)
        wrapped = base64.urlsafe_b64encode(nonce + cipher.encrypt(nonce, key, _case_context(ref))).decode()
        rows.append(CaseKey(ref=ref, organisation_key=row, wrapped=wrapped))
        made[ref] = key
        if len(rows) >= 1000:
            _write_and_hold(rows, made)
            rows = []
    _write_and_hold(rows, made)
    return made


def _write_and_hold(rows: list[CaseKey], made: dict[uuid.UUID, bytes]) -> None:
    """Write ``rows``; once they are in the store, keep their keys for this request (as many
    as the memory's limit allows)."""
    CaseKey.objects.bulk_create(rows)
    for row in rows:
        if len(_held.case_keys) >= _CACHE_LIMIT:
            break
        _held.case_keys[row.ref] = made[row.ref]


def key_of_record(record: Any) -> bytes:
    """The key of the case a record (a contact, a need, an identity ...) belongs to: through
    its ``case`` if it is loaded, else by ``case_id``."""
    if "case" in record._state.fields_cache:
        return case_key(record.case.key_ref, record.case.organisation_id)
    return key_of_case(record.case_id)


def key_of_case(case_pk: int) -> bytes:
    """The key of the case ``case_pk``: its reference from this request's memory, or from
    the main database (one query, once per case and request)."""
    found = _held.case_refs.get(case_pk)
    if found is None:
        from casework.cases.models import Case  # lazy: cases.models uses this module's fields

        row = Case.objects.filter(pk=case_pk).values_list("key_ref", "organisation_id").first()
        if row is None:
            raise KeyErased("The case is no longer in the database: it was erased.")
        remember_case(case_pk, *row)
        found = row
    return case_key(found[0], found[1])


def _zero_then_delete(rows: Any, column: str) -> int:
    """Overwrite ``column`` of ``rows`` before deleting them, so that the key is not left
    whole in a page of the store's file (SQLite runs with secure_delete; PostgreSQL keeps
    old row versions until VACUUM, which ``sweep`` runs)."""
    with transaction.atomic(using=ALIAS):
        rows.update(**{column: "0" * 80})
        deleted, _ = rows.delete()
    return deleted


def destroy_key(ref: uuid.UUID) -> None:
    """Destroy the key named ``ref`` (a case's, or a packet's): every copy of what it sealed,
    here and in every backup of the main database, is unreadable from now on. Idempotent."""
    _zero_then_delete(CaseKey.objects.filter(ref=ref), "wrapped")
    _held.case_keys.pop(ref, None)
    _vacuum()


def destroy_case_key(case: Any) -> None:
    """Destroy the key of ``case`` (a Case, deleted or about to be). Idempotent."""
    destroy_key(case.key_ref)
    _held.case_refs.pop(case.pk, None)


def destroy_organisation_keys(organisation_id: int) -> None:
    """Destroy the organisation's key and every case key under it. Idempotent."""
    _zero_then_delete(CaseKey.objects.filter(organisation_key__organisation_id=organisation_id), "wrapped")
    _zero_then_delete(OrganisationKey.objects.filter(organisation_id=organisation_id), "sealed")
    forget()
    _vacuum()


def sweep() -> int:
    """Destroy the keys no case or packet uses any more: those of erased cases (should
    destroying one at the erasure have failed) at once, and those made for a case whose
    opening failed once they are ``ORPHAN_AGE`` old. Returns how many. For the nightly job."""
    from casework.cases.models import Case  # lazy: cases.models uses this module's fields
    from casework.partners.models import Packet  # lazy: as above
    from casework.retention.models import ErasedCase  # lazy: as above

    erased = set(ErasedCase.objects.exclude(key_ref=None).values_list("key_ref", flat=True))
    cutoff = timezone.now() - ORPHAN_AGE
    doomed = []
    rows = list(CaseKey.objects.values_list("ref", "created_at"))
    for start in range(0, len(rows), 500):
        batch = rows[start : start + 500]
        refs = [ref for ref, _made in batch]
        alive = set(Case.objects.filter(key_ref__in=refs).values_list("key_ref", flat=True))
        alive |= set(Packet.objects.filter(uid__in=refs).values_list("uid", flat=True))
        doomed += [ref for ref, made in batch if ref not in alive and (ref in erased or made < cutoff)]
    destroyed = 0
    for start in range(0, len(doomed), 500):
        destroyed += _zero_then_delete(CaseKey.objects.filter(ref__in=doomed[start : start + 500]), "wrapped")
    if destroyed:
        forget()
        _vacuum()
    return destroyed


def _vacuum() -> None:
    """PostgreSQL keeps a deleted row's old version until VACUUM: run it on the key store's
    tables, outside any transaction (it is small). SQLite overwrites at once (secure_delete)."""
    connection = connections[ALIAS]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for model in (CaseKey, OrganisationKey):
            cursor.execute(f"VACUUM {connection.ops.quote_name(model._meta.db_table)}")


def rewrap_organisation_keys() -> int:
    """Re-encrypt every organisation key under the newest key of CASEWORK_FIELD_KEYS (for
    rotate_field_keys): the case keys, and so every value, stay as they are. Returns how many."""
    newest, rewrapped = crypto.newest_key_id(), 0
    with transaction.atomic(using=ALIAS):
        for row in OrganisationKey.objects.select_for_update().order_by("pk"):
            if crypto.token_key_id(row.sealed) == newest:
                continue
            context = _organisation_context(row.organisation_id)
            row.sealed = crypto.encrypt(crypto.decrypt(row.sealed, context), context)
            row.save(update_fields=["sealed"])
            rewrapped += 1
    return rewrapped


def stale_organisation_keys() -> int:
    """How many organisation keys are not under the newest key of CASEWORK_FIELD_KEYS."""
    newest = crypto.newest_key_id()
    return sum(
        1
        for sealed in OrganisationKey.objects.values_list("sealed", flat=True)
        if crypto.token_key_id(sealed) != newest
    )


def check_organisation_keys() -> None:
    """Open every organisation key (DecryptionError if one does not): for a dry run."""
    for row in OrganisationKey.objects.all():
        crypto.decrypt(row.sealed, _organisation_context(row.organisation_id))
