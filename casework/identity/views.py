from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.accounts.services import WRONG_CODE, second_factor_is_fresh, step_up
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases.services.common import EditConflict
from casework.identity import crypto, services
from casework.identity.flow import second_factor_given, tell_about_duplicates
from casework.identity.forms import IdentityForm, RevealForm
from casework.identity.guard import fields_quoting_case
from casework.identity.models import FIELDS, Identity
from casework.web import doors
from casework.web.forms import record_in_text

CHANGED_MEANWHILE = gettext_lazy(
    "Someone else changed these details while you were typing. Check what you typed and save again to apply it."
)


def _identity(case):
    return Identity.objects.filter(case=case).first()


@doors.case_page("reveal", event=events.IDENTITY_REVEAL)
def identity_reveal(request, case):
    identity = _identity(case)
    filled = identity.filled() if identity else []
    form = RevealForm(request.POST or None, filled=filled, needs_code=not second_factor_is_fresh(request))
    context = {"case": case, "identity": identity, "form": form}
    if request.method != "POST":
        return render(request, "identity/reveal.html", context)
    if not form.is_valid() or not _reason_is_clean(request, case, form):
        return render(request, "identity/reveal.html", context, status=400)
    asked = {key: form.cleaned_data[key] for key in ("fields", "purpose", "reason")}
    if "code" in form.fields and not step_up(request=request, token=form.cleaned_data["code"]):
        services.identity_reveal_refused(by=request.user, case=case, **asked)
        form.add_error("code", WRONG_CODE)
        return render(request, "identity/reveal.html", context, status=400)
    try:
        values = services.identity_reveal(by=request.user, case=case, **asked)
    except crypto.DecryptionError:
        return render(request, "identity/undecryptable.html", {"case": case}, status=500)
    shown = [(field, values[field.name]) for field in FIELDS if field.name in values]
    return render(request, "identity/revealed.html", {"case": case, "shown": shown, "purpose": asked["purpose"]})


def _reason_is_clean(request, case, form):
    """The reason goes into the audit trail, so it must not quote the identity it opens.
    She may reveal it, so she is told; the hit is recorded all the same."""
    if fields_quoting_case(case, {"reason": form.cleaned_data["reason"]}):
        record_in_text(request.user, case, type(form).__name__, ["reason"], told=True)
        form.add_error("reason", _("Leave names and numbers out of the reason: it is kept in the audit trail."))
        return False
    return True


@doors.case_page("reveal", event=events.IDENTITY_CHANGE)
def identity_edit(request, case):
    identity = _identity(case)
    filled = identity.filled() if identity else []
    version = identity.version if identity else None
    needs_code = not second_factor_is_fresh(request)
    form = IdentityForm(request.POST or None, filled=filled, version=version, needs_code=needs_code)
    context = {"case": case, "identity": identity, "form": form}
    if request.method != "POST":
        return render(request, "identity/edit.html", context)
    if not form.is_valid():
        return render(request, "identity/edit.html", context, status=400)
    values = form.values()
    if not values:
        form.add_error(None, _("Type a new value or tick one to erase: nothing was changed."))
        return render(request, "identity/edit.html", context, status=400)
    if not second_factor_given(request, form, values, case=case):
        return render(request, "identity/edit.html", context, status=400)
    try:
        matches = services.identity_save(
            by=request.user, case=case, values=values, version=form.cleaned_data.get("version")
        )
    except EditConflict as conflict:
        # The other version is never shown here (that would be a reveal): say so, keep the typing.
        form.data = form.data.copy()
        form.data["version"] = str(conflict.current.version)
        form.add_error(None, CHANGED_MEANWHILE)
        return render(request, "identity/edit.html", context, status=409)
    except crypto.DecryptionError:
        # A saved edit seals every value again, so one that will not decrypt (a wrong key, a
        # value put back by hand) stops it: nothing is changed, and the failure is recorded.
        record(event=events.IDENTITY_CHANGE, actor=request.user, case=case, outcome=Outcome.ERROR)
        return render(request, "identity/undecryptable.html", {"case": case}, status=500)
    messages.success(request, _("Identity details saved."))
    tell_about_duplicates(request, matches)
    return redirect("cases:detail", case.display_code)
