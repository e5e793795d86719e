"""Forms of the case directory and a case's access page. None of them touches case content."""

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from casework.access.models import Grant, GrantLevel, Membership, Role, Team, active_member
from casework.audit.forms import ForgetfulForm
from casework.cases import codes
from casework.cases.choices import AssignmentRole, CaseStatus
from casework.cases.forms.common import DateTimeInput
from casework.cases.models import CaseAssignment

NOT_LISTED = _("Choose one of the people listed.")
NOT_A_CASE_WORKER = _("Choose one of the people listed: the active caseworkers and supervisors of this organisation.")
REASON_HELP = _("Why, in a few words. Leave names and phone numbers out: the reason is kept in the audit trail.")


def case_workers(organisation_id):
    """The people who may work on cases of the organisation: its active caseworkers and supervisors."""
    return User.objects.filter(
        active_member(),
        membership__organisation_id=organisation_id,
        membership__role__in=[Role.CASEWORKER, Role.SUPERVISOR],
    )


def _person_field(label, invalid=NOT_A_CASE_WORKER):
    return forms.ModelChoiceField(
        label=label,
        queryset=User.objects.none(),
        to_field_name="username",
        error_messages={"invalid_choice": invalid},
    )


def _reason_field():
    return forms.CharField(label=_("Reason"), max_length=500, help_text=REASON_HELP)


class DirectoryFilterForm(ForgetfulForm):
    """Filters of the directory; each only narrows the cases she manages access to."""

    code = forms.CharField(label=_("Case code"), required=False, max_length=40)
    team = forms.ModelChoiceField(
        label=_("Team"),
        required=False,
        queryset=Team.objects.none(),
        empty_label=_("Any"),
        error_messages={"invalid_choice": _("Choose one of the teams listed.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *CaseStatus.choices],
        error_messages={"invalid_choice": _("Choose one of the statuses listed.")},  # Django's quotes the input
    )
    person = forms.ModelChoiceField(
        label=_("Person"),
        required=False,
        queryset=User.objects.none(),
        to_field_name="username",
        empty_label=_("Anyone"),
        help_text=_("Cases she is assigned to or holds a current grant on."),
        error_messages={"invalid_choice": NOT_LISTED},
    )

    def __init__(self, *args, organisation_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(autocomplete="off", spellcheck="false", placeholder="7X3-QM9P-DK4")
        self.fields["team"].queryset = Team.objects.filter(organisation_id=organisation_id).order_by("name")
        self.fields["person"].queryset = (
            User.objects.filter(membership__organisation_id=organisation_id)
            .exclude(membership__role=Role.ADMIN)
            .order_by("username")
        )

    def clean_code(self):
        text = self.cleaned_data["code"].strip()
        if not text:
            return ""
        code = codes.normalise(text)
        if code is None:
            raise forms.ValidationError(
                _("That is not a case code. A code has ten letters and digits, like 7X3-QM9P-DK4.")
            )
        return code

    def apply(self, cases):
        data = self.cleaned_data
        if data.get("code"):
            cases = cases.filter(code=data["code"])
        if data.get("team"):
            cases = cases.filter(team=data["team"])
        if data.get("status"):
            cases = cases.filter(status=data["status"])
        if data.get("person"):
            assigned = CaseAssignment.objects.filter(user=data["person"]).values("case_id")
            granted = Grant.objects.current().filter(user=data["person"]).values("case_id")
            cases = cases.filter(Q(pk__in=assigned) | Q(pk__in=granted))
        return cases

    def query(self):
        """The valid filters as a query string for the pager: nothing else from the address is repeated."""
        data = self.cleaned_data
        values = {
            "code": codes.display(data["code"]) if data.get("code") else "",
            "team": data["team"].pk if data.get("team") else "",
            "status": data.get("status") or "",
            "person": data["person"].username if data.get("person") else "",
        }
        return urlencode({name: value for name, value in values.items() if value})


class AssignForm(forms.Form):
    identity_guarded = identity_forbidden = ("reason",)

    user = _person_field(_("Person"))
    role = forms.ChoiceField(label=_("Role"), choices=AssignmentRole.choices, initial=AssignmentRole.COWORKER)
    reason = _reason_field()

    def __init__(self, *args, case, by, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["user"].queryset = case_workers(case.organisation_id).order_by("username")
        if not case.allows(by, "manage"):
            # An administrator: the lead may reveal, so only a supervisor of the team names her.
            role = self.fields["role"]
            role.choices = [(AssignmentRole.COWORKER, AssignmentRole.COWORKER.label)]
            role.error_messages["invalid_choice"] = _("Only a supervisor of the case's team names its lead caseworker.")
            role.help_text = _("Only a supervisor of the case's team names its lead caseworker.")

    def clean(self):
        data = super().clean()
        user, role = data.get("user"), data.get("role")
        in_team = Membership.objects.active().filter(user=user, teams=self.case.team_id)
        if user and role == AssignmentRole.LEAD and not in_team.exists():
            self.add_error("user", _("The lead caseworker must work in the case's team."))
        return data


class UnassignForm(forms.Form):
    identity_guarded = identity_forbidden = ("reason",)

    user = _person_field(_("Person"), invalid=NOT_LISTED)
    reason = _reason_field()

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(case_assignments__case=case).order_by("username")


class GrantForm(forms.Form):
    identity_guarded = identity_forbidden = ("reason",)

    user = _person_field(_("Person"))
    level = forms.ChoiceField(label=_("Access"), choices=GrantLevel.choices, initial=GrantLevel.VIEW)
    reason = _reason_field()
    expires = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty for access until someone revokes it."),
    )

    def __init__(self, *args, case, by, **kwargs):
        super().__init__(*args, **kwargs)
        # She is accepted (so that the service can say why she may not grant herself) but never offered.
        field = self.fields["user"]
        field.queryset = User.objects.filter(Q(pk__in=case_workers(case.organisation_id)) | Q(pk=by.pk)).order_by(
            "username"
        )
        field.widget.choices = [(value, label) for value, label in field.choices if value != by.username]


class RevokeForm(forms.Form):
    identity_guarded = identity_forbidden = ("reason",)

    reason = _reason_field()
