"""The People pages: an administrator manages the accounts of her organisation, never a case.

Every change goes through a service, which checks who may act and writes the audit entry;
a refusal (acting on oneself, a role that does not fit) comes back as a message on the form.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.access import services as access
from casework.access.forms.people import (
    ACTIVE,
    DEACTIVATED,
    OffboardForm,
    PeopleFilterForm,
    PersonCreateForm,
    ReasonForm,
    RoleForm,
    TeamsForm,
)
from casework.access.models import AccessRequest, Grant, Membership, Role
from casework.accounts.lockout import account_unlock
from casework.accounts.models import LoginSession, workspace_is_empty
from casework.accounts.services import second_factor_reset
from casework.web import doors
from casework.web.forms import form_page, refusal_as_message


def people_of(organisation):
    """The organisation's memberships with everything the pages show, in a fixed number of queries."""
    enrolled = TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "organisation")
        .prefetch_related("teams", "supervised_teams")
        .annotate(has_second_factor=Exists(enrolled))
        .order_by("user__username")
    )


def _people(membership):
    """Her organisation's people; while her workspace is emptied (frozen, travelling, under
    duress), herself alone: whoever stands over an administrator learns no colleague."""
    people = people_of(membership.organisation)
    return people.filter(user_id=membership.user_id) if workspace_is_empty(membership.user) else people


def _person(membership, username):
    return _people(membership).filter(user__username=username).first()


# An administrator's page about one person of her own organisation; anyone else is a 404.
person_view = doors.administrator_finds("username", _person)


def back_to(membership, message, request):
    messages.success(request, message)
    return redirect("access:user", membership.user.username)


@doors.administrator
def people_list(request):
    form = PeopleFilterForm(request.GET or None)
    people = _people(request.membership)
    status = form.chosen()
    if status == ACTIVE:
        people = people.filter(is_active=True, user__is_active=True)
    elif status == DEACTIVATED:
        people = people.filter(Q(is_active=False) | Q(user__is_active=False))
    context = {"people": people, "form": form, "status": status}
    return render(request, "access/people/list.html", context, status=400 if form.errors else 200)


@doors.administrator
def person_create(request):
    organisation = request.membership.organisation
    form = PersonCreateForm(
        request.POST or None, organisation=organisation, names_teams=not workspace_is_empty(request.user)
    )

    @refusal_as_message()
    def create(form):
        data = form.cleaned_data
        user, password = access.user_create(
            by=request.user, organisation=organisation, username=data["username"], role=data["role"], **form.placement()
        )
        # Rendered, not redirected: the password is shown this once and kept nowhere, not even in the session.
        return render(request, "access/people/created.html", {"person": user, "password": password})

    return form_page(request, form, "access/people/new.html", {}, create)


def detail_page(request, membership, status=200, **forms):
    organisation = membership.organisation
    placement = {
        "teams": list(membership.teams.all()),
        "supervised_teams": list(membership.supervised_teams.all()),
        "supervises_all_teams": membership.supervises_all_teams,
    }
    context = {
        "person": membership.user,
        "membership": membership,
        "is_self": membership.user_id == request.user.pk,
        "is_active": membership.is_active and membership.user.is_active,
        "admin_blockers": access.role_change_blockers(membership, Role.ADMIN),
        "role_form": forms.get("role_form") or RoleForm(initial={"role": membership.role}),
        "teams_form": forms.get("teams_form")
        or TeamsForm(initial=placement, organisation=organisation, names_teams=not workspace_is_empty(request.user)),
    }
    return render(request, "access/people/detail.html", context, status=status)


@person_view
def person_detail(request, membership):
    return detail_page(request, membership)


