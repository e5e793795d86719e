"""The keyed hash chain over audit entries: each entry commits to the one before it.

``entry_hash = HMAC-SHA256(CASEWORK_AUDIT_CHAIN_KEY, prev_hash + canonical JSON of the
entry as stored)``; ``seq`` counts 1, 2, 3 ... without gaps. Editing, removing, inserting
or reordering any entry breaks every hash from there on, and ``audit_verify`` names the
first one. The key never enters the database, so whoever can write to it (a hosting
operator, a stolen and modified backup) cannot recompute the chain after a change; signed
checkpoints (casework.audit.checkpoint) prove the head to someone who holds no key at all.

Each entry names the key that hashed it (``chain_key``, a fingerprint), so a rotated key
closes a segment that ``audit_verify`` still checks with the retired key. Entries written
before the chain was keyed carry no key name and a plain SHA-256; they are accepted only
up to ``CASEWORK_AUDIT_CHAIN_UNKEYED_UNTIL``.

Writers are serialised (on PostgreSQL by a transaction-scoped advisory lock, on SQLite by
its single writer), so two transactions can never both link to the same head; the unique
``seq`` is the backstop. Inside a request the entries are queued and linked at the end of
the view's transaction (``deferred``), so the lock is held for milliseconds, not a page.
"""

import contextlib
import datetime
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

if TYPE_CHECKING:
    from casework.audit.models import AuditEntry  # lazy: for the checker; audit.models imports this module

GENESIS = "0" * 64
# A place in the chain: (seq, entry_hash) of an entry.
Position = tuple[int, str]
# An arbitrary constant: the advisory lock that serialises appends to the chain.
LOCK_KEY = 0x63617365776F726B  # "casework"

UNKEYED_FIELDS = (
    "seq",
    "timestamp",
    "actor_id",
    "actor_email",
    "event",
    "outcome",
    "reason",
    "case_code",
    "organisation_id",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "action",
    "changes",
    "changes_text",
    "serialized_data",
    "additional_data",
    "cid",
    "remote_addr",
    "remote_port",
    "ip_hash",
)
HASHED_FIELDS = (*UNKEYED_FIELDS, "chain_key")


