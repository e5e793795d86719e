"""Pages for partner organisations: the partnerships and their directory, the intake inbox,
packets sent from a referral, and what a case received from a partner answers back.

What one side may not see answers 404: another organisation's partnership, a packet not
waiting in her own inbox (withdrawn, answered, or never hers), a case not hers.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.access.models import Role
from casework.accounts.models import workspace_is_empty
from casework.partners import services
from casework.partners.forms import (
    AcceptForm,
    AnswerForm,
    ConsentDecisionForm,
    DeclineForm,
    EditDirectoryForm,
    EndForm,
    PacketForm,
    ProposeForm,
    SettingsForm,
)
from casework.partners.models import ConsentNotice, PacketStatus, partner_directory
from casework.web import doors
from casework.web.forms import form_page, refusal_as_message
from casework.web.pages import not_found

MANAGERS = (Role.ADMIN, Role.SUPERVISOR)


# Partnerships and the directory ---------------------------------------------------------------


@doors.partners_member()
def partners_home(request, membership):
    organisation = membership.organisation
    manages = membership.role in MANAGERS
    # Frozen, travelling, under duress: her organisation's partners are nobody else's business.
    shown = not workspace_is_empty(request.user)
    context = {
        "directory": partner_directory(organisation.pk) if shown else [],
        "partnerships": list(services.partnerships_of(organisation).order_by("-created_at"))
        if manages and shown
        else [],
        "organisation": organisation,
        "membership": membership,
        "works_intake": services.works_intake(membership, shown=True),  # the link, as on any day
    }
    context["waiting"], context["approvals"] = services.waiting_counts(request.user)
    for partnership in context["partnerships"]:
        partnership.ours = partnership.side_of(organisation)
        partnership.theirs = partnership.other_side(organisation)
    return render(request, "partners/home.html", context)


@doors.partners_member(Role.ADMIN)
def partnership_propose(request, membership):
    form = ProposeForm(request.POST or None, organisation=membership.organisation)

    def propose(form):
        with refusal_as_message():
            services.partnership_propose(by=request.user, partner=form.cleaned_data["partner"], **form.directory())
        messages.success(
            request, _("Proposed. It becomes active once a supervisor of each organisation has confirmed it.")
        )
        return redirect("partners:home")

    return form_page(request, form, "partners/propose.html", {}, propose)


@require_POST
@doors.partnership_page(Role.SUPERVISOR)
def partnership_confirm(request, membership, partnership):
    try:
        with refusal_as_message(), transaction.atomic():
            partnership = services.partnership_confirm(by=request.user, partnership=partnership)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request,
            _("Confirmed: the partnership is active.")
            if partnership.is_active
            else _("Confirmed. It becomes active once the partner's supervisor confirms it too."),
        )
    return redirect("partners:home")


@doors.partnership_page(*MANAGERS)
def partnership_end(request, membership, partnership):
    form = EndForm(request.POST or None)
    partner = partnership.other_side(membership.organisation_id).organisation

    def end(form):
        services.partnership_end(by=request.user, partnership=partnership, reason=form.cleaned_data["reason"])
        messages.success(request, _("The partnership has ended. Packets already sent can still be answered."))
        return redirect("partners:home")

    return form_page(request, form, "partners/end.html", {"partner": partner, "partnership": partnership}, end)


@doors.partnership_page(*MANAGERS)
def directory_edit(request, membership, partnership):
    side = partnership.side_of(membership.organisation_id)
    if partnership.other_side(membership.organisation_id).organisation.is_remote and request.GET.get("theirs"):
        side = partnership.other_side(membership.organisation_id)  # the entry kept here about a remote partner
    form = EditDirectoryForm(request.POST or None, side=side)

    def save(form):
        with refusal_as_message():
            services.directory_update(
                by=request.user, side=side, version=form.cleaned_data["version"], **form.directory()
            )
        messages.success(request, _("Directory entry saved."))
        return redirect("partners:home")

    context = {"side": side, "partnership": partnership}
    return form_page(request, form, "partners/directory_form.html", context, save)


@doors.partners_member(Role.SUPERVISOR)
def partner_settings(request, membership):
    organisation = membership.organisation
    form = SettingsForm(
        request.POST or None, organisation=organisation, names_people=not workspace_is_empty(request.user)
    )

    def save(form):
        data = form.cleaned_data
        services.approval_setting(by=request.user, required=data["packets_need_approval"])
        chosen = {member.pk for member in data["intake"]}
        for member in form.fields["intake"].queryset:
            services.intake_name(by=request.user, member=member, receives=member.pk in chosen)
        messages.success(request, _("Settings saved."))
        return redirect("partners:home")

    return form_page(request, form, "partners/settings.html", {}, save)


@doors.partners_member(Role.SUPERVISOR)
def packet_approvals(request, membership):
    return render(request, "partners/approvals.html", {"packets": services.waiting_approval(request.user)})


# The intake inbox --------------------------------------------------------------------------------


@doors.partner_intake
def packet_inbox(request, membership):
    return render(request, "partners/inbox.html", {"packets": services.inbox(request.user)})


def _inbox_context(request, packet, accept_form=None, decline_form=None):
    return {
        "packet": packet,
        "identity_fields": services.describe_identity(packet),
        "accept_form": accept_form or AcceptForm(user=request.user),
        "decline_form": decline_form or DeclineForm(),
    }


@doors.inbox_packet
def inbox_packet(request, membership, packet):
    services.packet_viewed(by=request.user, packet=packet)
    return render(request, "partners/packet.html", _inbox_context(request, packet))


@require_POST
@doors.inbox_packet
def packet_accept(request, membership, packet):
    form = AcceptForm(request.POST, user=request.user)

    def accept(form):
        data = form.cleaned_data
        with refusal_as_message():
            case = services.packet_accept(by=request.user, packet=packet, team=data["team"], lead=data.get("lead"))
        messages.success(request, _("Accepted: a new case of your organisation, with its own code."))
        if case.allows(request.user, "view"):
            return redirect("cases:detail", case.display_code)
        return redirect("partners:inbox")

    return form_page(request, form, "partners/packet.html", _inbox_context(request, packet, accept_form=form), accept)


@require_POST
@doors.inbox_packet
def packet_decline(request, membership, packet):
    form = DeclineForm(request.POST)

    def decline(form):
        with refusal_as_message():
            services.packet_decline(by=request.user, packet=packet, reason=form.cleaned_data["reason"])
        messages.success(
            request, _("Declined. The sending organisation sees your reason, and nothing of it stays here.")
        )
        return redirect("partners:inbox")

    context = _inbox_context(request, packet, decline_form=form)
    return form_page(request, form, "partners/packet.html", context, decline)


# The sending end: a referral's packet --------------------------------------------------------


def _to_referral(case, referral):
    return redirect("cases:referral", case.display_code, referral.uid)


@doors.case_record("referrals", "change")
def packet_create(request, case, referral):
    problem = services.packet_problem(referral)
    needs = services.open_needs(case)
    form = PacketForm(request.POST or None, referral=referral, needs=needs)
    if problem is not None:
        if request.method == "POST":
            services.packet_refused(by=request.user, referral=referral, code=problem.code or "refused")
        context = {"case": case, "record": referral, "problem": problem.messages[0]}
        return render(request, "partners/packet_form.html", context, status=400 if request.method == "POST" else 200)

    def build(form):
        data = form.cleaned_data
        try:
            with refusal_as_message():
                packet = services.packet_build(
                    by=request.user,
                    referral=referral,
                    categories=data["categories"],
                    needs=data["needs"],
                    note=data["note"],
                )
        except services.Refusal as refusal:
            services.packet_refused(by=request.user, referral=referral, code=refusal.code or "refused")
            raise
        if packet.status == PacketStatus.AWAITING_APPROVAL:
            messages.success(request, _("The packet waits for a supervisor's approval before it leaves."))
        else:
            messages.success(
                request, _("The packet is on its way to %(partner)s.") % {"partner": packet.recipient.name}
            )
        return _to_referral(case, referral)

    return form_page(request, form, "partners/packet_form.html", {"case": case, "record": referral}, build)


def _sender_packet(referral):
    return referral.packets.select_related("recipient").order_by("-created_at").first()


@require_POST
@doors.case_record("referrals", "manage")
def packet_approve(request, case, referral):
    packet = _sender_packet(referral)
    if packet is None:
        return not_found(request)
    try:
        with refusal_as_message(), transaction.atomic():
            services.packet_approve(by=request.user, packet=packet)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(
            request, _("Approved: the packet is on its way to %(partner)s.") % {"partner": packet.recipient.name}
        )
    return _to_referral(case, referral)


@require_POST
@doors.case_record("referrals", "change")
def packet_withdraw(request, case, referral):
    packet = _sender_packet(referral)
    if packet is None:
        return not_found(request)
    try:
        with refusal_as_message(), transaction.atomic():
            services.packet_withdraw(by=request.user, packet=packet)
    except ValidationError as refusal:
        messages.error(request, " ".join(refusal.messages))
    else:
        messages.success(request, _("Packet withdrawn: it is no longer in the partner's inbox."))
    return _to_referral(case, referral)


# The receiving end: a case that came from a packet -----------------------------------------


@require_POST
@doors.case_page("change")
def case_answer(request, case):
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            with refusal_as_message(), transaction.atomic():
                services.packet_answer(by=request.user, case=case, answer=form.cleaned_data["answer"])
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
        else:
            messages.success(request, _("The sending organisation has been told."))
    else:
        messages.error(request, _("Choose an answer from the list."))
    return redirect("cases:detail", case.display_code)


@doors.case_page("manage")
def case_consent_decision(request, case):
    packet = services.received_packet(case) if case.from_packet else None
    if packet is None or packet.consent_notice != ConsentNotice.WAITING:
        return not_found(request)  # nothing to decide here
    form = ConsentDecisionForm(request.POST or None)

    def decide(form):
        data = form.cleaned_data
        services.consent_decide(
            by=request.user, case=case, erase_identity=data["decision"] == "erase", reason=data["reason"]
        )
        messages.success(request, _("Decision recorded."))
        return redirect("cases:detail", case.display_code)

    return form_page(request, form, "partners/consent_decision.html", {"case": case, "packet": packet}, decide)


# Under /partners/, in the "partners" namespace.
urls = [
    path("", partners_home, name="home"),
    path("propose/", partnership_propose, name="propose"),
    path("settings/", partner_settings, name="settings"),
    path("approvals/", packet_approvals, name="approvals"),
    path("inbox/", packet_inbox, name="inbox"),
    path("inbox/<str:uid>/", inbox_packet, name="packet"),
    path("inbox/<str:uid>/accept/", packet_accept, name="accept"),
    path("inbox/<str:uid>/decline/", packet_decline, name="decline"),
    path("<str:uid>/confirm/", partnership_confirm, name="confirm"),
    path("<str:uid>/end/", partnership_end, name="end"),
    path("<str:uid>/entry/", directory_edit, name="entry"),
]
# Under /cases/<code>/, in the "partners" namespace as well.
case_urls = [
    path("referrals/<str:uid>/packet/", packet_create, name="packet_new"),
    path("referrals/<str:uid>/packet/approve/", packet_approve, name="packet_approve"),
    path("referrals/<str:uid>/packet/withdraw/", packet_withdraw, name="packet_withdraw"),
    path("partner/answer/", case_answer, name="answer"),
    path("partner/consent/", case_consent_decision, name="consent_decision"),
]
