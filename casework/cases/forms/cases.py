from django import forms
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.access.models import Membership, Role, Team, active_member, active_membership
from casework.accounts.models import workspace_is_empty
from casework.cases import codes
from casework.cases.choices import (
    CaseStatus,
    ExploitationType,
    JourneyStage,
    Language,
    ReferralStatus,
    RiskLevel,
    ServiceType,
)
from casework.cases.forms.common import VersionedForm
from casework.cases.forms.journey import FirstStepFields
from casework.cases.models import Case, Referral, SupportNeed
from casework.cases.services.cases import PROFILE_FIELDS


class CaseFindForm(forms.Form):
    """Go to a case by its code. Posted, never in a URL: people type names into search boxes."""

    code = forms.CharField(label=_("Case code"), max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(autocomplete="off", spellcheck="false", placeholder="7X3-QM9P-DK4")

    def clean_code(self):
        code = codes.normalise(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("That is not a case code. A code has ten letters and digits, like 7X3-QM9P-DK4.")
            )
        return code


NO_STAGE = "none"  # the list filter's value for cases without a journey step


class CaseFilterForm(forms.Form):
    """Filters for the case list. Choices only ever narrow what restrict() already allows."""

    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *CaseStatus.choices])
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("Any"))
    risk = forms.ChoiceField(label=_("Risk"), required=False, choices=[("", _("Any")), *RiskLevel.choices])
    stage = forms.ChoiceField(
        label=_("Journey stage"),
        required=False,
        choices=[("", _("Any")), *JourneyStage.choices, (NO_STAGE, _("Not recorded"))],
    )
    need_category = forms.ChoiceField(
        label=_("Open need"), required=False, choices=[("", _("Any")), *ServiceType.choices]
    )
    referral_status = forms.ChoiceField(
        label=_("Referral"), required=False, choices=[("", _("Any")), *ReferralStatus.choices]
    )
    follow_up = forms.ChoiceField(
        label=_("Follow-up"), required=False, choices=[("", _("Any")), ("overdue", _("Overdue"))]
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("opened", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("code", _("Case code")),
            ("risk", _("Highest risk first")),
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(
            organisation__memberships__user=user, organisation__memberships__is_active=True
        ).order_by("name")

    def in_use(self):
        """How many filters narrow the list (the order is not a filter)."""
        if not self.is_bound or not self.is_valid():
            return 0
        return sum(1 for name, value in self.cleaned_data.items() if name != "sort" and value)

    def apply(self, cases):
        """Narrow and order ``cases`` (already restricted) by the valid filters."""
        if not self.is_valid():
            return cases.none()
        data = self.cleaned_data
        if data.get("status"):
            cases = cases.filter(status=data["status"])
        if data.get("team"):
            cases = cases.filter(team=data["team"])
        if data.get("risk"):
            cases = cases.filter(risk_level=data["risk"])
        if data.get("stage"):  # served by the case_org_stage index
            cases = cases.filter(stage="" if data["stage"] == NO_STAGE else data["stage"])
        if data.get("need_category"):
            needs = SupportNeed.objects.unresolved().filter(case=models.OuterRef("pk"), category=data["need_category"])
            cases = cases.filter(models.Exists(needs))
        if data.get("referral_status"):
            referrals = Referral.objects.filter(case=models.OuterRef("pk"), status=data["referral_status"])
            cases = cases.filter(models.Exists(referrals))
        if data.get("follow_up") == "overdue":
            cases = cases.follow_up_overdue()
        return cases.sorted_as(data.get("sort") or "opened")


class CaseForm(VersionedForm):
    """The non-identifying profile. Nothing here may name, place or date a person."""

    identity_guarded = ("summary",)

    exploitation_types = forms.MultipleChoiceField(
        label=_("Exploitation types"),
        required=False,
        choices=ExploitationType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages she speaks"),
        required=False,
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Case
        fields = list(PROFILE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Closing and reopening need a reason and a supervisor: not a field of this form.
        if self.instance.status == CaseStatus.CLOSED:
            del self.fields["status"]
        else:
            self.fields["status"].choices = [c for c in CaseStatus.choices if c[0] != CaseStatus.CLOSED]
        self.fields["summary"].widget.attrs.update(autocomplete="off")


class CaseIntakeForm(FirstStepFields, CaseForm):
    """A new case: the profile, the first step of her journey, and where the case goes.
    Teams and leads only among what ``user`` may pick."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    lead = forms.ModelChoiceField(
        label=_("Lead caseworker"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
        help_text=_("Leave empty to assign the case later."),
    )

    class Meta(CaseForm.Meta):
        fields = ["team", "lead", *CaseForm.Meta.fields]

    def __init__(self, *args, user, shown=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Risk is assessed at intake, never left at a default by an accidental click.
        self.fields["risk_level"].choices = [("", _("Choose the risk level")), *RiskLevel.choices]
        self.fields["risk_level"].initial = ""
        offer_teams_and_leads(self, user, shown=shown)
        self.add_first_step_fields()
        profile = [name for name in self.fields if name not in ("stage", "region", "started_on", "summary")]
        self.order_fields([*profile, "stage", "region", "started_on", "summary"])

    def clean(self):
        data = super().clean()
        check_lead_in_team(self, data)
        self.clean_first_step(data)
        return data


def offer_teams_and_leads(form, user, *, shown=False):
    """``form``'s ``team`` and ``lead`` fields for ``user`` opening a case (at intake, or by
    accepting a partner's packet): the teams she may open one in, and for a supervisor a lead
    among their caseworkers. A caseworker's new case is hers: no lead to choose."""
    form.fields["team"].queryset = teams = intake_teams(user, shown=shown)
    if len(teams) == 1:
        form.fields["team"].initial = teams[0].pk
    membership = active_membership(user)
    if membership and membership.role == Role.SUPERVISOR:
        leads = User.objects.filter(active_member(), membership__role=Role.CASEWORKER, membership__teams__in=teams)
        # Frozen, travelling, under duress: the form names no caseworker (nothing is opened anyway).
        form.fields["lead"].queryset = (
            User.objects.none() if workspace_is_empty(user) else leads.distinct().order_by("username")
        )
    else:
        del form.fields["lead"]


def check_lead_in_team(form, data):
    team, lead = data.get("team"), data.get("lead")
    if team and lead and not Membership.objects.active().filter(user=lead, teams=team).exists():
        form.add_error("lead", _("The lead caseworker must work in the case's team."))


def intake_teams(user, *, shown=False):
    """The teams ``user`` may open a case in: her own as a caseworker, those she supervises.
    None while her workspace is emptied (frozen, travelling, under duress: nothing is written
    through her), unless ``shown``: the teams her intake form offers, which look the same
    then as on any day (what she sends is refused before it is read:
    casework.accounts.middleware.EmptiedWorkspaceMiddleware)."""
    membership = active_membership(user)
    if membership is None or membership.role == Role.ADMIN or not membership.is_vouched:
        return Team.objects.none()  # nobody has vouched for her yet: she opens nothing either
    if workspace_is_empty(user) and not shown:
        return Team.objects.none()
    if membership.role == Role.CASEWORKER:
        return membership.teams.order_by("name")
    if membership.supervises_all_teams:
        return Team.objects.filter(organisation_id=membership.organisation_id).order_by("name")
    return membership.supervised_teams.order_by("name")
