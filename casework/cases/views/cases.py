from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.access import services as access
from casework.access.forms.cases import AssignForm, UnassignForm
from casework.accounts.models import workspace_is_empty
from casework.accounts.services import second_factor_is_fresh
from casework.audit import events
from casework.audit.services import record
from casework.cases import codes
from casework.cases.choices import AssignmentRole, Urgency
from casework.cases.forms.cases import (
    CaseFilterForm,
    CaseFindForm,
    CaseForm,
    CaseIntakeForm,
)
from casework.cases.forms.common import ReasonForm
from casework.cases.forms.contacts import QuickContactForm
from casework.cases.models import Case
from casework.cases.services import cases as services
from casework.cases.services.export import may_export
from casework.cases.services.journey import LATEST_FIRST, journey_step_add
from casework.cases.views.needs import need_board
from casework.cases.views.places import CASE_PAGE_PLACES, case_tag
from casework.identity import guard
from casework.identity import services as identity_services
from casework.identity.flow import second_factor_given, tell_about_duplicates
from casework.identity.forms import IdentityForm
from casework.partners import services as partner_services
from casework.partners.forms import AnswerForm
from casework.web import doors
from casework.web.forms import KEEP_AS_WRITTEN, form_page, record_kept
from casework.web.pages import messages_by_place
from casework.web.paging import CappedPaginator

CASES_PER_PAGE = 50
# The newest contacts on the case page; the rest on the contacts page, a page at a time. A
# case worked for years keeps a page that loads fast on a phone.
CONTACTS_SHOWN = 20
# A journey has a handful of steps; a hundred would be a mistake, and still a page that loads.
JOURNEY_SHOWN = 50


@doors.workspace
def case_list(request, find_form=None):
    form = CaseFilterForm(request.GET or None, user=request.user)
    visible = Case.objects.restrict(request.user, "view").select_related("team").prefetch_related("assignments__user")
    cases = form.apply(visible) if form.is_bound else visible.sorted_as("opened")
    # Counted only up to a thousand: past that the page says "more than 1,000".
    page = CappedPaginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    record(event=events.CASE_LIST, actor=request.user, details={"codes": [case.code for case in page]})
    context = {"page": page, "form": form, "find_form": find_form or CaseFindForm(), "active_filters": form.in_use()}
    context["may_export"] = may_export(request.membership)
    return render(request, "cases/case_list.html", context, status=400 if find_form else 200)


@require_POST
@doors.workspace
def case_find(request):
    """Jump to a case by code; the case page itself decides whether the user may see it."""
    form = CaseFindForm(request.POST)
    if not form.is_valid():
        return case_list.__wrapped__(request, find_form=form)
    return redirect("cases:detail", codes.display(form.cleaned_data["code"]))


@doors.intake
def case_create(request):
    # Frozen, travelling or under duress: the form looks as on any day, and what she sends
    # never reaches this view (casework.accounts.middleware.EmptiedWorkspaceMiddleware).
    form = CaseIntakeForm(request.POST or None, user=request.user, shown=workspace_is_empty(request.user))
    needs_code = not second_factor_is_fresh(request)
    identity_form = IdentityForm(request.POST or None, prefix="identity", needs_code=needs_code)
    context = {"identity_form": identity_form}
    if request.method == "POST" and not identity_form.is_valid():
        form.is_valid()  # show every message at once
        return render(request, "cases/case_form.html", {**context, "form": form}, status=400)

    def create(form):
        profile = form.changes()
        team, lead = profile.pop("team"), profile.pop("lead", None)
        identity = identity_form.values()
        if identity and not second_factor_given(request, identity_form, identity):
            raise ValidationError(_("Identity details need a fresh code from your authenticator app."))
        with transaction.atomic():  # the case and its first step, or neither (a refusal is shown on the form)
            case = access.case_open(by=request.user, team=team, lead=lead, **profile)
            if form.first_step():
                journey_step_add(by=request.user, case=case, version=case.version, **form.first_step())
        matches = identity_services.identity_save(by=request.user, case=case, values=identity) if identity else []
        if request.POST.get(KEEP_AS_WRITTEN) == "on" and quoted(form):
            record_kept(request, case, form, quoted(form))
        tell_about_duplicates(request, matches)
        return redirect("cases:opened", case.display_code)

    def quoted(form):  # the identity is typed on the same page: check the summary against it
        return guard.fields_quoting(identity_form.values(), {"summary": form.cleaned_data.get("summary")})

    return form_page(request, form, "cases/case_form.html", context, create, quoted=quoted)


