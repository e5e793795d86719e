"""Write timings: an audited write against the same write without its audit entries, and
audited writes per second with one writer and with several at once.

The write is ``contact_add`` (a contact on a case she leads, which also moves the case's
follow-up): through the service exactly as a request calls it (in the transaction the audit
middleware opens, which links the entries into the chain at its end), and the same call with
auditlog switched off for the "unaudited" figure (bench-only: nothing in ``casework`` writes
a case change without its entry).
"""

import multiprocessing
import statistics
import time

from auditlog.context import disable_auditlog
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from casework.audit.chain import audited_atomic
from casework.cases.choices import ContactChannel, ContactPurpose
from casework.cases.models import Case, CaseAssignment
from casework.cases.services.contacts import contact_add


def _add_contact(user, case):
    # In the transaction a request gives its view (AuditContextMiddleware): the entries are
    # linked into the chain at its end, so the chain's lock is held for the inserts only.
    with audited_atomic():
        _contact_add(user, case)


def _contact_add(user, case):
    contact_add(
        by=user,
        case=case,
        occurred_at=timezone.now(),
        channel=ContactChannel.values[0],
        purpose=ContactPurpose.values[0],
        notes="Benchmark write.",
    )


def _lead_cases(username, count):
    """``count`` (user, case) pairs: cases led by ``username``, then by others, one per writer."""
    leads = CaseAssignment.objects.filter(role="lead").select_related("user", "case").order_by("case_id")
    own = [(a.user, a.case) for a in leads.filter(user__username=username)[:count]]
    others = [(a.user, a.case) for a in leads.exclude(user__username=username)[: count - len(own)]]
    return (own + others)[:count]


def audited_vs_unaudited(username, rounds, progress=print):
    """Median ms of an audited and an unaudited ``contact_add``, interleaved."""
    user, case = _lead_cases(username, 1)[0]
    audited, unaudited = [], []
    for number in range(rounds + 1):
        for with_audit in (True, False) if number % 2 == 0 else (False, True):
            case.refresh_from_db()
            started = time.perf_counter()
            if with_audit:
                _add_contact(user, case)
            else:
                with disable_auditlog():
                    _add_contact(user, case)
            elapsed = (time.perf_counter() - started) * 1000
            if number:  # the first round warms up
                (audited if with_audit else unaudited).append(elapsed)
    figures = {
        "audited_ms": round(statistics.median(audited), 2),
        "unaudited_ms": round(statistics.median(unaudited), 2),
    }
    figures["ratio"] = round(figures["audited_ms"] / figures["unaudited_ms"], 2)
    progress(f"audited write {figures}")
    return figures


def _writer(user_id, case_id, seconds, barrier, results):
    user, case = User.objects.get(pk=user_id), Case.objects.get(pk=case_id)
    barrier.wait()
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        case.refresh_from_db()
        _add_contact(user, case)
        done += 1
    connection.close()
    results.put(done)


def writers_per_second(username, writers, seconds):
    """Audited writes per second, all writers together, each its own process and connection
    and its own case (so only the audit chain, not a case's row lock, is shared). Forked
    from this process with its connection closed: each child opens its own."""
    pairs = [(user.pk, case.pk) for user, case in _lead_cases(username, writers)]
    connection.close()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(writers), context.Queue()
    processes = [
        context.Process(target=_writer, args=(user_id, case_id, seconds, barrier, results))
        for user_id, case_id in pairs
    ]
    for process in processes:
        process.start()
    total = sum(results.get() for _ in processes)
    for process in processes:
        process.join()
    return round(total / seconds, 1)


def measure(username, rounds, seconds, progress=print):
    figures = audited_vs_unaudited(username, rounds, progress)
    connection.close()  # the writers' processes open their own
    figures["writes_per_second"] = {str(n): writers_per_second(username, n, seconds) for n in (1, 4)}
    progress(f"audited writes per second {figures['writes_per_second']}")
    return figures
