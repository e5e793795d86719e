"""Verifying the chain on a schedule, and telling the people who rely on it.

``audit_verify`` runs ``verify_chain``: a full walk from the first entry (or a signed
checkpoint), or ``incremental`` from the last position a previous run found intact, so
that a nightly run reads only the new entries. Each run is kept as a ChainVerification
(sealed with the chain key) and recorded as ``audit.verify``; the latest one is shown at
/audit/, and a failed one on the home page of every supervisor and administrator.
"""

from dataclasses import dataclass

from django.db import transaction

from casework.audit import chain, events
from casework.audit.models import AuditEntry, ChainVerification, Outcome
from casework.audit.services import record

BATCH = 2000


@dataclass(frozen=True)
class Start:
    seq: int
    entry_hash: str
    problem: str = ""  # set when the resume point itself no longer holds


def resume_point() -> Start:
    """Where an incremental run starts: the last genuine intact position, provided its
    entry still carries the hash that run saw; the beginning when there is none."""
    for run in ChainVerification.objects.filter(ok=True).order_by("-up_to_seq", "-pk")[:1]:
        if not run.is_genuine() or run.up_to_seq == 0:
            break  # written without the key (or under a retired one): walk from the start
        stored = AuditEntry.objects.filter(seq=run.up_to_seq).values_list("entry_hash", flat=True).first()
        if stored != run.up_to_hash:
            return Start(run.up_to_seq, run.up_to_hash, "changed after it was last verified, or removed")
        return Start(run.up_to_seq, run.up_to_hash)
    return Start(0, chain.GENESIS)


@transaction.atomic
def verify_chain(*, incremental: bool = False, start: Start | None = None) -> ChainVerification:
    """Walk the chain from ``start`` (by default the beginning, or with ``incremental``
    the resume point) to the head; keep the result and record it as ``audit.verify``."""
    start = start or (resume_point() if incremental else Start(0, chain.GENESIS))
    if start.problem:
        count, problem, last = 0, (start.seq, start.problem), (start.seq, start.entry_hash)
    else:
        entries = AuditEntry.objects.filter(seq__gt=start.seq).order_by("seq").iterator(chunk_size=BATCH)
        try:
            count, problem, last = chain.walk(entries, (start.seq, start.entry_hash))
        finally:
            entries.close()  # release the server-side cursor now, not when collected
    run = ChainVerification(
        kind=ChainVerification.Kind.INCREMENTAL if incremental else ChainVerification.Kind.FULL,
        from_seq=start.seq,
        up_to_seq=last[0],
        up_to_hash=last[1],
        entries=count,
        ok=problem is None,
        problem_seq=problem[0] if problem else None,
        problem=problem[1][:200] if problem else "",
    )
    run.seal()
    run.save()
    details = {"kind": run.kind, "from": run.from_seq, "to": run.up_to_seq, "entries": count}
    if problem:
        details["broken_at"] = problem[0]
    record(event=events.AUDIT_VERIFY, actor=None, outcome=Outcome.OK if run.ok else Outcome.ERROR, details=details)
    return run


def latest() -> ChainVerification | None:
    """The most recent run, or None. A row that was not sealed with the chain key is
    returned as a failure: someone wrote it without the key."""
    run = ChainVerification.objects.order_by("-ran_at", "-pk").first()
    if run is not None and not run.is_genuine():
        run.ok, run.problem = False, "the verification record itself was altered"
    return run


def failed() -> ChainVerification | None:
    """The latest run when it found the chain broken: every supervisor and administrator is told."""
    run = latest()
    return run if run is not None and not run.ok else None
