"""Page timings: each page as each persona, with and without the permission filter.

Requests go through Django's test ``Client`` (the whole middleware stack, in process) on
the bench database. The "without filter" requests swap ``CaseQuerySet.restrict`` for the
same cases filtered only by the user's organisation: a switch that exists only here, for
the length of one request, and never in ``casework``. The trail's scope and the access
directory ask ``restrict`` too, so they lose their filter with it.
"""

import contextlib
import statistics
import time
from dataclasses import dataclass, field
from unittest import mock

from django.contrib.auth.models import User
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access.models import Membership, Team
from casework.audit import events
from casework.cases.choices import ReferralStatus, RiskLevel, ServiceType
from casework.cases.models import Case, CaseAssignment, CaseQuerySet

DEEP_PAGE = 50


def sign_in(user):
    """A client signed in with both factors, as tests/signing.py does: Django's
    ``force_login`` for the password step, then her authenticator marked verified.
    A request that fails (a query cancelled by the statement timeout) answers 500."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _organisation_only(self, user, action="view"):
    """``restrict`` without the permission filter: every case of her organisation."""
    if user is None or not user.is_authenticated or not user.is_active:
        return self.none()
    organisations = Membership.objects.filter(user_id=user.pk, is_active=True).values("organisation_id")
    return self.filter(organisation_id__in=organisations)


@contextlib.contextmanager
def without_filter():
    with mock.patch.object(CaseQuerySet, "restrict", _organisation_only):
        yield


@dataclass
class Page:
    persona: str
    name: str
    url: str
    client: Client = field(repr=False)
    restricted: list = field(default_factory=list)
    unrestricted: list = field(default_factory=list)
    slowest_query: list = field(default_factory=list)  # ms of the slowest query of each restricted request
    queries: int = 0
    queries_unrestricted: int = 0
    status: int = 0
    failures: int = 0  # timed requests, either way, that answered with a server error (a timeout)

    def figures(self):
        restricted, unrestricted = _summary(self.restricted), _summary(self.unrestricted)
        ratio = restricted["median"] / unrestricted["median"] if unrestricted["median"] else None
        return {
            "persona": self.persona,
            "page": self.name,
            "url": self.url,
            "status": self.status,
            "restricted_ms": restricted,
            "unrestricted_ms": unrestricted,
            "ratio": round(ratio, 2) if ratio else None,
            "slowest_query_ms": _summary(self.slowest_query),
            "queries": self.queries,
            "queries_unrestricted": self.queries_unrestricted,
            "failures": self.failures,
        }


def _summary(samples):
    if not samples:
        return {"median": None, "p90": None}
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 1), "p90": round(p90, 1)}


def pages_of(personas, only=None):
    """Every page of the table, for each persona that has it (or the personas in ``only``)."""
    pages = []
    for persona, username in personas.items():
        if (only and persona not in only) or not username:
            continue
        user = User.objects.get(username=username)
        client = sign_in(user)
        membership = Membership.objects.get(user=user)
        pages += [Page(persona, name, url, client) for name, url in _urls(user, membership)]
    return pages


def _urls(user, membership):
    if membership.role == "admin":
        return [("/", "/"), ("access directory", "/access/cases/"), *_audit_urls(user, membership)]
    if membership.role == "reporting":
        return [("/", "/"), ("reports", "/reports/")]
    team = (
        membership.teams.first()
        or membership.supervised_teams.first()
        or Team.objects.filter(organisation_id=membership.organisation_id).first()
    )
    urls = [
        ("case list", "/cases/"),
        (f"case list, page {DEEP_PAGE}", f"/cases/?page={DEEP_PAGE}"),
        ("filter: status open", "/cases/?status=open"),
        ("filter: team", f"/cases/?team={team.pk}"),
        ("filter: risk high", f"/cases/?risk={RiskLevel.HIGH}"),
        ("filter: open need", f"/cases/?need_category={ServiceType.values[0]}"),
        ("filter: referral draft", f"/cases/?referral_status={ReferralStatus.DRAFT}"),
        ("filter: follow-up overdue", "/cases/?follow_up=overdue"),
        ("sort: oldest", "/cases/?sort=oldest"),
        ("sort: code", "/cases/?sort=code"),
        ("sort: risk", "/cases/?sort=risk"),
        ("case page", f"/cases/{_her_case(user, team).display_code}/"),
        ("/", "/"),
    ]
    if membership.role == "supervisor":
        urls += [*_audit_urls(user, membership, team), ("reports", "/reports/")]
    return urls


def _her_case(user, team):
    """A case she works on, or one of the team she supervises."""
    assignment = CaseAssignment.objects.filter(user=user).select_related("case").order_by("case_id").first()
    if assignment is not None:
        return assignment.case
    return Case.objects.filter(team=team).order_by("pk").first()


def _audit_urls(user, membership, team=None):
    case = Case.objects.filter(team=team or Team.objects.filter(organisation_id=membership.organisation_id).first())
    code = case.order_by("pk").values_list("code", flat=True).first()
    person = CaseAssignment.objects.filter(case__code=code).values_list("user__username", flat=True).first()
    # Administrators review access events, supervisors case events too (casework.audit.events).
    event = events.CASE_ASSIGN.name if membership.role == "admin" else events.CASE_VIEW.name
    return [
        ("audit: newest first", "/audit/?list=1"),
        ("audit: by case", f"/audit/?code={code}"),
        ("audit: by person", f"/audit/?user={person}"),
        (f"audit: by event {event}", f"/audit/?event={event}"),
    ]


class _SlowestQuery:
    """A database execute wrapper that keeps the time of the slowest query it saw, in ms
    (the design's audit search budget is per query, not per page)."""

    def __init__(self):
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms = max(self.ms, (time.perf_counter() - started) * 1000)


def _get(page, unrestricted):
    slowest = _SlowestQuery()
    with without_filter() if unrestricted else contextlib.nullcontext(), connection.execute_wrapper(slowest):
        started = time.perf_counter()
        response = page.client.get(page.url)
        elapsed = (time.perf_counter() - started) * 1000
    if not unrestricted:
        page.slowest_query.append(slowest.ms)
    return response, elapsed


def _count_queries(page, unrestricted):
    with CaptureQueriesContext(connection) as queries:
        response, _elapsed = _get(page, unrestricted)
    counted = [query for query in queries.captured_queries if not query["sql"].startswith("SET statement_timeout")]
    return response.status_code, len(counted)


def _statement_timeout(milliseconds):
    """Every connection the pages open cancels a query after ``milliseconds``: a page whose
    query runs away answers 500 and is counted, instead of stopping the run."""

    def set_timeout(sender, connection, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [milliseconds])

    return set_timeout


def measure(pages, rounds, timeout_ms, progress=print):
    """Time every page ``rounds`` times, restricted and not, alternating which goes first
    from round to round; one untimed round first warms the caches and counts the queries."""
    set_timeout = _statement_timeout(timeout_ms)
    connection_created.connect(set_timeout, dispatch_uid="bench-statement-timeout")
    connection.close()
    try:
        for page in pages:
            page.status, page.queries = _count_queries(page, unrestricted=False)
            _status, page.queries_unrestricted = _count_queries(page, unrestricted=True)
        progress(f"queries counted on {len(pages)} pages")
        for number in range(rounds):
            started = time.monotonic()
            for page in pages:
                for unrestricted in (False, True) if number % 2 == 0 else (True, False):
                    response, elapsed = _get(page, unrestricted)
                    (page.unrestricted if unrestricted else page.restricted).append(elapsed)
                    page.failures += response.status_code >= 500
            progress(f"round {number + 1}/{rounds}: {time.monotonic() - started:.0f} s")
    finally:
        connection_created.disconnect(dispatch_uid="bench-statement-timeout")
        connection.close()
    return [page.figures() for page in pages]
