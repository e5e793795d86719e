"""The case directory and a case's access page: who can reach each case, and changing it.

For administrators (every case of their organisation) and supervisors (the cases of the
teams they supervise). Codes, teams, statuses, usernames, assignments and grants only:
these pages never show case content. A case is found only in ``request.directory``.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.access import explain
from casework.access import services as access
from casework.access.forms.cases import AssignForm, DirectoryFilterForm, GrantForm, RevokeForm, UnassignForm
from casework.access.models import AccessRequest, Grant, Role
from casework.accounts.models import workspace_is_empty
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases.choices import AssignmentRole
from casework.cases.models import CaseAssignment
from casework.web import doors
from casework.web.forms import form_page, refusal_as_message
from casework.web.pages import not_found

CASES_PER_PAGE = 50
PAGE = "access/cases/case.html"


@require_GET
@doors.access_directory
def access_index(request):
    """/access/ opens where the menu's "Access" does: People for an administrator, the
    case directory for a supervisor."""
    return redirect("access:users" if request.membership.role == Role.ADMIN else "access:cases")


@require_GET
@doors.access_directory
def case_directory(request):
    # Frozen, travelling, under duress: no team and no colleague among the filters either.
    organisation_id = None if workspace_is_empty(request.user) else request.membership.organisation_id
    form = DirectoryFilterForm(request.GET, organisation_id=organisation_id)
    if not form.is_valid():
        return render(request, "access/cases/directory.html", {"form": form.forget_invalid()}, status=400)
    cases = (
        form.apply(request.directory)
        .select_related("team")
        .prefetch_related(
            Prefetch("assignments", queryset=CaseAssignment.objects.select_related("user")),
            Prefetch("grants", queryset=Grant.objects.current().select_related("user"), to_attr="current_grants"),
        )
        .order_by("code")
    )
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "access/cases/directory.html", {"form": form, "page": page, "query": form.query()})


def _page(request, case, **forms):
    """The access page's context; ``forms`` replaces the blank form of the one that was sent."""
    rows = explain.case_access(case)
    context = {
        "case": case,
        "rows": rows,
        "assigned": any(row.assignment for row in rows),
        "history": explain.grant_history(case),
        "assign_form": AssignForm(case=case, by=request.user, prefix="assign"),
        "unassign_form": UnassignForm(case=case, prefix="unassign"),
        "grant_form": GrantForm(case=case, by=request.user, prefix="grant"),
    }
    return {**context, **forms}


def _back(request, case, message):
    messages.success(request, message)
    return redirect("access:case", case.display_code)


@require_GET
@doors.directory_case
def case_access(request, case):
    return render(request, PAGE, _page(request, case))


@require_POST
@doors.directory_case
def case_assign(request, case):
    form = AssignForm(request.POST, case=case, by=request.user, prefix="assign")

    def assign(form):
        data = form.cleaned_data
        with refusal_as_message():
            access.case_assign(by=request.user, case=case, user=data["user"], role=data["role"], reason=data["reason"])
        if data["role"] == AssignmentRole.LEAD:
            message = _("%(user)s is now the lead caseworker.")
        else:
            message = _("%(user)s is now a co-worker on this case.")
        return _back(request, case, message % {"user": data["user"].username})

    return form_page(request, form, PAGE, _page(request, case, assign_form=form), assign)


@require_POST
@doors.directory_case
def case_unassign(request, case):
    form = UnassignForm(request.POST, case=case, prefix="unassign")

    def unassign(form):
        data = form.cleaned_data
        with refusal_as_message():
            access.case_unassign(by=request.user, case=case, user=data["user"], reason=data["reason"])
        return _back(request, case, _("%(user)s no longer works on this case.") % {"user": data["user"].username})

    return form_page(request, form, PAGE, _page(request, case, unassign_form=form), unassign)


@require_POST
@doors.directory_case
def case_grant(request, case):
    form = GrantForm(request.POST, case=case, by=request.user, prefix="grant")

    def grant(form):
        data = form.cleaned_data
        with refusal_as_message():
            made = access.grant_add(
                by=request.user,
                case=case,
                user=data["user"],
                level=data["level"],
                reason=data["reason"],
                expires=data["expires"],
            )
        if isinstance(made, AccessRequest):
            message = _("The grant to %(user)s waits for a supervisor of the case's team to confirm it.")
        else:
            message = _("%(user)s has been given access.")
        return _back(request, case, message % {"user": data["user"].username})

    return form_page(request, form, PAGE, _page(request, case, grant_form=form), grant)


@require_http_methods(["GET", "POST"])
@doors.directory_case
def case_revoke(request, case, grant_uid):
    grant = case.grants.filter(uid=grant_uid, revoked_at__isnull=True).select_related("user", "granted_by").first()
    if grant is None:  # revoked already, or another case's: the same as no such grant
        record(event=events.ACCESS_CASE, actor=request.user, outcome=Outcome.DENIED, case=case)
        return not_found(request)
    form = RevokeForm(request.POST or None)

    def revoke(form):
        with refusal_as_message():
            access.grant_remove(by=request.user, grant=grant, reason=form.cleaned_data["reason"])
        return _back(request, case, _("The access of %(user)s was revoked.") % {"user": grant.user.username})

    return form_page(
        request,
        form,
        "access/cases/revoke.html",
        {"case": case, "grant": grant},
        revoke,
    )


urls = [
    path("", case_directory, name="cases"),
    path("<str:code>/", case_access, name="case"),
    path("<str:code>/assign/", case_assign, name="case_assign"),
    path("<str:code>/unassign/", case_unassign, name="case_unassign"),
    path("<str:code>/grant/", case_grant, name="case_grant"),
    path("<str:code>/grants/<uuid:grant_uid>/revoke/", case_revoke, name="case_revoke"),
]
