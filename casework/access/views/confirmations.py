"""Where a supervisor vouches for new accounts and confirms or refuses what administrators
asked for. Only for supervisors who may confirm something (see access.services.vouching);
anyone else, and anything she may not decide, is a 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casework.access import services as access
from casework.access.forms.confirmations import CONFIRM, DecisionForm, VouchForm
from casework.accounts.services import WRONG_CODE, second_factor_is_fresh, step_up
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.web import doors
from casework.web.forms import form_page, refusal_as_message
from casework.web.pages import not_found


@require_GET
@doors.confirmer
def confirmation_list(request):
    return render(request, "access/confirmations/list.html", {"pending": request.pending})


def _code_is_fresh(request, form, event, target):
    """The step-up of the reveal: a code is asked when the last one is too old; a wrong one is audited."""
    if "code" not in form.fields or step_up(request=request, token=form.cleaned_data["code"]):
        return True
    record(event=event, actor=request.user, outcome=Outcome.DENIED, target=target)
    form.add_error("code", WRONG_CODE)
    return False


@doors.confirmer
def person_vouch(request, username):
    membership = next((m for m in request.pending.accounts if m.user.username == username), None)
    if membership is None:
        return not_found(request)
    form = VouchForm(request.POST or None, needs_code=not second_factor_is_fresh(request))

    @refusal_as_message()
    def vouch(form):
        if not _code_is_fresh(request, form, "access.vouch", membership.user):
            raise ValidationError(_("Nothing was changed."))
        access.membership_vouch(by=request.user, membership=membership, reason=form.cleaned_data["reason"])
        messages.success(request, _("You vouched for %(name)s.") % {"name": membership.user.username})
        return redirect("access:confirmations")

    # She vouches for these cases too: an administrator may have put the person on them first.
    cases = access.vouching_cases(membership)
    context = {"membership": membership, "person": membership.user, "cases": cases}
    return form_page(request, form, "access/confirmations/vouch.html", context, vouch)


@doors.confirmer
def request_decide(request, uid):
    wanted = next((r for r in request.pending.requests if str(r.uid) == str(uid)), None)
    if wanted is None:
        return not_found(request)
    form = DecisionForm(request.POST or None, needs_code=not second_factor_is_fresh(request))

    @refusal_as_message()
    def decide(form):
        event = events.ACCESS_CONFIRM if form.cleaned_data["decision"] == CONFIRM else events.ACCESS_REFUSE
        if not _code_is_fresh(request, form, event, wanted.membership.user):
            raise ValidationError(_("Nothing was changed."))
        act = access.request_confirm if form.cleaned_data["decision"] == CONFIRM else access.request_refuse
        act(by=request.user, request=wanted, reason=form.cleaned_data["reason"])
        messages.success(request, _("Your decision was recorded."))
        return redirect("access:confirmations")

    context = {"item": wanted, "person": wanted.membership.user}
    return form_page(request, form, "access/confirmations/decide.html", context, decide)


urls = [
    path("", confirmation_list, name="confirmations"),
    path("people/<str:username>/", person_vouch, name="vouch"),
    path("requests/<uuid:uid>/", request_decide, name="request_decide"),
]