class ChainError(Exception):
    """The chain cannot be written as it must be (a field changed after linking)."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return value


def canonical(entry: "AuditEntry") -> str:
    """The entry as canonical JSON: sorted keys, no spaces, UTF-8, timestamps in UTC."""
    fields = HASHED_FIELDS if getattr(entry, "chain_key", "") else UNKEYED_FIELDS
    data = {name: _plain(getattr(entry, name)) for name in fields}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_id(key: str) -> str:
    """A short public name for a chain key: which key hashed an entry, never the key."""
    return hmac.new(key.encode(), b"casework audit chain key id", hashlib.sha256).hexdigest()[:12]


def current_key() -> str:
    key: str = settings.AUDIT_CHAIN_KEY
    return key


def known_keys() -> dict[str, str]:
    """Every key this server can verify with, by its name: the current and the retired."""
    return {key_id(key): key for key in (current_key(), *settings.AUDIT_CHAIN_RETIRED_KEYS)}


def mac(purpose: str, text: str, key: str | None = None) -> str:
    """HMAC of ``text`` under the chain key (by default the current one), for records kept
    beside the chain."""
    message = f"casework {purpose}\n{text}".encode()
    return hmac.new((current_key() if key is None else key).encode(), message, hashlib.sha256).hexdigest()


def unkeyed_hash(prev_hash: str, entry: "AuditEntry") -> str:
    """The hash of the trail before it was keyed (and of migration 0002's linking)."""
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


def entry_hash(prev_hash: str, entry: "AuditEntry", key: str | None = None) -> str:
    key = current_key() if key is None else key
    return hmac.new(key.encode(), (prev_hash + canonical(entry)).encode(), hashlib.sha256).hexdigest()


def head() -> Position | None:
    """``(seq, entry_hash)`` of the last entry, or None, read while holding the chain: on
    PostgreSQL through casework_audit_head() (advisory transaction lock, then a fresh read,
    in one round trip); SQLite lets one writer at a time in anyway."""
    from casework.audit.models import AuditEntry  # lazy: casework.audit.models imports this module

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq, entry_hash FROM casework_audit_head(%s)", [LOCK_KEY])
            row: Position | None = cursor.fetchone()
            return row
    last: Position | None = AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
    return last


def link(entry: "AuditEntry", after: Position | None = None) -> Position:
    """Give ``entry`` its place after ``after`` (``(seq, entry_hash)``, by default the head
    of the chain, taking its lock). Call inside the writing transaction, once every field of
    the entry has its final value: the hash covers the entry exactly as it will be stored."""
    last = head() if after is None else after
    entry.seq, entry.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry.chain_key = key_id(current_key())
    entry.entry_hash = entry_hash(entry.prev_hash, entry)
    return entry.seq, entry.entry_hash


def check_linked(entry: "AuditEntry") -> None:
    """Raise if a field of ``entry`` changed between linking and writing (a receiver that
    fills a field during save): better a failed write than a false tamper alarm later."""
    if entry_hash(entry.prev_hash, entry) != entry.entry_hash:
        raise ChainError(f"Audit entry {entry.event!r} changed after it was linked into the chain.")


# --- Deferred linking: entries of a request are linked at the end of its transaction. ---

_queue: ContextVar["list[_Queued] | None"] = ContextVar("casework_audit_queue", default=None)


class _Queued:
    """An entry waiting for the end of the request's transaction. Registered with
    on_commit only so that Django forgets it when its savepoint rolls back (an act undone
    inside the request takes its entry with it); after the commit it has nothing to do."""

    def __init__(self, entry: "AuditEntry") -> None:
        self.entry = entry

    def __call__(self) -> None:
        pass


def defer(entry: "AuditEntry") -> bool:
    """Queue ``entry`` when a request's transaction is collecting entries; False otherwise
    (then the caller links and writes it at once)."""
    queue = _queue.get()
    if queue is None or not connection.in_atomic_block:
        return False
    queued = _Queued(entry)
    transaction.on_commit(queued)
    queue.append(queued)
    return True


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Collect the entries written inside the block and link and write them at its end,
    inside the same transaction: call within the transaction that the block's acts use.
    Inside a block that already collects (a service called by a view), the outer block
    links them: at the end of the outermost transaction, where the lock is held shortest.

    Only inside a transaction: outside one, a transaction opened within the block would
    commit its acts on its own, and the entries waiting here would be forgotten with it.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("chain.deferred() collects the entries of a transaction: open one first (audited_atomic)")
    if _queue.get() is not None:
        yield
        return
    queue: list[_Queued] = []
    token = _queue.set(queue)
    try:
        yield
    finally:
        _queue.reset(token)
    _write_queued(queue)


@contextlib.contextmanager
def audited_atomic() -> Iterator[None]:
    """A transaction whose audit entries are linked into the chain at its end.

    What every request gets (AuditContextMiddleware), for work outside a request (a
    management command, a job): the chain's lock is taken by the last statements of the
    transaction and held only until its commit, so writers on different cases overlap
    instead of queueing behind the first one's whole transaction.
    """
    with transaction.atomic(), deferred():
        yield


def _write_queued(queue: list[_Queued]) -> None:
    if not queue or connection.needs_rollback:
        return  # nothing to write, or the whole transaction is being rolled back anyway
    alive = {id(item[1]) for item in connection.run_on_commit}
    entries = [queued.entry for queued in queue if id(queued) in alive]
    if not entries:
        return
    last = head()
    for entry in entries:
        last = link(entry, after=last)
        entry.write_linked()


# --- Verification ---


def verify(
    entries: Iterable["AuditEntry"],
    after: Position = (0, GENESIS),
    keys: dict[str, str] | None = None,
    unkeyed_until: int | None = None,
) -> tuple[int, tuple[int, str] | None]:
    """Walk ``entries`` (in seq order) and return ``(count, problem)``: problem is None, or
    ``(seq, what)`` for the first entry that was edited, removed, inserted, reordered, or
    hashed under a key this server does not hold. ``after`` is the ``(seq, entry_hash)``
    the walk starts from (an archived checkpoint, or the last verified position)."""
    count, problem, _last = walk(entries, after, keys, unkeyed_until)
    return count, problem


def walk(
    entries: Iterable["AuditEntry"],
    after: Position = (0, GENESIS),
    keys: dict[str, str] | None = None,
    unkeyed_until: int | None = None,
) -> tuple[int, tuple[int, str] | None, Position]:
    """``verify``, also returning the last intact ``(seq, entry_hash)``."""
    keys = known_keys() if keys is None else keys
    unkeyed_until = settings.AUDIT_CHAIN_UNKEYED_UNTIL if unkeyed_until is None else unkeyed_until
    segments: list[str] = []
    expected_seq, last, count = after[0] + 1, (after[0], after[1]), 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            what = "missing (entries removed before it)" if entry.seq > expected_seq else "out of order"
            return count, (expected_seq, what), last
        if entry.prev_hash != last[1]:
            return count, (entry.seq, "does not follow the entry before it (removed, inserted or reordered)"), last
        what = _check_hash(entry, last[1], keys, unkeyed_until, segments)
        if what:
            return count, (entry.seq, what), last
        expected_seq, last = expected_seq + 1, (entry.seq, entry.entry_hash)
    return count, None, last


def _check_hash(
    entry: "AuditEntry", prev_hash: str, keys: dict[str, str], unkeyed_until: int, segments: list[str]
) -> str:
    """What is wrong with ``entry``'s own hash, or "" when it matches."""
    name = entry.chain_key
    if not name:
        if segments or entry.seq > unkeyed_until:
            return "it is not keyed (rewritten without the chain key, or older than the keyed chain: see README)"
        return "" if unkeyed_hash(prev_hash, entry) == entry.entry_hash else "its content was changed"
    if name not in keys:
        return "it was hashed under a key this server does not hold"
    if name in segments[:-1]:
        return "it goes back to a chain key that was already retired"
    if not segments or segments[-1] != name:
        segments.append(name)
    return "" if entry_hash(prev_hash, entry, keys[name]) == entry.entry_hash else "its content was changed"