def detail_form_post(request, membership, name, form, act, message):
    """A form of the detail page: on success back to the page, else the page again with its errors."""
    if form.is_valid():
        try:
            with refusal_as_message():
                act(form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if AccessRequest.objects.pending().filter(membership=membership).exists():
                messages.info(
                    request, _("What would give her more reach over cases waits for a supervisor to confirm it.")
                )
            return back_to(membership, message, request)
    return detail_page(request, membership, status=400, **{name: form})


@person_view
@require_POST
def person_role(request, membership):
    def change(form):
        data = form.cleaned_data
        access.membership_set_role(by=request.user, membership=membership, role=data["role"], reason=data["reason"])

    message = _("The role of %(name)s was changed.") % {"name": membership.user.username}
    return detail_form_post(request, membership, "role_form", RoleForm(request.POST), change, message)


@person_view
@require_POST
def person_teams(request, membership):
    def change(form):
        access.membership_set_teams(by=request.user, membership=membership, **form.placement())

    form = TeamsForm(request.POST, organisation=membership.organisation)
    message = _("The teams of %(name)s were changed.") % {"name": membership.user.username}
    return detail_form_post(request, membership, "teams_form", form, change, message)


def reason_page(request, membership, template, act, message, extra=None):
    """A confirmation with a reason: GET explains what will happen, POST does it."""

    @refusal_as_message()
    def confirmed(form):
        act(form.cleaned_data["reason"])
        return back_to(membership, message, request)

    context = {"person": membership.user, "membership": membership, **(extra or {})}
    return form_page(request, ReasonForm(request.POST or None), template, context, confirmed)


@person_view
def person_deactivate(request, membership):
    def act(reason):
        access.membership_deactivate(by=request.user, membership=membership, reason=reason)

    message = _("%(name)s is deactivated and was signed out everywhere.") % {"name": membership.user.username}
    return reason_page(request, membership, "access/people/deactivate.html", act, message)


@person_view
def person_reactivate(request, membership):
    def act(reason):
        access.membership_reactivate(by=request.user, membership=membership, reason=reason)

    message = _("%(name)s can sign in again and has her access back.") % {"name": membership.user.username}
    extra = {"restores": access.reactivation_restores(membership)}
    return reason_page(request, membership, "access/people/reactivate.html", act, message, extra)


@person_view
def person_second_factor_reset(request, membership):
    def act(reason):
        second_factor_reset(by=request.user, user=membership.user, reason=reason)

    message = _("The second factor of %(name)s was removed; she sets up a new one at her next sign-in.") % {
        "name": membership.user.username
    }
    return reason_page(request, membership, "access/people/second_factor_reset.html", act, message)


@person_view
def person_password_reset(request, membership):
    @refusal_as_message()
    def reset(form):
        password = access.password_reset(by=request.user, membership=membership, reason=form.cleaned_data["reason"])
        # Rendered, not redirected, like a new account's: shown this once and kept nowhere.
        return render(
            request, "access/people/created.html", {"person": membership.user, "password": password, "reset": True}
        )

    context = {"person": membership.user, "membership": membership}
    return form_page(request, ReasonForm(request.POST or None), "access/people/password_reset.html", context, reset)


@person_view
@require_POST
def person_unlock(request, membership):
    try:
        account_unlock(by=request.user, user=membership.user)
    except PermissionDenied as refused:
        messages.error(request, str(refused))
        return redirect("access:user", membership.user.username)
    return back_to(membership, _("%(name)s can sign in again.") % {"name": membership.user.username}, request)


def case_rows(membership, cases):
    """Each case she worked on: her role there and who else works on it."""
    rows = []
    for case in cases:
        assignments = list(case.assignments.all())
        mine = next((a for a in assignments if a.user_id == membership.user_id), None)
        others = [a for a in assignments if a.user_id != membership.user_id]
        rows.append({"case": case, "role": mine.get_role_display() if mine else "", "others": others})
    return rows


@person_view
def person_offboard(request, membership):
    user = membership.user
    form = OffboardForm(request.POST or None, username=user.username)

    @refusal_as_message()
    def offboard(form):
        cases = access.person_offboard(by=request.user, membership=membership, reason=form.cleaned_data["reason"])
        context = {"person": user, "rows": case_rows(membership, cases)}
        return render(request, "access/people/offboarded.html", context)

    context = {
        "person": user,
        "membership": membership,
        "sessions": LoginSession.objects.filter(user=user).count(),
        "grants": Grant.objects.current().filter(user=user).select_related("case").order_by("case__code"),
        "rows": case_rows(membership, access.offboarding_cases(membership)),
    }
    return form_page(request, form, "access/people/offboard.html", context, offboard)


urls = [
    path("", people_list, name="users"),
    path("new/", person_create, name="user_new"),
    path("<str:username>/", person_detail, name="user"),
    path("<str:username>/role/", person_role, name="user_role"),
    path("<str:username>/teams/", person_teams, name="user_teams"),
    path("<str:username>/deactivate/", person_deactivate, name="user_deactivate"),
    path("<str:username>/reactivate/", person_reactivate, name="user_reactivate"),
    path("<str:username>/second-factor/", person_second_factor_reset, name="user_second_factor_reset"),
    path("<str:username>/password/", person_password_reset, name="user_password_reset"),
    path("<str:username>/unlock/", person_unlock, name="user_unlock"),
    path("<str:username>/offboard/", person_offboard, name="user_offboard"),
]
