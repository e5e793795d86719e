"""The pages that protect an account (casework.accounts.protection): her own safety page,
and a supervisor's page about one of her people.

Her own page shows forms only, never what is in force (a frozen account, travel mode, a
duress password set): whoever makes her open it learns nothing from it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.accounts import protection
from casework.accounts.forms import ConfirmForm, DuressPasswordForm, ReasonForm, TravelForm, UnfreezeForm
from casework.accounts.models import AccountGuard
from casework.accounts.services import WRONG_CODE, step_up
from casework.accounts.sessions import CLEAR_SITE_DATA
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.web import doors

# Her own page's forms, each posted to its own address.
OWN_FORMS = {
    "freeze": lambda request, data: ConfirmForm(data, prefix="freeze"),
    "travel": lambda request, data: TravelForm(data, prefix="travel"),
    "duress": lambda request, data: DuressPasswordForm(data, prefix="duress", user=request.user, request=request),
    "lost": lambda request, data: ConfirmForm(data, prefix="lost"),
}


def _own_page(request, bound=None, status=200):
    forms = {name: make(request, None) for name, make in OWN_FORMS.items()}
    if bound is not None:
        forms[bound[0]] = bound[1]
    return render(request, "accounts/safety.html", {"forms": forms}, status=status)


def _signed_out(request):
    """Her sessions ended, this one too: the browser is asked to drop everything of the site."""
    logout(request)
    response = redirect(settings.LOGIN_URL)
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@doors.signed_in
def safety(request):
    return _own_page(request)


def _own_act(name):
    def decorator(act):
        @require_POST
        def view(request):
            form = OWN_FORMS[name](request, request.POST)
            if not form.is_valid():
                return _own_page(request, (name, form), status=400)
            return act(request, form)

        view.__name__ = act.__name__
        return doors.signed_in(view)

    return decorator


@_own_act("freeze")
def freeze_own(request, form):
    protection.account_freeze(by=request.user, user=request.user)
    return _signed_out(request)


@_own_act("travel")
def travel_own(request, form):
    protection.travel_start(by=request.user, user=request.user, until=form.cleaned_data["until"])
    messages.success(request, _("Done."))
    return redirect("accounts:safety")


@_own_act("duress")
def duress_password(request, form):
    protection.duress_password_set(user=request.user, password=form.cleaned_data["password1"])
    messages.success(request, _("Done."))
    return redirect("accounts:safety")


@_own_act("lost")
def device_lost_own(request, form):
    protection.device_lost(by=request.user, user=request.user)
    return _signed_out(request)


# A supervisor's page about one of her people ----------------------------------------------

PERSON_FORMS = {
    "freeze": lambda data: ConfirmForm(data, prefix="freeze", with_reason=True),
    "unfreeze": lambda data: UnfreezeForm(data, prefix="unfreeze"),
    "travel": lambda data: TravelForm(data, prefix="travel", with_reason=True),
    "travel_end": lambda data: ReasonForm(data, prefix="travel_end"),
    "lost": lambda data: ConfirmForm(data, prefix="lost", with_reason=True),
}


def _person_page(request, person, bound=None, status=200):
    forms = {name: make(None) for name, make in PERSON_FORMS.items()}
    if bound is not None:
        forms[bound[0]] = bound[1]
    guard = AccountGuard.objects.filter(user=person).first()
    context = {"person": person, "guard": guard, "forms": forms}
    context["travelling"] = guard is not None and guard.is_travelling()
    return render(request, "accounts/person_safety.html", context, status=status)


def _person_act(request, person, name, form):
    reason = form.cleaned_data.get("reason", "")
    if name == "freeze":
        protection.account_freeze(by=request.user, user=person, reason=reason)
    elif name == "unfreeze":
        if not step_up(request=request, token=form.cleaned_data["code"]):
            record(event=events.ACCOUNT_UNFREEZE, actor=request.user, outcome=Outcome.DENIED, target=person)
            form.add_error("code", WRONG_CODE)
            return False
        protection.account_unfreeze(by=request.user, user=person, reason=reason)
    elif name == "travel":
        protection.travel_start(by=request.user, user=person, until=form.cleaned_data["until"], reason=reason)
    elif name == "travel_end":
        protection.travel_end(by=request.user, user=person, reason=reason)
    else:
        protection.device_lost(by=request.user, user=person, reason=reason)
    return True


@doors.protector
def person_safety(request, person):
    if request.method != "POST":
        return _person_page(request, person)
    name = request.POST.get("act", "")
    if name not in PERSON_FORMS:
        return _person_page(request, person, status=400)
    form = PERSON_FORMS[name](request.POST)
    if form.is_valid():
        try:
            done = _person_act(request, person, name, form)
        except (ValidationError, PermissionDenied) as refusal:
            form.add_error(None, refusal.messages if isinstance(refusal, ValidationError) else str(refusal))
            done = False
        if done:
            messages.success(request, _("Done."))
            return redirect("accounts:person_safety", person.username)
    return _person_page(request, person, (name, form), status=400)
