import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from casework.cases.choices import NeedStatus
from casework.cases.forms.needs import NeedForm, NeedStatusForm
from casework.cases.services import needs as services
from casework.cases.views.places import saved_on_case_page
from casework.web import doors
from casework.web.forms import form_page


def need_board(needs):
    """The needs of the case page in columns: identified, in progress, then the resolved ones.

    Open needs come soonest-due first (undated last); resolved ones most recently closed first.
    """
    columns = {NeedStatus.IDENTIFIED: [], NeedStatus.IN_PROGRESS: [], "resolved": []}
    for need in needs:
        columns[need.status if need.is_unresolved else "resolved"].append(need)

    def by_due(need):
        return (need.due_on is None, need.due_on or datetime.date.max, need.created_at)

    def by_closing(need):
        return need.closed_on or datetime.date.min

    return [
        {
            "status": "identified",
            "title": NeedStatus.IDENTIFIED.label,
            "needs": sorted(columns["identified"], key=by_due),
        },
        {
            "status": "in_progress",
            "title": NeedStatus.IN_PROGRESS.label,
            "needs": sorted(columns["in_progress"], key=by_due),
        },
        {
            "status": "resolved",
            "title": _("Resolved"),
            "needs": sorted(columns["resolved"], key=by_closing, reverse=True),
        },
    ]


def _detail(case, need, **extra):
    # Through the case as well as the need: a referral of another case never shows here.
    referrals = need.referrals.filter(case=case).select_related("provider").order_by("-created_at")
    return {"case": case, "record": need, "referrals": referrals, **extra}


@doors.case_record("needs", select=("owner",))
def need_detail(request, case, need):
    allowed = case.allows(request.user, "change")
    form = NeedStatusForm(need=need) if allowed else None
    return render(request, "cases/need_detail.html", _detail(case, need, may_change=allowed, form=form))


@doors.case_page("change")
def need_create(request, case):
    form = NeedForm(request.POST or None, case=case, user=request.user)

    def add(form):
        services.need_add(by=request.user, case=case, **form.changes())
        return saved_on_case_page(request, case, "needs", _("Support need added."))

    return form_page(request, form, "cases/need_form.html", {"case": case}, add)


@doors.case_record("needs", "change")
def need_edit(request, case, need):
    form = NeedForm(request.POST or None, instance=need, case=case)

    def save(form):
        services.need_update(by=request.user, need=need, version=form.cleaned_data["version"], **form.changes())
        messages.success(request, _("Support need saved."))
        return redirect("cases:need", case.display_code, need.uid)

    return form_page(request, form, "cases/need_form.html", {"case": case, "record": need}, save)


@doors.case_record("needs", "change")
def need_set_status(request, case, need):
    form = NeedStatusForm(request.POST or None, need=need)

    def move(form):
        data = form.cleaned_data
        services.need_set_status(by=request.user, need=need, status=data["status"], version=data["version"])
        messages.success(request, _("Status changed."))
        return redirect("cases:need", case.display_code, need.uid)

    return form_page(request, form, "cases/need_detail.html", _detail(case, need, may_change=True), move)


# Under /cases/<code>/needs/, in the "cases" namespace.
urls = [
    path("new/", need_create, name="need_new"),
    path("<str:uid>/", need_detail, name="need"),
    path("<str:uid>/edit/", need_edit, name="need_edit"),
    path("<str:uid>/status/", need_set_status, name="need_status"),
]
