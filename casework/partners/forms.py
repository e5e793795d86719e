"""Forms for partnerships, the partner directory, packets and the intake inbox."""

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from casework.access.models import Membership, Organisation, Role
from casework.cases.choices import Language, Region, ServiceType, ShareCategory
from casework.cases.forms.cases import check_lead_in_team, offer_teams_and_leads
from casework.cases.forms.common import ReasonForm
from casework.partners.models import Answer, DeclineReason, Partnership, PartnerSide

# Never finer than a province or a country.
DIRECTORY_REGIONS = [(value, label) for value, label in Region.choices if value != Region.UNKNOWN]


class DirectoryForm(forms.Form):
    """An organisation's entry in its partners' directory."""

    identity_guarded = identity_forbidden = ("reach",)

    services = forms.MultipleChoiceField(
        label=_("Services offered"), choices=ServiceType.choices, widget=forms.CheckboxSelectMultiple
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions served"),
        choices=DIRECTORY_REGIONS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A province or a country, never finer."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=Language.choices, widget=forms.CheckboxSelectMultiple
    )
    reach = forms.CharField(
        label=_("How to reach it safely"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
        help_text=_("A channel and when to use it; never a person's private number."),
    )

    def directory(self):
        return {name: self.cleaned_data[name] for name in ("services", "regions", "languages", "reach")}


class ProposeForm(DirectoryForm):
    """An administrator proposes a partnership, with her organisation's directory entry."""

    partner = forms.ModelChoiceField(label=_("Partner organisation"), queryset=Organisation.objects.none())

    field_order = ["partner"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        proposed = PartnerSide.objects.filter(
            organisation=organisation, proposed_at__isnull=False, partnership__ended_at__isnull=True
        ).values("partnership")
        taken = Partnership.objects.filter(pk__in=proposed).values_list("first_id", "second_id")
        excluded = {pk for pair in taken for pk in pair} | {organisation.pk}
        self.fields["partner"].queryset = (
            Organisation.objects.filter(is_remote=False).exclude(pk__in=excluded).order_by("name")
        )


class EditDirectoryForm(DirectoryForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, side, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.update(
            services=side.services,
            regions=side.regions,
            languages=side.languages,
            reach=side.reach,
            version=side.version,
        )


class EndForm(ReasonForm):
    version = None  # a partnership has no version: ending it twice is refused by the service


class SettingsForm(forms.Form):
    packets_need_approval = forms.BooleanField(
        label=_("A supervisor approves each packet before it leaves"),
        required=False,
        help_text=_("On by default. Off: a packet leaves as soon as the caseworker sends it."),
    )
    intake = forms.ModelMultipleChoiceField(
        label=_("Caseworkers who work the partner intake"),
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Supervisors always do. Those ticked see waiting packets and may accept or decline them."),
    )

    def __init__(self, *args, organisation, names_people=True, **kwargs):
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.active()
            .filter(organisation=organisation, role=Role.CASEWORKER)
            .select_related("user")
            .order_by("user__username")
        )
        if not names_people:  # frozen, travelling, under duress: no colleague named
            members = members.none()
        intake = self.fields["intake"]
        intake.queryset = members
        intake.label_from_instance = lambda member: member.user.get_username()
        self.initial.update(
            packets_need_approval=organisation.packets_need_approval,
            intake=[member.pk for member in members if member.receives_packets],
        )


class PacketForm(forms.Form):
    """What goes in a packet: only categories her consent covers are offered, and the
    service checks each one again (a category sent anyway is refused by name)."""

    identity_guarded = identity_forbidden = ("note",)

    categories = forms.MultipleChoiceField(
        label=_("What to share"), choices=ShareCategory.choices, widget=forms.CheckboxSelectMultiple
    )
    needs = forms.ModelMultipleChoiceField(
        label=_("Needs to share"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their category and urgency only, never their notes."),
    )
    note = forms.CharField(
        label=_("Handover note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("Short, and no names, places or numbers: identity details go only as the fields ticked above."),
    )

    def __init__(self, *args, referral, needs, **kwargs):
        super().__init__(*args, **kwargs)
        covered = [(value, label) for value, label in ShareCategory.choices if value in (referral.consent_scope or [])]
        # Every category is a valid answer (the service refuses one outside her consent by
        # name); only those her consent covers are offered.
        self.fields["categories"].widget.choices = covered
        self.fields["needs"].queryset = needs
        self.fields["needs"].label_from_instance = lambda need: (
            f"{need.get_category_display()} · {need.get_urgency_display()}"
        )
        self.initial["needs"] = [
            need.pk for need in needs if need.pk in set(referral.needs.values_list("pk", flat=True))
        ]


class AcceptForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=None)
    lead = forms.ModelChoiceField(
        label=_("Lead caseworker"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody yet"),
        help_text=_("Leave empty to assign the case later."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        offer_teams_and_leads(self, user)  # as at intake: a caseworker who accepts becomes the lead

    def clean(self):
        data = super().clean()
        check_lead_in_team(self, data)
        return data


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), choices=DeclineReason.choices, widget=forms.RadioSelect)


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Tell the sending organisation"), choices=Answer.choices, widget=forms.RadioSelect
    )


class ConsentDecisionForm(ReasonForm):
    version = None
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("erase", _("Erase the identity details on this case")),
            ("keep", _("Keep them (say why below)")),
        ],
        widget=forms.RadioSelect,
    )
