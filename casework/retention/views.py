from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from casework.accounts.models import workspace_is_empty
from casework.accounts.services import WRONG_CODE, second_factor_is_fresh, step_up
from casework.audit import events
from casework.audit.models import Outcome
from casework.audit.services import record
from casework.cases.services.common import EditConflict
from casework.retention import services
from casework.retention.forms import EraseForm, HoldForm, LiftForm, OrganisationEraseForm, RulesForm, VersionForm
from casework.retention.models import ErasureRequest, LegalHold
from casework.web import doors
from casework.web.forms import form_page

SHOWN = 50
CODE_NEEDED = gettext_lazy("Type the code from your authenticator app: this needs a recent one.")
CHANGED_MEANWHILE = gettext_lazy("Someone changed this while you were looking: check it again.")


def _fresh_code_given(request, form, refused) -> bool:
    """Erasing, and confirming an organisation leaves, need a code proved within the last
    minutes (as a reveal does); a refusal is recorded by ``refused()``."""
    token = form.cleaned_data.get("code")
    # A blank code is not tried: a failed try makes the next one wait.
    if "code" not in form.fields or (token and step_up(request=request, token=token)):
        return True
    refused()
    form.add_error("code", WRONG_CODE if token else CODE_NEEDED)
    return False


@doors.case_page("manage", event=events.CASE_ERASE)
def case_erase(request, case):
    waiting = ErasureRequest.objects.filter(case=case).select_related("requested_by").first()
    confirming = waiting is not None and waiting.requested_by_id != request.user.pk
    form = EraseForm(
        request.POST or None, confirming=confirming, needs_code=not second_factor_is_fresh(request), waiting=waiting
    )
    context = {"case": case, "form": form, "waiting": waiting, "confirming": confirming}
    context["held"] = LegalHold.objects.filter(case=case).first()
    if request.method != "POST":
        return render(request, "retention/erase.html", context)
    if waiting is not None and not confirming:
        form.add_error(None, _("A different supervisor of the team must confirm the erasure you asked for."))
        return render(request, "retention/erase.html", context, status=400)
    if not form.is_valid():
        return render(request, "retention/erase.html", context, status=400)
    if not form.saw(waiting):
        form.add_error(None, CHANGED_MEANWHILE)
        return render(request, "retention/erase.html", context, status=400)
    if not _fresh_code_given(request, form, lambda: services.erasure_refused(by=request.user, case=case, why="code")):
        return render(request, "retention/erase.html", context, status=400)
    try:
        if confirming:
            services.erasure_confirm(by=request.user, case=case)
            erased = True
        else:
            erased = services.case_erase(by=request.user, case=case, reason=form.cleaned_data["reason"])
    except ValidationError as refusal:
        form.add_error(None, refusal)
        return render(request, "retention/erase.html", context, status=400)
    if erased:
        messages.success(request, _("The case was erased."))
        return redirect("home")
    messages.success(request, _("The erasure waits for a second supervisor of the team to confirm it."))
    return redirect("cases:detail", case.display_code)


@require_POST
@doors.case_page("manage", event=events.CASE_ERASE_CANCEL)
def case_erase_cancel(request, case):
    try:
        services.erasure_cancel(by=request.user, case=case)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, _("The erasure was cancelled."))
    return redirect("cases:detail", case.display_code)


@doors.case_page("manage", event=events.CASE_HOLD)
def case_hold(request, case):
    held = LegalHold.objects.filter(case=case).select_related("placed_by").first()
    form = HoldForm(request.POST or None)
    lift = LiftForm(needs_code=not second_factor_is_fresh(request)) if held else None

    def save(form):
        services.hold_place(by=request.user, case=case, reason=form.cleaned_data["reason"])
        messages.success(request, _("The case is on legal hold: it will not be erased."))
        return redirect("cases:detail", case.display_code)

    return form_page(request, form, "retention/hold.html", {"case": case, "held": held, "lift": lift}, save)


@require_POST
@doors.case_page("manage", event=events.CASE_HOLD_LIFT)
def case_hold_lift(request, case):
    held = LegalHold.objects.filter(case=case).select_related("placed_by").first()
    lift = LiftForm(request.POST, needs_code=not second_factor_is_fresh(request))
    context = {"case": case, "held": held, "lift": lift, "form": HoldForm()}

    def refused():
        details = {"refused": "code"}
        record(event=events.CASE_HOLD_LIFT, actor=request.user, outcome=Outcome.DENIED, case=case, details=details)

    if held is not None and (not lift.is_valid() or not _fresh_code_given(request, lift, refused)):
        return render(request, "retention/hold.html", context, status=400)
    try:
        services.hold_lift(by=request.user, case=case)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, _("The legal hold was lifted."))
    return redirect("cases:detail", case.display_code)


