"""The review screens at /audit/: the trail, a case's timeline, a person's activity, flags, CSV.

Every page's door (casework.web.doors.reviewer and its kin) turns away whoever reviews
nothing with the standard 404, audited as a denied ``audit.view``. Every page reads entries
only through review.entries_for() (or, for a case timeline, after review.may_review_case()),
and every successful look is itself audited as ``audit.view``.
"""

import json
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from casework.access.models import Role
from casework.accounts.models import workspace_is_empty
from casework.audit import describe, digest, events, reasons, review, services, verification
from casework.audit import flags as flag_services
from casework.audit.forms import FlagReviewForm, FlagWindowForm, PageForm, TrailFilterForm, WeekForm, WeekReviewForm
from casework.audit.models import AuditEntry, Outcome
from casework.audit.services import record
from casework.cases import codes
from casework.cases.services.export import defuse
from casework.web import doors
from casework.web.pages import csv_response, forbidden, not_found

EXPORT_CAP = 10_000
# No seq: a reviewer who saw the numbering could count the entries hidden from her.
EXPORT_COLUMNS = ("timestamp", "actor", "event", "case_code", "outcome", "reason", "details")
ACTIVITY_DAYS = 30


def _role(request):
    """Her review role as her pages show it: while her workspace is emptied (frozen,
    travelling, under duress) the pages open as on any day and ``review.entries_for`` gives
    them nothing to show."""
    return review.reviewer(request.user, as_offered=True)


def _record_view(request, page, filters, case_code=""):
    record(
        event=events.AUDIT_VIEW,
        actor=request.user,
        case_code=case_code,
        organisation=_role(request).organisation_id,
        details={"page": page, "filters": filters},
    )


def _looked_at(form, filters=None):
    """The filters of a page as kept in its ``audit.view`` entry, and whether it is an older
    page (never where it starts: that would show a reviewer the seq)."""
    older = form.cleaned_data.get("before") is not None
    return {**(filters or {}), **({"older_page": True} if older else {})}


def _page_context(request, entries, before):
    page, older = review.page_of(entries, before)
    manageable = review.manageable_codes(request.user, {entry.case_code for entry in page})
    page = review.withhold_outside_teams(request.user, page, inside=manageable)
    reasons.open_reasons(page)
    return {"entries": describe.described(page), "older": older, "manageable": manageable}


def _trail_form(request):
    role = _role(request)
    # Frozen, travelling, under duress: no colleague's name is known to the filter, hers alone.
    only = request.user.get_username() if workspace_is_empty(request.user) else None
    return TrailFilterForm(request.GET, organisation_id=role.organisation_id, role=role.role, only=only)


def _bad_filters(request, form):
    return render(request, "audit/trail.html", {"form": form.forget_invalid(), "entries": []}, status=400)


def _filtered_trail(request):
    """``(filtered entries, form)`` for the trail and its export, or ``(response, None)``
    when the filters are invalid (400)."""
    form = _trail_form(request)
    if not form.is_valid():
        return _bad_filters(request, form), None
    return review.filtered(review.entries_for(request.user), **form.filters()), form


@require_GET
@doors.reviewer("trail")
def trail(request):
    chosen, form = _filtered_trail(request)
    if form is None:
        return chosen
    if not form.filters() and not form.cleaned_data["before"] and "list" not in request.GET:
        return _week_review_page(request, chosen, form)
    context = _page_context(request, chosen, form.cleaned_data["before"])
    # Links repeat only the filters that passed validation, never anything else in the address.
    context["query"] = urlencode(form.described() or {"list": "1"})
    _record_view(request, "trail", _looked_at(form, form.described()))
    context["verification"], context["verification_overdue"] = verification.shown()
    return render(request, "audit/trail.html", {**context, "form": form})


