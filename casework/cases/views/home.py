"""The first page after sign-in: what needs doing today, and nothing the user may not see."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.shortcuts import render
from django.utils import timezone

from casework.access.models import Role
from casework.access.services import pending_for
from casework.accounts import protection
from casework.audit import events, reasons, review, verification
from casework.audit.models import AuditEntry
from casework.audit.review import QUIET_EVENTS
from casework.audit.services import record
from casework.cases import codes
from casework.cases.choices import ReferralStatus, Urgency
from casework.cases.models import Case, Referral, SupportNeed
from casework.identity.services import duplicates_seen_by
from casework.partners import services as partner_services
from casework.retention import services as retention
from casework.web import doors

SHOWN = 10  # per section; the case list holds the rest
FOLLOW_UP_HORIZON = timedelta(days=7)
RECENT = timedelta(days=30)
REVEALS_SHOWN_FOR = timedelta(days=7)


@doors.signed_in
def home(request):
    membership = request.membership
    if membership is None or membership.role == Role.ADMIN:
        context = {"scope": None, "is_admin": membership is not None}
        context["chain_broken"] = verification.failed() if membership is not None else None
        return render(request, "cases/home.html", context)
    if membership.role == Role.REPORTING:
        # Aggregates only: no case, no record, no count of hers here; the reports are elsewhere.
        context = {"scope": None, "reporting": True, "not_vouched": not membership.is_vouched}
        return render(request, "cases/home.html", context)
    supervising = membership.role == Role.SUPERVISOR
    scope = _scope(request.user, supervising)
    today = timezone.localdate()
    context = {
        "scope": scope,
        "supervising": supervising,
        "follow_ups": scope.open()
        .filter(follow_up_on__lte=today + FOLLOW_UP_HORIZON)
        .select_related("team")
        .order_by("follow_up_on", "code")[:SHOWN],
        "urgent_needs": _scope(request.user, supervising, SupportNeed)
        .filter(urgency__in=[Urgency.HIGH, Urgency.URGENT])
        .unresolved()
        .select_related("case", "owner")
        .order_by("due_on", "created_at")[:SHOWN],
        "awaiting": _scope(request.user, supervising, Referral)
        .filter(status=ReferralStatus.SENT)
        .select_related("case", "provider")
        .order_by("sent_on", "created_at")[:SHOWN],
        "recent": _recently_touched(request.user),
        "unassigned": _unassigned(scope)[:SHOWN] if supervising else None,
    }
    context["not_vouched"] = not membership.is_vouched
    # Packets waiting in the partner inbox (for who works it), and for a supervisor's approval.
    context["packets_waiting"], context["packets_to_approve"] = partner_services.waiting_counts(request.user)
    if supervising:
        # Every supervisor and administrator, of every organisation, is told the trail broke.
        context["chain_broken"] = verification.failed()
        context["confirmations"] = pending_for(request.user)
        context["reveals"] = _reveals(scope)
        context["unreviewed_week"] = review.last_week_unreviewed(request.user)
        context["duplicates"], context["duplicates_visible"] = duplicates_seen_by(request.user, limit=SHOWN)
        context["erasures_waiting"] = list(retention.pending_erasures(request.user)[:SHOWN])
        context["due_for_erasure"] = list(retention.notices_seen_by(request.user)[:SHOWN])
        # Frozen, travelling, signed in under duress: her people she may protect.
        context["protected"] = protection.protected_people(request.user, membership.organisation_id)
    shown = {case.code for key in ("follow_ups", "recent", "unassigned") for case in context[key] or ()}
    shown |= {item.case.code for key in ("urgent_needs", "awaiting") for item in context[key]}
    shown |= {item.case.code for key in ("erasures_waiting", "due_for_erasure") for item in context.get(key, ())}
    # Her organisation is known already: the entry needs no query to find it.
    details = {"page": "home", "codes": sorted(shown)}
    record(event=events.CASE_LIST, actor=request.user, organisation=membership.organisation_id, details=details)
    return render(request, "cases/home.html", context)


def _scope(user, supervising, model=Case):
    """A caseworker's own cases (lead or co-worker); a supervisor's: every case of her teams.
    With ``model`` (needs, referrals): their records, asked the same way, so that the
    database walks the records in the page's order and stops after a page (not "records
    she may view, of a set of cases gathered first", which grew with the cases she works on)."""
    to_case = "" if model is Case else "case__"
    if supervising:
        return model.objects.restrict(user, "manage")
    # One assignment per person and case: the join repeats no row.
    return model.objects.restrict(user, "view").filter(**{f"{to_case}assignments__user": user})


def _reveals(scope):
    """Identity reveals (and refused reveals) on the cases she supervises, with a flag on
    those made outside working hours: who opened which file, when, and why."""
    since = timezone.now() - REVEALS_SHOWN_FOR
    start, end = settings.WORKING_HOURS
    entries = list(
        AuditEntry.objects.filter(review.about_one_of(scope), event=events.IDENTITY_REVEAL.name, timestamp__gte=since)
        .select_related("actor")
        .order_by("-timestamp")[:SHOWN]
    )
    reasons.open_reasons(entries)
    for entry in entries:
        entry.display_code = codes.display(entry.case_code)
        entry.out_of_hours = not start <= timezone.localtime(entry.timestamp).hour < end
    return entries


def _unassigned(scope):
    return scope.open().filter(has_lead=False).select_related("team").order_by("opened_on", "code")


def _recently_touched(user):
    """The cases this user opened or changed lately, newest first, that she may still see."""
    since = timezone.now() - RECENT
    # Her entries since then, read from her own (actor, seq) index from the first entry of the
    # window on (seq grows with time), instead of every entry of the window tested for her.
    # (Asked first, as a number: given a subquery, the planner guesses the range and walks
    # the whole window instead.)
    first = AuditEntry.objects.filter(timestamp__gte=since).order_by("timestamp").values_list("seq", flat=True).first()
    if first is None:
        return []
    touched = (
        AuditEntry.objects.filter(actor=user, seq__gte=first, outcome="ok")
        .filter(~Q(case_code="") & ~Q(event=events.CASE_LIST.name))
        .exclude(event__in=QUIET_EVENTS)
        .values("case_code")
        .annotate(last=Max("timestamp"))
        .order_by("-last")[:SHOWN]
    )
    order = {row["case_code"]: row["last"] for row in touched}
    cases = Case.objects.restrict(user, "view").filter(code__in=list(order)).select_related("team")
    return sorted(cases, key=lambda case: order[case.code], reverse=True)
