"""Forms for referrals: what is referred to whom, the consent behind it, and its next move."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.choices import ConsentMethod, ReferralStatus
from casework.cases.forms.common import DateInput, VersionedForm, not_in_future
from casework.cases.models import Referral, ServiceProvider
from casework.cases.services.referrals import move_refusal, moves_from


def directory_choices(organisation, current=None):
    """The providers a referral may pick: the organisation's active ones, and the one it already has."""
    providers = ServiceProvider.objects.filter(organisation=organisation, is_active=True)
    if current is not None:
        providers = providers | ServiceProvider.objects.filter(pk=current.pk)
    return providers.order_by("name")


class ReferralForm(VersionedForm):
    """A new referral, or an edit of one. Providers and needs only from this case's world."""

    identity_guarded = ("external_provider", "next_step", "data_shared", "outcome")

    class Meta:
        model = Referral
        fields = [
            "provider",
            "external_provider",
            "service_type",
            "needs",
            "urgency",
            "next_step",
            "data_shared",
            "outcome",
        ]
        widgets = {"needs": forms.CheckboxSelectMultiple, "outcome": forms.Textarea(attrs={"rows": 4})}
        labels = {"needs": _("Linked needs")}
        help_texts = {
            "external_provider": _("Only when the provider is not in the directory: an organisation, never a person."),
            "data_shared": _("The least that was shared, and only what her consent covers."),
            "next_step": _("What should happen next, and who does it."),
        }

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        provider = self.fields.get("provider")
        provider.queryset = directory_choices(case.organisation_id, self.instance.provider)
        provider.empty_label = _("Not in the directory")
        self.fields["needs"].queryset = case.needs.all()
        self.fields["needs"].help_text = _("The support needs of this case that the referral answers.")
        if self.instance.pk is None:
            del self.fields["data_shared"], self.fields["outcome"]  # nothing is shared or answered yet
        elif self.instance.status != ReferralStatus.DRAFT:
            del self.fields["provider"], self.fields["external_provider"]  # sent to whom it was sent
        for name in ("external_provider", "next_step", "data_shared"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(autocomplete="off")

    def clean(self):
        data = super().clean()
        if "provider" not in self.fields or self.has_error("provider"):
            return data
        provider, external = data.get("provider"), (data.get("external_provider") or "").strip()
        if provider is None and not external:
            self.add_error("provider", _("Choose a provider from the directory, or name another one below."))
        elif provider is not None and external:
            self.add_error("external_provider", _("Leave this empty when you choose a provider from the directory."))
        return data


class ConsentForm(VersionedForm):
    """The consent a referral rests on: who, when, how, what may be shared, with whom, until when."""

    identity_guarded = ("consent_scope", "consent_recipient", "consent_witness")

    REQUIRED = ("consent_given_by", "consent_given_on", "consent_method", "consent_scope", "consent_recipient")

    class Meta:
        model = Referral
        fields = [
            "consent_given_by",
            "consent_given_on",
            "consent_method",
            "consent_witness",
            "consent_scope",
            "consent_recipient",
            "consent_expires_on",
        ]
        widgets = {
            "consent_given_on": DateInput,
            "consent_expires_on": DateInput,
            "consent_method": forms.RadioSelect,
            "consent_scope": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "consent_scope": _("Exactly what she agreed may be shared."),
            "consent_recipient": _("The organisation her consent covers."),
            "consent_expires_on": _("Leave empty if she set no end date."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.REQUIRED:
            self.fields[name].required = True
        self.fields["consent_method"].choices = ConsentMethod.choices  # no empty radio button
        referral = self.instance
        if not referral.consent_recipient:
            self.initial["consent_recipient"] = (
                referral.provider.name if referral.provider else referral.external_provider
            )
        if not referral.consent_given_on or referral.consent_withdrawn_on:
            self.initial["consent_given_on"] = timezone.localdate()  # new consent is given anew

    def clean_consent_given_on(self):
        return not_in_future(self.cleaned_data["consent_given_on"], _("Consent cannot be given in the future."))

    def clean(self):
        data = super().clean()
        given_on, expires_on = data.get("consent_given_on"), data.get("consent_expires_on")
        if given_on and expires_on and expires_on < given_on:
            self.add_error("consent_expires_on", _("Consent must last until the day it was given or later."))
        verbal = data.get("consent_method") == ConsentMethod.VERBAL_WITNESSED
        if verbal and not (data.get("consent_witness") or "").strip():
            self.add_error(
                "consent_witness", _("Verbal consent needs a witness: give the witness's role, never a name.")
            )
        return data


class ConsentWithdrawForm(forms.Form):
    """A plain form, not a model form: the service, not the form, sets the date on the referral."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    consent_withdrawn_on = forms.DateField(label=_("Consent withdrawn on"), widget=DateInput)

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.initial.update(version=referral.version, consent_withdrawn_on=timezone.localdate())

    def clean_consent_withdrawn_on(self):
        withdrawn_on = not_in_future(self.cleaned_data["consent_withdrawn_on"])
        given_on = self.referral.consent_given_on
        if given_on and withdrawn_on < given_on:
            raise forms.ValidationError(_("Consent cannot be withdrawn before it was given."))
        return withdrawn_on


class TransitionForm(forms.Form):
    """The referral's next move. Only the moves its status allows are offered."""

    identity_guarded = ("note",)

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    on = forms.DateField(label=_("Date"), widget=DateInput, help_text=_("The day it happened."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    mark_needs_met = forms.BooleanField(
        label=_("Mark its linked needs met"),
        required=False,
        help_text=_("Only when completing: each linked need still identified or in progress becomes met on this date."),
    )

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        status = self.fields["status"]
        status.choices = [(move, ReferralStatus(move).label) for move in moves_from(referral.status)]
        status.error_messages["invalid_choice"] = move_refusal(referral.status)
        self.initial.update(version=referral.version, on=timezone.localdate())
        if ReferralStatus.COMPLETED not in moves_from(referral.status):
            del self.fields["mark_needs_met"]
        self.fields["note"].widget.attrs.update(autocomplete="off")

    def clean_on(self):
        return not_in_future(self.cleaned_data["on"])

    def clean(self):
        data = super().clean()
        if data.get("mark_needs_met") and data.get("status") not in (None, ReferralStatus.COMPLETED):
            self.add_error("mark_needs_met", _("Only completing a referral can mark its needs met."))
        return data