def _week_review_page(request, entries, form, marking=None, status=200):
    """The default view: one week, sensitive entries first, the routine folded."""
    chosen = WeekForm(request.GET if marking is None else {"week": marking.data.get("week")})
    if not chosen.is_valid():
        context = {"form": form, "week_form": chosen.forget_invalid(), "entries": []}
        return render(request, "audit/trail.html", context, status=400)
    monday = chosen.monday()
    week = digest.of_week(entries, monday)
    context = {"form": form, "week_form": chosen, "marking": marking, **_week_context(request, week, monday)}
    _record_view(request, "review", {"week": monday.isoformat()})  # whatever the status: it shows the week
    return render(request, "audit/review.html", context, status=status)


def _week_context(request, week, monday):
    sensitive, more_sensitive = digest.sensitive_entries(week)
    folds, more_folds = digest.folds(week)
    shown = {entry.case_code for entry in sensitive} | {fold.case_code for fold in folds}
    manageable = review.manageable_codes(request.user, shown)
    # Her people's acts on other teams' cases: that they happened, not their reasons or details.
    sensitive = describe.described(review.withhold_outside_teams(request.user, sensitive, inside=manageable))
    reasons.open_reasons(sensitive)  # the folds show no reason
    for fold in folds:
        describe.described(review.withhold_outside_teams(request.user, fold.entries, inside=manageable))
    supervising = _role(request).role == Role.SUPERVISOR
    return {
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7) if monday < review.week_start(timezone.localdate()) else None,
        "sensitive": sensitive,
        "more_sensitive": more_sensitive,
        "night_folds": [fold for fold in folds if fold.out_of_hours],
        "folds": [fold for fold in folds if not fold.out_of_hours],
        "more_folds": more_folds,
        "people": digest.people(week),
        "flags": _open_flags(request.user, monday),
        "manageable": manageable,
        "supervising": supervising,
        **dict(zip(("verification", "verification_overdue"), verification.shown(), strict=True)),
        # Emptied (frozen, travelling, under duress), she has marked nothing either.
        "mark": digest.mark_of(request.user, monday) if supervising and not workspace_is_empty(request.user) else None,
    }


def _open_flags(user, monday):
    """The flags of that week not yet reviewed."""
    start, end = review.week_bounds(monday)
    found = flag_services.flags_for(user, days=7, now=end) or []
    return [flag for flag in found if start <= flag.when < end and flag.review is None]


@require_POST
@doors.reviewer("week_review")
def week_review(request):
    role = _role(request)
    marking = WeekReviewForm(request.POST)
    if role.role != Role.SUPERVISOR:
        record(event=events.AUDIT_WEEK_REVIEWED, actor=request.user, outcome=Outcome.DENIED)
        return forbidden(request)
    if marking.is_valid():
        try:
            services.week_review(by=request.user, week=marking.cleaned_data["week"], note=marking.cleaned_data["note"])
        except ValidationError as error:
            marking.add_error(None, error)
        else:
            messages.success(request, _("Week marked as reviewed."))
            return redirect(f"{reverse('audit:trail')}?{urlencode({'week': marking.cleaned_data['week']})}")
    form = _trail_form(request)
    form.is_valid()
    return _week_review_page(request, review.entries_for(request.user), form, marking=marking, status=400)


@require_GET
@doors.case_reviewer("case")
def case_timeline(request, normalised):
    form = PageForm(request.GET)
    context = {"display_code": codes.display(normalised), "form": form}
    if not form.is_valid():
        return render(request, "audit/case.html", {**context, "entries": []}, status=400)
    organisation_id = _role(request).organisation_id
    entries = AuditEntry.objects.filter(organisation_id=organisation_id, case_code=normalised).exclude(
        event__in=review.QUIET_EVENTS, actor_id=request.user.pk
    )
    context["people"] = digest.people(entries.filter(timestamp__gte=timezone.now() - timedelta(days=ACTIVITY_DAYS)))
    context.update(_page_context(request, entries, form.cleaned_data["before"]))
    _record_view(request, "case", _looked_at(form), case_code=normalised)
    return render(request, "audit/case.html", context)


