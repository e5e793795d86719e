from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.forms.referrals import (
    ConsentForm,
    ConsentWithdrawForm,
    ReferralForm,
    ReferralSendForm,
    TransitionForm,
)
from casework.cases.services import referrals as services
from casework.cases.views.places import saved_on_case_page
from casework.web import doors
from casework.web.forms import form_page


def _to_referral(case, referral):
    return redirect("cases:referral", case.display_code, referral.uid)


@doors.case_record("referrals", select=("provider", "partner", "created_by", "consent_recorded_by"))
def referral_detail(request, case, referral):
    context = {
        "case": case,
        "record": referral,
        "needs": referral.needs.all(),
        "steps": referral.steps.select_related("by", "by_organisation").order_by("on", "at", "pk"),
        "may_change": case.allows(request.user, "change"),
        "may_manage": case.allows(request.user, "manage"),
        # The packet that carries it to a partner organisation (its latest), if any.
        "packet": referral.packets.select_related("recipient").order_by("-created_at").first()
        if referral.partner_id
        else None,
    }
    return render(request, "cases/referral_detail.html", context)


@doors.case_page("change")
def referral_create(request, case):
    form = ReferralForm(request.POST or None, case=case)

    def create(form):
        changes = form.changes()
        referral = services.referral_create(by=request.user, case=case, needs=changes.pop("needs"), **changes)
        messages.success(request, _("Referral saved as a draft. Record her consent before sending it."))
        return _to_referral(case, referral)

    return form_page(request, form, "cases/referral_form.html", {"case": case}, create)


@doors.case_page("change")
def referral_send(request, case):
    """The fast path: one form records the referral and her consent, and sends it."""
    form = ReferralSendForm(request.POST or None, case=case)

    def send(form):
        changes = form.changes()
        services.referral_send_now(
            by=request.user, case=case, on=form.cleaned_data["on"], needs=changes.pop("needs"), **changes
        )
        return saved_on_case_page(request, case, "referrals", _("Referral sent, and her consent recorded."))

    return form_page(request, form, "cases/referral_send.html", {"case": case}, send)


@doors.case_record("referrals", "change")
def referral_edit(request, case, referral):
    form = ReferralForm(request.POST or None, instance=referral, case=case)

    def save(form):
        changes = form.changes()
        version, needs = form.cleaned_data["version"], changes.pop("needs")
        services.referral_update(by=request.user, referral=referral, version=version, needs=needs, **changes)
        messages.success(request, _("Referral saved."))
        return _to_referral(case, referral)

    return form_page(request, form, "cases/referral_form.html", {"case": case, "record": referral}, save)


@doors.case_record("referrals", "change")
def referral_consent(request, case, referral):
    form = ConsentForm(request.POST or None, instance=referral)

    def save(form):
        version = form.cleaned_data["version"]
        services.referral_consent_record(by=request.user, referral=referral, version=version, **form.changes())
        messages.success(request, _("Consent recorded."))
        return _to_referral(case, referral)

    return form_page(request, form, "cases/referral_consent.html", {"case": case, "record": referral}, save)


@doors.case_record("referrals", "change")
def referral_consent_withdraw(request, case, referral):
    form = ConsentWithdrawForm(request.POST or None, referral=referral)

    def withdraw(form):
        data = form.cleaned_data
        services.referral_consent_withdraw(
            by=request.user, referral=referral, on=data["consent_withdrawn_on"], version=data["version"]
        )
        messages.success(request, _("Consent withdrawal recorded. This referral can no longer be sent."))
        return _to_referral(case, referral)

    context = {"case": case, "record": referral}
    return form_page(request, form, "cases/referral_consent_withdraw.html", context, withdraw)


@doors.case_record("referrals", "change")
def referral_move(request, case, referral):
    form = TransitionForm(request.POST or None, referral=referral)

    def move(form):
        data = form.cleaned_data
        services.referral_transition(
            by=request.user,
            referral=referral,
            to=data["status"],
            on=data["on"],
            note=data["note"],
            version=data["version"],
            mark_needs_met=data.get("mark_needs_met", False),
        )
        messages.success(request, _("Referral status saved."))
        return _to_referral(case, referral)

    context = {
        "case": case,
        "record": referral,
        "consent_problem": services.consent_problem(referral, timezone.localdate()),
    }
    return form_page(request, form, "cases/referral_status.html", context, move)


# Under /cases/<code>/referrals/, in the "cases" namespace.
urls = [
    path("new/", referral_create, name="referral_new"),
    path("send/", referral_send, name="referral_send"),
    path("<str:uid>/", referral_detail, name="referral"),
    path("<str:uid>/edit/", referral_edit, name="referral_edit"),
    path("<str:uid>/consent/", referral_consent, name="referral_consent"),
    path("<str:uid>/consent/withdraw/", referral_consent_withdraw, name="referral_consent_withdraw"),
    path("<str:uid>/status/", referral_move, name="referral_status"),
]
