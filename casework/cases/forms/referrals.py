"""Forms for referrals: what is referred to whom, the consent behind it, and its next move."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access.models import Organisation
from casework.cases.choices import ConsentMethod, ReferralStatus, ShareCategory
from casework.cases.forms.common import DateInput, VersionedForm, not_in_future
from casework.cases.models import Referral, ServiceProvider
from casework.cases.services.referrals import PARTNER_ANSWERS, move_refusal, moves_from
from casework.partners.models import active_partners, partner_directory


def directory_choices(organisation, current=None):
    """The providers a referral may pick: the organisation's active ones, and the one it already has."""
    providers = ServiceProvider.objects.filter(organisation=organisation, is_active=True)
    if current is not None:
        providers = providers | ServiceProvider.objects.filter(pk=current.pk)
    return providers.order_by("name")


def partner_choices(organisation, current=None):
    """The partner organisations a referral may go to: the active partners, and the one it already has."""
    partners = active_partners(organisation)
    if current is not None:
        partners = partners | Organisation.objects.filter(pk=current.pk)
    return partners.order_by("name")


def directory_label(organisation, entry):
    if entry is None:
        return organisation.name
    parts = [", ".join(map(str, part)) for part in (entry.services_display(), entry.regions_display()) if part]
    languages = ", ".join(map(str, entry.languages_display()))
    return " · ".join([organisation.name, *parts, *([languages] if languages else [])])


