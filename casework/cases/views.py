import uuid
from functools import wraps

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases import codes
from casework.cases.forms import CaseFilterForm, CaseFindForm
from casework.cases.models import Case

CASES_PER_PAGE = 50


def not_found(request):
    """The one answer for "no such case" and "not yours": same page, same status."""
    return render(request, "404.html", status=404)


def case_view(action="view", event="case.view"):
    """Load the case named in the URL through the permission layer, or answer 404/403.

    Denials are audited and the response is returned (not raised), so that the
    request's transaction commits the audit entry.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, code, *args, **kwargs):
            normalised = codes.normalise(code)
            visible = Case.objects.restrict(request.user, "view").select_related("team", "organisation")
            case = visible.filter(code=normalised).first() if normalised else None
            if case is None:
                # Only a well-formed code is kept: a mistyped URL may hold anything, a name included.
                record(event=event, actor=request.user, outcome=Outcome.DENIED, case_code=normalised or "")
                return not_found(request)
            if action != "view" and not Case.objects.restrict(request.user, action).filter(pk=case.pk).exists():
                record(event=event, actor=request.user, outcome=Outcome.DENIED, case=case)
                return render(request, "403.html", status=403)
            return view(request, case, *args, **kwargs)

        return wrapper

    return decorator


def case_list(request, find_form=None):
    form = CaseFilterForm(request.GET or None, user=request.user)
    visible = Case.objects.restrict(request.user, "view").select_related("team").prefetch_related("assignments__user")
    cases = form.apply(visible) if form.is_bound else visible.order_by("-opened_on", "code")
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    record(event="case.list", actor=request.user, details={"codes": [case.code for case in page]})
    context = {"page": page, "form": form, "find_form": find_form or CaseFindForm()}
    return render(request, "cases/case_list.html", context, status=400 if find_form else 200)


@require_POST
def case_find(request):
    """Jump to a case by code; the case page itself decides whether the user may see it."""
    form = CaseFindForm(request.POST)
    if not form.is_valid():
        return case_list(request, find_form=form)
    return redirect("cases:detail", codes.display(form.cleaned_data["code"]))


@case_view("view")
def case_detail(request, case):
    record(event="case.view", actor=request.user, case=case)
    context = {
        "case": case,
        "assignments": case.assignments.select_related("user"),
        "needs": case.needs.select_related("owner"),
        "referrals": case.referrals.select_related("provider"),
        "contacts": case.contacts.all(),
    }
    return render(request, "cases/case_detail.html", context)


def _child_detail(request, case, uid, records, template):
    try:
        uid = uuid.UUID(uid)
    except ValueError:
        uid = None
    child = records.filter(uid=uid).first() if uid else None
    if child is None:
        record(event="case.view", actor=request.user, outcome=Outcome.DENIED, case=case)
        return not_found(request)
    record(
        event="case.view", actor=request.user, case=case, details={"record": child._meta.model_name, "uid": str(uid)}
    )
    return render(request, template, {"case": case, "record": child})


@case_view("view")
def contact_detail(request, case, uid):
    return _child_detail(request, case, uid, case.contacts.all(), "cases/contact_detail.html")


@case_view("view")
def need_detail(request, case, uid):
    return _child_detail(request, case, uid, case.needs.select_related("owner"), "cases/need_detail.html")


@case_view("view")
def referral_detail(request, case, uid):
    return _child_detail(request, case, uid, case.referrals.select_related("provider"), "cases/referral_detail.html")