@doors.case_page("view")
def case_opened(request, case):
    """Right after intake: the new code, large, to write down before anything else."""
    return render(request, "cases/case_opened.html", {"case": case})


@doors.case_page("view")
def case_detail(request, case):
    assignments = list(case.assignments.select_related("user"))
    needs = list(case.needs.select_related("owner").prefetch_related("referrals"))
    top_messages, placed_messages = messages_by_place(request, CASE_PAGE_PLACES, case_tag(case))
    contacts = list(case.contacts.all()[: CONTACTS_SHOWN + 1])  # one more: is there an older one?
    journey = list(case.journey.select_related("created_by").order_by(*LATEST_FIRST)[: JOURNEY_SHOWN + 1])
    context = {
        "case": case,
        "assignments": assignments,
        "lead": next((a.user for a in assignments if a.role == AssignmentRole.LEAD), None),
        "urgent_needs": sum(1 for need in needs if need.is_unresolved and need.urgency == Urgency.URGENT),
        "need_board": need_board(needs),
        "referrals": case.referrals.select_related("provider", "partner").prefetch_related("needs"),
        "contacts": contacts[:CONTACTS_SHOWN],
        "more_contacts": len(contacts) > CONTACTS_SHOWN,
        "journey": journey[:JOURNEY_SHOWN],
        "more_journey": len(journey) > JOURNEY_SHOWN,
        "may_change": case.allows(request.user, "change"),
        "may_manage": case.allows(request.user, "manage"),
        "may_reveal": case.allows(request.user, "reveal"),
        "top_messages": top_messages,
        "placed_messages": placed_messages,
    }
    context["contact_form"] = QuickContactForm() if context["may_change"] else None
    # Where a case that came from a partner's packet answers back: the partner's name, never its case.
    context["received"] = partner_services.received_packet(case) if case.from_packet else None
    context["answer_form"] = AnswerForm() if context["received"] and context["may_change"] else None
    return render(request, "cases/case_detail.html", context)


@doors.case_page("change")
def case_edit(request, case):
    form = CaseForm(request.POST or None, instance=case)

    def save(form):
        services.case_update(by=request.user, case=case, version=form.cleaned_data["version"], **form.changes())
        messages.success(request, _("Case saved."))
        return redirect("cases:detail", case.display_code)

    return form_page(request, form, "cases/case_form.html", {"case": case}, save)


def _state_change(request, case, service, done_message):
    form = ReasonForm(request.POST or None, initial={"version": case.version})

    def change(form):
        service(by=request.user, case=case, reason=form.cleaned_data["reason"], version=form.cleaned_data["version"])
        messages.success(request, done_message)
        return redirect("cases:detail", case.display_code)

    return form_page(request, form, "cases/case_state.html", {"case": case, "service": service.__name__}, change)


@doors.case_page("manage")
def case_close(request, case):
    return _state_change(request, case, services.case_close, _("Case closed."))


@doors.case_page("manage")
def case_reopen(request, case):
    return _state_change(request, case, services.case_reopen, _("Case reopened."))


@doors.case_page("manage")
def case_assign(request, case):
    # The same form, and the same rules, as the case's access page at /access/.
    form = AssignForm(request.POST or None, case=case, by=request.user)

    def assign(form):
        data = form.cleaned_data
        access.case_assign(by=request.user, case=case, user=data["user"], role=data["role"], reason=data["reason"])
        messages.success(request, _("Assignment saved."))
        return redirect("cases:detail", case.display_code)

    context = {"case": case, "assignments": case.assignments.select_related("user")}
    return form_page(request, form, "cases/case_assign.html", context, assign)


@require_POST
@doors.case_page("manage")
def case_unassign(request, case):
    form = UnassignForm(request.POST, case=case)

    def unassign(form):
        data = form.cleaned_data
        access.case_unassign(by=request.user, case=case, user=data["user"], reason=data["reason"])
        messages.success(request, _("Assignment removed."))
        return redirect("cases:detail", case.display_code)

    context = {"case": case, "unassign_form": form, "assignments": case.assignments.select_related("user")}
    return form_page(request, form, "cases/case_assign.html", context, unassign)
