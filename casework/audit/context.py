"""Changing who an audit entry names as its actor, for the length of one act."""

from collections.abc import Iterator
from contextlib import contextmanager

from auditlog.context import auditlog_value


@contextmanager
def without_actor() -> Iterator[None]:
    """Entries written inside name no actor and no address, even within a request.

    For what one organisation's person does that lands in another organisation's trail (a
    partner answering a packet): the entry is about the sender's case, and the name and
    address of someone at the partner are not the sender's to know.
    """
    with _request_context(actor=None, ip_hash="", cid=None):
        yield


@contextmanager
def receivers_done() -> Iterator[None]:
    """auditlog's request receivers do nothing inside: an entry that already ran them
    (``AuditEntry._complete``) is written exactly as it was linked, even when it was
    completed in another context (``without_actor``) and written later, at the end of
    the request's transaction."""
    # The receiver acts only for the context that connected it (its signal_duid).
    with _request_context(signal_duid=("done", None)):
        yield


@contextmanager
def _request_context(**changes: object) -> Iterator[None]:
    """auditlog's request context with ``changes``, for the length of the block; outside a
    request (no context) nothing to change: entries name no actor anyway."""
    try:
        current = auditlog_value.get()
    except LookupError:
        yield
        return
    token = auditlog_value.set({**current, **changes})
    try:
        yield
    finally:
        auditlog_value.reset(token)
