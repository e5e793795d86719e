"""The hash chain over audit entries: each entry commits to the one before it.

``entry_hash = sha256(prev_hash + canonical JSON of the entry)``; ``seq`` counts 1, 2, 3 ...
without gaps. Editing, removing, inserting or reordering any entry breaks every hash from
there on, and ``audit_verify`` names the first one. Writers are serialised (on
PostgreSQL by a transaction-scoped advisory lock, on SQLite by its single writer), so
two transactions can never both link to the same head; the unique ``seq`` is the backstop.
"""

import datetime
import hashlib
import json

from django.db import connection

GENESIS = "0" * 64
# An arbitrary constant: the advisory lock that serialises appends to the chain.
LOCK_KEY = 0x63617365776F726B  # "casework"

HASHED_FIELDS = (
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


def _plain(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
    return value


def canonical(entry):
    """The entry as canonical JSON: sorted keys, no spaces, UTF-8, timestamps in UTC."""
    data = {name: _plain(getattr(entry, name)) for name in HASHED_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash, entry):
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


def head():
    """``(seq, entry_hash)`` of the last entry, or None, read while holding the chain: on
    PostgreSQL through casework_audit_head() (advisory transaction lock, then a fresh read,
    in one round trip); SQLite lets one writer at a time in anyway."""
    from casework.audit.models import AuditEntry

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq, entry_hash FROM casework_audit_head(%s)", [LOCK_KEY])
            return cursor.fetchone()
    return AuditEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()


def link(entry):
    """Give ``entry`` its place at the head of the chain. Call inside the writing transaction."""
    last = head()
    entry.seq, entry.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry.entry_hash = entry_hash(entry.prev_hash, entry)


def verify(entries, after=(0, GENESIS)):
    """Walk ``entries`` (in seq order) and return ``(count, problem)``: problem is None, or
    ``(seq, what)`` for the first entry that was edited, removed, inserted or reordered.
    ``after`` is the ``(seq, entry_hash)`` the walk starts from (an archived checkpoint)."""
    expected_seq, prev_hash, count = after[0] + 1, after[1], 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            what = "missing (entries removed before it)" if entry.seq > expected_seq else "out of order"
            return count, (expected_seq, what)
        if entry.prev_hash != prev_hash:
            return count, (entry.seq, "does not follow the entry before it (removed, inserted or reordered)")
        if entry_hash(prev_hash, entry) != entry.entry_hash:
            return count, (entry.seq, "its content was changed")
        expected_seq, prev_hash = expected_seq + 1, entry.entry_hash
    return count, None