@require_GET
@doors.reviewer_finds("user", "username", review.person_in_scope)
def user_activity(request, person):
    entries = review.entries_for(request.user)
    form, chosen = PageForm(request.GET), WeekForm(request.GET)
    context = {"person": person, "is_admin": _role(request).is_admin, "week_form": chosen}
    if not form.is_valid() or not chosen.is_valid():
        chosen.forget_invalid()
        return render(request, "audit/user.html", {**context, "entries": []}, status=400)
    theirs = entries.filter(actor=person)
    since, until, context["monday"] = _activity_period(chosen)
    context["counts"] = review.activity_counts(theirs, since=since, until=until)
    context.update(_page_context(request, theirs, form.cleaned_data["before"]))
    looked = {"user": person.username, **({"week": context["monday"].isoformat()} if context["monday"] else {})}
    _record_view(request, "user", _looked_at(form, looked))
    return render(request, "audit/user.html", context)


def _activity_period(chosen):
    """``(since, until, monday)``: the chosen week, or the last ACTIVITY_DAYS days (monday None)."""
    if chosen.cleaned_data.get("week"):
        monday = chosen.monday()
        return *review.week_bounds(monday), monday
    return timezone.now() - timedelta(days=ACTIVITY_DAYS), None, None


@require_GET
@doors.reviewer("flags")
def flags(request):
    window = FlagWindowForm(request.GET or None)
    if window.is_bound and not window.is_valid():
        return render(request, "audit/flags.html", {"window": window.forget_invalid(), "flags": []}, status=400)
    days = window.days_or_default()
    found = flag_services.flags_for(request.user, days)
    _record_view(request, "flags", {"days": days})
    return render(request, "audit/flags.html", {"window": window, "flags": found, "days": days})


@require_POST
@doors.reviewer("flag_review")
def flag_review(request):
    form = FlagReviewForm(request.POST)
    if not form.is_valid() and (form.has_error("key") or form.has_error("days")):
        return not_found(request)
    days = form.cleaned_data["days"] or flag_services.DEFAULT_DAYS
    found = flag_services.flags_for(request.user, days)
    flag = next((flag for flag in found if flag.key == form.cleaned_data["key"]), None)
    if flag is None:
        return not_found(request)  # not a flag she can see: the same as no such flag
    if form.errors:
        context = {"window": FlagWindowForm(), "flags": found, "days": days, "failed": form}
        return render(request, "audit/flags.html", context, status=400)
    try:
        flag_services.flag_review(by=request.user, flag=flag, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Flag marked as reviewed."))
    return redirect(f"{reverse('audit:flags')}?{urlencode({'days': days})}")


@require_GET
@doors.reviewer("export")
def trail_export(request):
    chosen, form = _filtered_trail(request)
    if form is None:
        return chosen
    chosen = chosen.select_related("actor").order_by("-seq")
    chosen = review.withhold_outside_teams(request.user, list(chosen[: EXPORT_CAP + 1]))
    reasons.open_reasons(chosen)
    rows = [_export_row(entry) for entry in chosen]
    capped = len(rows) > EXPORT_CAP
    rows = rows[:EXPORT_CAP]
    record(
        event=events.EXPORT_AUDIT_CSV,
        actor=request.user,
        organisation=_role(request).organisation_id,
        details={"filters": form.described(), "rows": len(rows)},
    )
    if capped:
        note = _("Only the newest %(cap)s entries are here: narrow the filters to see the rest.") % {"cap": EXPORT_CAP}
        rows.append([defuse(note)])
    return csv_response([list(EXPORT_COLUMNS), *rows], f"casework-audit-{timezone.localdate():%Y-%m-%d}.csv")


def _export_row(entry):
    cells = (
        timezone.localtime(entry.timestamp).isoformat(),
        entry.actor.get_username() if entry.actor else "",
        entry.event,
        entry.case_code,
        entry.outcome,
        entry.reason,
        json.dumps(review.export_details(entry), ensure_ascii=False, sort_keys=True, default=str),
    )
    return [defuse(cell) for cell in cells]
