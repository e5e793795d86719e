"""The teams of an organisation, for its administrators: who works in each, who supervises
it, and moving a person between teams. Pages show team names, usernames, case codes and
counts, never what a case holds."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, Func, IntegerField, Prefetch, Subquery
from django.db.models.expressions import OuterRef
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.access import services as access
from casework.access.forms.teams import (
    MemberAddForm,
    MoveDestinationForm,
    MoveForm,
    SupervisorAddForm,
    TeamNameForm,
)
from casework.access.models import Membership, Team
from casework.accounts.models import workspace_is_empty
from casework.cases.choices import AssignmentRole
from casework.cases.models import Case
from casework.web import doors
from casework.web.forms import form_page, refusal_as_message
from casework.web.pages import not_found

TEAM_PAGE = "access/teams/team_detail.html"
MOVE_PAGE = "access/teams/team_member_move.html"


def _teams(membership):
    """Her organisation's teams; none while her workspace is emptied (frozen, travelling,
    under duress): the teams' pages name their people."""
    if workspace_is_empty(membership.user):
        return Team.objects.none()
    return Team.objects.filter(organisation=membership.organisation)


def _team(membership, slug):
    return _teams(membership).filter(slug=slug).first()


# For administrators: the team named by ``slug`` in her organisation, or 404.
team_view = doors.administrator_finds("slug", _team)


def _person(request, username):
    return (
        Membership.objects.filter(organisation=request.membership.organisation, user__username=username)
        .select_related("user")
        .first()
    )


def _active_people():
    return Membership.objects.active().select_related("user").order_by("user__username")


def _everywhere(organisation_id):
    """The supervisors of every team: shown on each team, changed only on their own page."""
    return _active_people().filter(organisation_id=organisation_id, supervises_all_teams=True)


