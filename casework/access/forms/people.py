"""The forms of the People pages: who belongs to the organisation, in which role and teams."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casework.access.models import Role, Team

ACTIVE, DEACTIVATED, ALL = "active", "deactivated", "all"


class PeopleFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        choices=[
            (ACTIVE, pgettext_lazy("account status", "Active")),
            (DEACTIVATED, _("Deactivated")),
            (ALL, _("Everyone")),
        ],
        required=False,
    )

    def chosen(self):
        """The status asked for; active when none, or when the form is not valid."""
        return (self.is_valid() and self.cleaned_data["status"]) or ACTIVE


def reason_field(required=False):
    return forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail. Never write a survivor's name or details here."),
    )


class TeamsForm(forms.Form):
    """The teams a person works in and those she supervises, among her organisation's teams."""

    teams = forms.ModelMultipleChoiceField(
        label=_("Works in"), queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    supervised_teams = forms.ModelMultipleChoiceField(
        label=_("Supervises"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only supervisors supervise teams."),
    )
    supervises_all_teams = forms.BooleanField(
        label=_("Supervises every team, including teams created later"), required=False
    )

    def __init__(self, *args, organisation, names_teams=True, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(organisation=organisation).order_by("name")
        if not names_teams:  # frozen, travelling, under duress: her Teams page is empty too
            teams = teams.none()
        self.fields["teams"].queryset = teams
        self.fields["supervised_teams"].queryset = teams

    def placement(self):
        data = self.cleaned_data
        return {
            "teams": list(data["teams"]),
            "supervised_teams": list(data["supervised_teams"]),
            "supervises_all_teams": data["supervises_all_teams"],
        }


class PersonCreateForm(TeamsForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. Not her real name: a username is seen by colleagues."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    field_order = ["username", "role", "teams", "supervised_teams", "supervises_all_teams"]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"), choices=Role.choices)
    reason = reason_field()


class ReasonForm(forms.Form):
    reason = reason_field()


class OffboardForm(forms.Form):
    reason = reason_field(required=True)
    confirm = forms.BooleanField(required=True)

    def __init__(self, *args, username, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = _("I confirm that %(name)s has left") % {"name": username}
