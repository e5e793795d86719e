"""Verifying the chain on a schedule, and telling the people who rely on it.

``audit_verify`` runs ``verify_chain``: a full walk from the first entry (or a signed
checkpoint), or ``incremental`` from the last position a previous run found intact, so
that a nightly run reads only the new entries. Each run is kept as a ChainVerification
(sealed with the chain key; append-only on PostgreSQL) and recorded as ``audit.verify``.
The latest is shown at /audit/; a failure stays on the home page of every supervisor and
administrator until a later full run finds the chain intact: an incremental run, which
does not re-read what was verified before, never clears it.
"""

from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from casework.audit import chain, events
from casework.audit.models import AuditEntry, ChainVerification, Outcome
from casework.audit.services import record

BATCH = 2000
# How many of the newest runs are read to decide whether an alarm still stands (a year of nightly runs).
RUNS_READ = 400


@dataclass(frozen=True)
class Start:
    seq: int
    entry_hash: str
    problem: str = ""  # set when the resume point itself no longer holds


GENESIS = Start(0, chain.GENESIS)


def _newest_runs():
    return ChainVerification.objects.order_by("-ran_at", "-pk")[:RUNS_READ]


def resume_point() -> Start:
    """Where an incremental run starts: the last genuine intact position, provided its
    entry still carries the hash that run saw. From the beginning when there is none, and
    when the newest run failed or was not sealed with the key: never resume past a failure."""
    newest = list(_newest_runs()[:1])
    if not newest or not newest[0].ok or not newest[0].is_genuine() or failed() is not None:
        return GENESIS
    run = _highest_intact_run()
    if run is None:
        return GENESIS
    stored = AuditEntry.objects.filter(seq=run.up_to_seq).values_list("entry_hash", flat=True).first()
    if stored != run.up_to_hash:
        return Start(run.up_to_seq, run.up_to_hash, "changed after it was last verified, or removed")
    return Start(run.up_to_seq, run.up_to_hash)


def verify_chain(*, incremental: bool = False, start: Start | None = None) -> ChainVerification:
    """Walk the chain from ``start`` (by default the beginning, or with ``incremental``
    the resume point) to the head; keep the result and record it as ``audit.verify``.
    A walk that cannot read an entry is a failed run too, never a silent one."""
    start = start or (resume_point() if incremental else GENESIS)
    full = not (incremental and start.seq)  # an incremental run that had to start over is a full one
    count, problem, last = _walk(start)
    if problem is None and full:
        problem = _below_the_chain() or _behind_an_earlier_run(last)
    run = ChainVerification(
        kind=ChainVerification.Kind.FULL if full else ChainVerification.Kind.INCREMENTAL,
        from_seq=start.seq,
        up_to_seq=last[0],
        up_to_hash=last[1],
        entries=count,
        ok=problem is None,
        problem_seq=problem[0] if problem else None,
        problem=problem[1][:200] if problem else "",
    )
    run.seal()
    details = {"kind": run.kind, "from": run.from_seq, "to": run.up_to_seq, "entries": count}
    if problem:
        details.update(broken_at=problem[0], problem=run.problem)
    with transaction.atomic():
        run.save()
        outcome = Outcome.OK if run.ok else Outcome.ERROR
        record(event=events.AUDIT_VERIFY, actor=None, outcome=outcome, details=details)
    return run


def _walk(start):
    if start.problem:
        return 0, (start.seq, start.problem), (start.seq, start.entry_hash)
    read = [start.seq]

    def entries():
        """In batches by seq (plain queries: no server-side cursor to outlive a failure)."""
        after = start.seq
        while True:
            batch = list(AuditEntry.objects.filter(seq__gt=after).order_by("seq")[:BATCH])
            for entry in batch:
                read[0] = entry.seq
                yield entry
            if len(batch) < BATCH:
                return
            after = batch[-1].seq

    try:
        with transaction.atomic():  # a database error rolls back to here and leaves the connection usable
            return chain.walk(entries(), (start.seq, start.entry_hash))
    except Exception as error:  # an entry the database or the driver cannot even hand over
        return 0, (read[0] + 1, f"could not be read ({type(error).__name__})"), (read[0], "")


def _below_the_chain():
    """An entry numbered below the first is outside every walk: it is forged."""
    found = AuditEntry.objects.filter(seq__lt=1).values_list("seq", flat=True).first()
    return (found, "it lies outside the chain (numbered below its first entry)") if found is not None else None


def _behind_an_earlier_run(last):
    """The newest entries can be cut off the chain's end, leaving it consistent; but not
    those an earlier run verified: the highest genuine position must still be there."""
    run = _highest_intact_run()
    if run is not None and run.up_to_seq > last[0]:
        return run.up_to_seq, "removed after a verification found it (entries cut off the end)"
    return None


def _highest_intact_run():
    """The sealed run that found the chain intact furthest along, or None."""
    for run in ChainVerification.objects.filter(ok=True, up_to_seq__gt=0).order_by("-up_to_seq", "-pk")[:RUNS_READ]:
        if run.is_genuine():
            return run
    return None


def latest() -> ChainVerification | None:
    """The most recent run, or None. A row that was not sealed with the chain key is
    returned as a failure: someone wrote it without the key."""
    run = _newest_runs().first()
    if run is not None and not run.is_genuine():
        run.ok, run.problem = False, "the verification record itself was altered"
    return run


def failed():
    """The alarm every supervisor and administrator sees: the newest failed run, unless a
    full run found the chain intact after it; None otherwise. One query, read from the
    runs' own ``audit.verify`` entries: they are in the chain, so removing the one that
    failed breaks the chain where it stood, and the next run says so."""
    entries = AuditEntry.objects.filter(event=events.AUDIT_VERIFY.name).order_by("-seq")
    for outcome, details, when in entries.values_list("outcome", "additional_data", "timestamp")[:RUNS_READ]:
        details = details or {}
        if outcome != Outcome.OK:
            return SimpleNamespace(
                ok=False, ran_at=when, problem_seq=details.get("broken_at"), problem=details.get("problem", "")
            )
        if details.get("kind") == ChainVerification.Kind.FULL:
            return None
    return None


def overdue(run: ChainVerification | None) -> bool:
    """No run, or the latest older than CASEWORK_AUDIT_VERIFY_MAX_AGE_HOURS: the schedule stopped."""
    limit = timedelta(hours=settings.AUDIT_VERIFY_MAX_AGE_HOURS)
    return run is None or timezone.now() - run.ran_at > limit


def shown():
    """What /audit/ says: a standing alarm, else the latest run; and whether it is overdue."""
    alarm, newest = failed(), latest()
    return alarm or newest, overdue(newest)