def _count(queryset):
    """A correlated COUNT, so that two counts per team neither multiply nor add a query."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def _team_rows(request, organisation):
    members = Membership.teams.through.objects.filter(
        team=OuterRef("pk"), membership__is_active=True, membership__user__is_active=True
    )
    return (
        _teams(request.membership)
        .annotate(
            member_count=_count(members),
            open_case_count=_count(Case.objects.access_directory(request.user).open().filter(team=OuterRef("pk"))),
        )
        .prefetch_related(Prefetch("supervisors", queryset=_active_people(), to_attr="named_supervisors"))
        .order_by("name")
    )


@doors.administrator
def team_list(request):
    organisation = request.membership.organisation
    form = TeamNameForm(request.POST if request.method == "POST" else None)

    def create(form):
        with refusal_as_message():
            team = access.team_create(by=request.user, organisation=organisation, name=form.cleaned_data["name"])
        messages.success(request, _("The team “%(name)s” was created.") % {"name": team.name})
        return redirect("access:team", team.slug)

    everywhere = [] if workspace_is_empty(request.user) else list(_everywhere(organisation.pk))  # nobody named then
    context = {"teams": _team_rows(request, organisation), "everywhere": everywhere}
    return form_page(request, form, "access/teams/team_list.html", context, create)


def _team_context(team, **forms):
    return {
        "team": team,
        "members": Membership.objects.filter(teams=team).select_related("user").order_by("user__username"),
        "supervisors": _active_people().filter(supervised_teams=team),
        "everywhere": _everywhere(team.organisation_id),
        "has_other_teams": Team.objects.filter(organisation_id=team.organisation_id).exclude(pk=team.pk).exists(),
        "rename_form": TeamNameForm(initial={"name": team.name}, auto_id="rename-%s"),
        "member_form": MemberAddForm(team=team),
        "supervisor_form": SupervisorAddForm(team=team),
        **forms,
    }


@team_view
def team_detail(request, team):
    return render(request, TEAM_PAGE, _team_context(team))


def _team_action(request, team, form, name, service, done):
    """A change posted from the team page: done, or the team page again with the problem."""

    def act(form):
        with refusal_as_message():
            service(by=request.user, team=team, **form.cleaned_data)
        messages.success(request, done(form))
        return redirect("access:team", team.slug)

    return form_page(request, form, TEAM_PAGE, _team_context(team, **{name: form}), act)


@team_view
@require_POST
def team_rename(request, team):
    previous = team.name
    form = TeamNameForm(request.POST, auto_id="rename-%s")

    def done(form):
        return _("“%(from)s” is now called “%(to)s”.") % {"from": previous, "to": form.cleaned_data["name"]}

    return _team_action(request, team, form, "rename_form", access.team_rename, done)


def _username(form):
    return form.cleaned_data["membership"].user.get_username()


@team_view
@require_POST
def team_member_add(request, team):
    form = MemberAddForm(request.POST, team=team)

    def done(form):
        return _("%(name)s now works in this team. She gains no case by joining it.") % {"name": _username(form)}

    return _team_action(request, team, form, "member_form", access.team_member_add, done)


@team_view
@require_POST
def team_supervisor_add(request, team):
    form = SupervisorAddForm(request.POST, team=team)

    def done(form):
        return _("%(name)s now supervises this team and sees all its cases.") % {"name": _username(form)}

    return _team_action(request, team, form, "supervisor_form", access.team_supervisor_add, done)


def _team_removal(request, team, membership, service, done):
    try:
        with refusal_as_message():
            service(by=request.user, team=team, membership=membership)
    except ValidationError as error:
        return render(request, TEAM_PAGE, _team_context(team, errors=error.messages), status=400)
    messages.success(request, done % {"name": membership.user.get_username()})
    return redirect("access:team", team.slug)


@team_view
@require_POST
def team_member_remove(request, team, username):
    membership = _person(request, username)
    if membership is None or not membership.teams.filter(pk=team.pk).exists():
        return not_found(request)
    done = _("%(name)s no longer works in this team. The cases she works on stay assigned to her.")
    return _team_removal(request, team, membership, access.team_member_remove, done)


@team_view
@require_POST
def team_supervisor_remove(request, team, username):
    membership = _person(request, username)
    if membership is None or not (
        membership.supervises_all_teams or membership.supervised_teams.filter(pk=team.pk).exists()
    ):
        return not_found(request)
    done = _("%(name)s no longer supervises this team: its cases are hidden from her from her next page on.")
    return _team_removal(request, team, membership, access.team_supervisor_remove, done)


@team_view
def team_member_move(request, team, username):
    membership = _person(request, username)
    if membership is None or not membership.teams.filter(pk=team.pk).exists():
        return not_found(request)
    context = {"team": team, "person": membership}
    if request.method == "GET" and "to" not in request.GET:
        return render(request, MOVE_PAGE, {**context, "form": MoveDestinationForm(from_team=team)})
    destination = MoveDestinationForm(request.POST if request.method == "POST" else request.GET, from_team=team)
    if not destination.is_valid():
        return render(request, MOVE_PAGE, {**context, "form": destination}, status=400)
    return _move_confirm(request, context, destination.cleaned_data["to"])


def _move_confirm(request, context, to_team):
    team, membership = context["team"], context["person"]
    preview = access.move_preview(membership, team, to_team)
    rows = preview["cases"]
    for row in rows:
        row["role_label"] = AssignmentRole(row["role"]).label
    form = MoveForm(request.POST if request.method == "POST" else None, from_team=team, initial={"to": to_team})
    if not rows:
        del form.fields["unassign"]

    def move(form):
        with refusal_as_message():
            cases = access.team_member_move(
                by=request.user,
                membership=membership,
                from_team=team,
                to_team=to_team,
                unassign=form.cleaned_data.get("unassign", False),
                reason=form.cleaned_data["reason"],
            )
        names = {"name": membership.user.get_username(), "from": team.name, "to": to_team.name}
        if cases:
            messages.success(request, _("%(name)s moved from %(from)s to %(to)s and was taken off her cases.") % names)
            return render(request, "access/teams/team_member_moved.html", {**context, "to_team": to_team, "rows": rows})
        messages.success(request, _("%(name)s moved from %(from)s to %(to)s. Her cases did not change.") % names)
        return redirect("access:team", team.slug)

    context = {
        **context,
        "to_team": to_team,
        "rows": rows,
        "leaderless": [row["case"] for row in rows if row["left_without_lead"]],
        "from_supervisors": _active_people().filter(supervised_teams=team),
        "everywhere": _everywhere(team.organisation_id),
    }
    # No identity guard on the reason: only an administrator moves people, and a refusal
    # would tell her whether a name she typed is that of one of these cases.
    return form_page(request, form, MOVE_PAGE, context, move)


urls = [
    path("", team_list, name="teams"),
    path("<slug:slug>/", team_detail, name="team"),
    path("<slug:slug>/rename/", team_rename, name="team_rename"),
    path("<slug:slug>/members/add/", team_member_add, name="team_member_add"),
    path("<slug:slug>/members/<str:username>/remove/", team_member_remove, name="team_member_remove"),
    path("<slug:slug>/members/<str:username>/move/", team_member_move, name="team_member_move"),
    path("<slug:slug>/supervisors/add/", team_supervisor_add, name="team_supervisor_add"),
    path("<slug:slug>/supervisors/<str:username>/remove/", team_supervisor_remove, name="team_supervisor_remove"),
]