@require_POST
@doors.case_page("manage", event=events.RETENTION_EXTEND)
def case_extend(request, case):
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, CHANGED_MEANWHILE)
        return redirect("home")
    try:
        notice = services.notice_extend(by=request.user, case=case, version=form.cleaned_data["version"])
    except EditConflict:
        messages.error(request, CHANGED_MEANWHILE)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, _("Erasure postponed to %(date)s.") % {"date": notice.due_on.isoformat()})
    return redirect("home")


@doors.organisation_supervisor(events.RETENTION_RULES)
def retention_rules(request, membership):
    organisation = membership.organisation
    rules = services.rules_of(organisation)
    initial = {
        "months_after_closure": rules.months_after_closure,
        "months_without_contact": rules.months_without_contact,
        "warning_days": rules.warning_days,
        "second_supervisor": organisation.erasure_needs_second_supervisor,
        "version": rules.version,
    }
    form = RulesForm(request.POST or None, initial=initial, needs_code=not second_factor_is_fresh(request))

    def refused():
        details = {"refused": "code"}
        record(
            event=events.RETENTION_RULES,
            actor=request.user,
            outcome=Outcome.DENIED,
            organisation=organisation.pk,
            details=details,
        )

    def save(form):
        # Rules erase cases: a fresh code, as for erasing one by hand.
        if not _fresh_code_given(request, form, refused):
            return render(request, "retention/rules.html", {**context, "form": form}, status=400)
        values = {name: value for name, value in form.cleaned_data.items() if name != "code"}
        try:
            rules = services.rules_save(by=request.user, organisation=organisation, **values)
        except EditConflict as conflict:
            # Her values stay in the form, now based on the saved version: saving again is deliberate.
            form.data = form.data.copy()
            form.data["version"] = str(conflict.current.version)
            raise ValidationError(CHANGED_MEANWHILE) from None
        messages.success(request, _("Retention rules saved."))
        if rules.second_supervisor_off_asked_by_id == request.user.pk:
            messages.info(
                request,
                _(
                    "Erasures still need a second supervisor: that stops only once a different supervisor "
                    "saves the rules with it unticked too."
                ),
            )
        return redirect("retention:rules")

    context = {
        "notices": list(services.notices_seen_by(request.user)[:SHOWN]),
        "waiting": list(services.pending_erasures(request.user)[:SHOWN]),
        "off_asked_by": rules.second_supervisor_off_asked_by,
    }
    shown = sorted({item.case.code for key in ("notices", "waiting") for item in context[key]})
    details = {"page": "retention", "codes": shown}
    record(event=events.CASE_LIST, actor=request.user, organisation=organisation.pk, details=details)
    return form_page(request, form, "retention/rules.html", context, save)


@doors.organisation_supervisor(events.ORGANISATION_ERASE_CONFIRM)
def organisation_erase(request, membership):
    organisation = membership.organisation
    # Who confirmed already are her colleagues: nobody, while her workspace is emptied.
    confirmations = [] if workspace_is_empty(request.user) else services.organisation_confirmations(organisation)
    form = OrganisationEraseForm(request.POST or None, needs_code=not second_factor_is_fresh(request))
    context = {"form": form, "confirmations": confirmations, "needed": services.CONFIRMATIONS_NEEDED}
    context["confirmed"] = any(item.confirmed_by_id == request.user.pk for item in confirmations)
    if request.method != "POST":
        return render(request, "retention/organisation.html", context)
    if not form.is_valid() or not _fresh_code_given(request, form, lambda: _refused_leaving(request, membership)):
        return render(request, "retention/organisation.html", context, status=400)
    try:
        services.organisation_erasure_confirm(by=request.user, organisation=organisation)
    except ValidationError as refusal:
        form.add_error(None, refusal)
        return render(request, "retention/organisation.html", context, status=400)
    messages.success(request, _("Your confirmation is recorded."))
    return redirect("retention:organisation")


def _refused_leaving(request, membership):
    record(
        event=events.ORGANISATION_ERASE_CONFIRM,
        actor=request.user,
        outcome=Outcome.DENIED,
        organisation=membership.organisation_id,
        details={"refused": "code"},
    )