class ReferralForm(VersionedForm):
    """A new referral, or an edit of one. Providers and needs only from this case's world."""

    identity_guarded = ("external_provider", "next_step", "data_shared", "outcome")
    UNKNOWN_AT_CREATION = ("data_shared", "outcome")  # a draft has shared nothing, and has no answer

    class Meta:
        model = Referral
        fields = [
            "provider",
            "partner",
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
            "partner": _("An organisation in partnership with yours: what her consent covers goes to it as a packet."),
            "data_shared": _("The least that was shared, and only what her consent covers."),
            "next_step": _("What should happen next, and who does it."),
        }

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        provider = self.fields.get("provider")
        provider.queryset = directory_choices(case.organisation_id, self.instance.provider)
        provider.empty_label = _("Not in the directory")
        partner = self.fields.get("partner")
        partner.queryset = partner_choices(case.organisation_id, self.instance.partner)
        partner.empty_label = _("Not a partner organisation")
        # The partner directory, in each choice: what it offers, where, in which languages.
        entries = {entry.organisation_id: entry for entry in partner_directory(case.organisation_id)}
        partner.label_from_instance = lambda organisation: directory_label(organisation, entries.get(organisation.pk))
        if not partner.queryset.exists():
            del self.fields["partner"]
        self.fields["needs"].queryset = case.needs.all()
        self.fields["needs"].help_text = _("The support needs of this case that the referral answers.")
        if self.instance.pk is None:
            for name in self.UNKNOWN_AT_CREATION:
                del self.fields[name]
        elif self.instance.status != ReferralStatus.DRAFT:
            for name in ("provider", "partner", "external_provider"):  # sent to whom it was sent
                self.fields.pop(name, None)
        for name in ("external_provider", "next_step", "data_shared"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(autocomplete="off")

    def clean(self):
        data = super().clean()
        if "provider" not in self.fields or self.has_error("provider"):
            return data
        provider, external = data.get("provider"), (data.get("external_provider") or "").strip()
        partner = data.get("partner")
        chosen = [provider is not None, partner is not None, bool(external)].count(True)
        if chosen == 0:
            self.add_error("provider", _("Choose a provider from the directory, or name another one below."))
        elif chosen > 1:
            self.add_error(
                "external_provider", _("Choose one recipient: a provider, a partner organisation or another one.")
            )
        return data


class ConsentFields:
    """The consent a referral rests on: who, when, how, what may be shared, with whom, until when.

    Shared by the consent form of a draft and by the form that refers and sends at once.
    """

    REQUIRED = ("consent_given_by", "consent_given_on", "consent_method", "consent_scope", "consent_recipient")
    FIELDS = [
        "consent_given_by",
        "consent_given_on",
        "consent_method",
        "consent_witness",
        "consent_scope",
        "consent_recipient",
        "consent_expires_on",
    ]
    WIDGETS = {
        "consent_given_on": DateInput,
        "consent_expires_on": DateInput,
        "consent_method": forms.RadioSelect,
    }
    HELP_TEXTS = {
        "consent_recipient": _("The organisation her consent covers."),
        "consent_expires_on": _("Leave empty if she set no end date."),
    }

    # Provided by the form this is mixed into.
    fields: dict[str, Any]
    initial: dict[str, Any]
    cleaned_data: dict[str, Any]
    add_error: Callable[..., None]

    def set_up_consent(self, referral):
        self.fields["consent_scope"] = forms.MultipleChoiceField(
            label=_("She agreed to share"),
            choices=ShareCategory.choices,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Tick only what she agreed may be shared: nothing else can leave."),
        )
        for name in self.REQUIRED:
            self.fields[name].required = True
        self.fields["consent_method"].choices = ConsentMethod.choices  # no empty radio button
        if not referral.consent_given_on or referral.consent_withdrawn_on:
            self.initial["consent_given_on"] = timezone.localdate()  # new consent is given anew

    def clean_consent_given_on(self):
        return not_in_future(self.cleaned_data["consent_given_on"], _("Consent cannot be given in the future."))

    def check_consent(self, data):
        given_on, expires_on = data.get("consent_given_on"), data.get("consent_expires_on")
        if given_on and expires_on and expires_on < given_on:
            self.add_error("consent_expires_on", _("Consent must last until the day it was given or later."))
        verbal = data.get("consent_method") == ConsentMethod.VERBAL_WITNESSED
        if verbal and not (data.get("consent_witness") or "").strip():
            self.add_error(
                "consent_witness", _("Verbal consent needs a witness: give the witness's role, never a name.")
            )


class ConsentForm(ConsentFields, VersionedForm):
    """The consent of a draft referral, recorded before it is sent."""

    identity_guarded = ("consent_recipient", "consent_witness")

    class Meta:
        model = Referral
        fields = ConsentFields.FIELDS
        widgets = ConsentFields.WIDGETS
        help_texts = ConsentFields.HELP_TEXTS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        referral = self.instance
        self.set_up_consent(referral)
        if not referral.consent_recipient:
            self.initial["consent_recipient"] = referral.recipient_name
        if referral.partner_id is not None:
            # Her consent covers the partner the referral goes to, and no one else.
            self.fields["consent_recipient"].disabled = True
            self.initial["consent_recipient"] = referral.partner.name

    def clean(self):
        data = super().clean()
        self.check_consent(data)
        return data


class ReferralSendForm(ConsentFields, ReferralForm):
    """Refer and send at once, when her consent is at hand: the referral, its consent, the day it goes.

    The same checks as the three steps of the longer path (draft, consent, sent), in one form.
    """

    identity_guarded = (*ReferralForm.identity_guarded, *ConsentForm.identity_guarded)
    UNKNOWN_AT_CREATION = ("outcome",)  # sent now: what is shared is known, the answer is not

    on = forms.DateField(label=_("Sent on"), widget=DateInput, help_text=_("The day it goes to the provider."))

    class Meta(ReferralForm.Meta):
        fields = [*ReferralForm.Meta.fields, *ConsentFields.FIELDS]
        widgets = {**ReferralForm.Meta.widgets, **ConsentFields.WIDGETS}
        help_texts = {
            **ReferralForm.Meta.help_texts,
            **ConsentFields.HELP_TEXTS,
            "consent_recipient": _("The organisation her consent covers. Leave empty if it is the provider above."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_up_consent(self.instance)
        self.fields.pop("partner", None)  # to a partner organisation, a referral goes as a packet
        self.fields["consent_recipient"].required = False  # the provider chosen above, unless named
        self.fields["data_shared"].required = True
        self.initial["on"] = timezone.localdate()

    def clean_on(self):
        return not_in_future(self.cleaned_data["on"])

    def clean(self):
        data = super().clean()
        self.check_consent(data)
        if not (data.get("consent_recipient") or "").strip():
            provider, external = data.get("provider"), (data.get("external_provider") or "").strip()
            data["consent_recipient"] = provider.name if provider else external
        given_on, on = data.get("consent_given_on"), data.get("on")
        if given_on and on and on < given_on:
            self.add_error("on", _("A referral cannot be sent before consent was given."))
        return data

    def groups(self):
        """The form in three parts, as the longer path takes them: the referral, her consent, sending."""
        consent = set(ConsentFields.FIELDS)
        visible = self.visible_fields()
        return [
            (_("The referral"), [f for f in visible if f.name not in consent and f.name != "on"]),
            (_("Her consent"), [f for f in visible if f.name in consent]),
            (_("Sending"), [f for f in visible if f.name == "on"]),
        ]


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
        moves = [move for move in moves_from(referral.status) if not _partner_answers(referral, move)]
        status.choices = [(move, ReferralStatus(move).label) for move in moves]
        status.error_messages["invalid_choice"] = move_refusal(referral.status)
        self.initial.update(version=referral.version, on=timezone.localdate())
        if ReferralStatus.COMPLETED not in moves:
            del self.fields["mark_needs_met"]
        self.fields["note"].widget.attrs.update(autocomplete="off")

    def clean_on(self):
        return not_in_future(self.cleaned_data["on"])

    def clean(self):
        data = super().clean()
        if data.get("mark_needs_met") and data.get("status") not in (None, ReferralStatus.COMPLETED):
            self.add_error("mark_needs_met", _("Only completing a referral can mark its needs met."))
        return data


def _partner_answers(referral, move):
    """Whether ``move`` is the partner organisation's to make (it answers the packet itself)."""
    return referral.partner_id is not None and move in PARTNER_ANSWERS
