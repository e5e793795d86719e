"""Forms of the team pages. Every choice is limited to the administrator's own organisation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.access.models import Membership, Role, Team


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, membership):
        return f"{membership.user.get_username()} ({membership.get_role_display()})"


class TeamNameForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=200)


class MemberAddForm(forms.Form):
    membership = PersonChoiceField(label=_("Person"), queryset=Membership.objects.none())

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, auto_id="member-%s", **kwargs)
        self.fields["membership"].queryset = (
            Membership.objects.active()
            .filter(organisation_id=team.organisation_id, role__in=[Role.CASEWORKER, Role.SUPERVISOR])
            .exclude(teams=team)
            .select_related("user")
            .order_by("user__username")
        )


class SupervisorAddForm(forms.Form):
    membership = PersonChoiceField(label=_("Supervisor"), queryset=Membership.objects.none())

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, auto_id="supervisor-%s", **kwargs)
        self.fields["membership"].queryset = (
            Membership.objects.active()
            .filter(organisation_id=team.organisation_id, role=Role.SUPERVISOR, supervises_all_teams=False)
            .exclude(supervised_teams=team)
            .select_related("user")
            .order_by("user__username")
        )


class MoveDestinationForm(forms.Form):
    """Step 1 of a move: which team she goes to (another team of the same organisation)."""

    to = forms.ModelChoiceField(
        label=_("Move to team"), queryset=Team.objects.none(), to_field_name="slug", empty_label=None
    )

    def __init__(self, *args, from_team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            Team.objects.filter(organisation_id=from_team.organisation_id).exclude(pk=from_team.pk).order_by("name")
        )


class MoveForm(MoveDestinationForm):
    """Step 2: the move itself, once the administrator has seen what will change."""

    # The reason goes to the audit trail, also on the entries of the cases she may be taken off.
    identity_guarded = identity_forbidden = ("reason",)

    unassign = forms.BooleanField(
        label=_("Also take her off these cases"),
        required=False,
        help_text=_("Each case then needs someone else; you will be shown which."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail: no names or other details of a survivor."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].widget = forms.HiddenInput()
