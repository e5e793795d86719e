from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from casework.cases.choices import ParticipantRole
from casework.cases.forms.common import DateInput, DateTimeInput, VersionedForm
from casework.cases.models import Contact
from casework.cases.services.contacts import CONTACT_FIELDS, MAX_MINUTES, check_times

DURATION_MESSAGE = _("Give the duration in minutes, from 1 to 1440 (a whole day).")


class ContactForm(VersionedForm):
    """One interaction with or about the survivor: roles, never names; a coarse place, never an address."""

    identity_guarded = ("place", "notes")

    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        required=False,
        min_value=1,
        max_value=MAX_MINUTES,
        error_messages={"min_value": DURATION_MESSAGE, "max_value": DURATION_MESSAGE},
    )
    participants = forms.MultipleChoiceField(
        label=_("Who took part"),
        required=False,
        choices=ParticipantRole.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Roles only, never names."),
    )

    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)
        widgets = {"occurred_at": DateTimeInput(), "follow_up_on": DateInput()}
        help_texts = {
            "notes": _(
                "What happened and what was agreed. Names, phone numbers and addresses belong in the identity "
                "record, never here."
            ),
            "safety_concern": _("Tick if anything in this contact suggests she or someone helping her is at risk."),
            "follow_up_on": _(
                "When someone should next be in touch, after the day of this contact. "
                "Leave empty if nothing is planned."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].show_hidden_initial = False
        for name in ("place", "notes"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(autocomplete="off")

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        saved = self.instance.occurred_at if self.instance.pk else None
        # The form shows minutes: an untouched time keeps its seconds instead of counting as a change.
        if saved and value == saved.replace(second=0, microsecond=0):
            return saved
        return value

    def clean(self):
        data = super().clean()
        try:
            check_times(data.get("occurred_at"), data.get("duration_minutes"), data.get("follow_up_on"))
        except ValidationError as error:
            self.add_error(None, error)
        return data


class QuickContactForm(ContactForm):
    """The few fields most contacts need, on the case page. It posts to the full form's view,
    which shows every field (and what was typed) if something needs correcting."""

    duration_minutes = None
    participants = None

    class Meta(ContactForm.Meta):
        fields = ["occurred_at", "channel", "purpose", "notes", "follow_up_on"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "quick_%s")  # unique ids beside the other forms of the case page
        super().__init__(*args, **kwargs)
        self.fields["notes"].widget.attrs["rows"] = 3
