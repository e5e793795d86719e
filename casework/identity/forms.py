"""Forms of the identity vault. None of them is ever filled from the record on a plain GET."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.cases.forms.common import DateInput, not_in_future
from casework.identity.models import DATE, FIELDS, LINES

# Browsers must neither remember nor send these values anywhere (spell-checking services included).
PRIVATE_ATTRS = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}


def _input(field):
    if field.kind == DATE:
        return forms.DateField(
            label=field.label,
            required=False,
            widget=DateInput(attrs=dict(PRIVATE_ATTRS)),
            validators=[lambda value: not_in_future(value, _("A date of birth cannot be in the future."))],
        )
    multiline = field.multiline or field.kind == LINES
    widget = forms.Textarea(attrs={**PRIVATE_ATTRS, "rows": 3}) if multiline else forms.TextInput(attrs=PRIVATE_ATTRS)
    return forms.CharField(
        label=field.label, required=False, max_length=2000, widget=widget, help_text=field.help_text, strip=True
    )


def _lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def code_field(help_text):
    """A fresh code from the authenticator: the step-up of reveals and identity writes.
    Never required by the form itself: the view checks it (and records a refusal)."""
    return forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


STALE_CODE = _("Your last code is more than five minutes old: confirm it is still you.")


class IdentityForm(forms.Form):
    """Identity values to store. A field left empty keeps what is on record; to remove a
    value, tick it under "erase". At intake there is nothing to keep or erase. With
    ``needs_code``, a fresh authenticator code as for a reveal."""

    def __init__(self, *args, filled=(), version=None, needs_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        for field in FIELDS:
            self.fields[field.name] = _input(field)
        if needs_code:
            self.fields["code"] = code_field(
                _("Needed to save identity details. Your last code is more than five minutes old.")
            )
        if filled:
            labels = {field.name: field.label for field in FIELDS}
            self.fields["erase"] = forms.MultipleChoiceField(
                label=_("Erase"),
                required=False,
                choices=[(name, labels[name]) for name in filled],
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Ticked values are removed from the record."),
            )
        if version is not None:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1, initial=version)

    def values(self):
        """``{field: value}`` for what was typed (lists for one-per-line fields) and for what is erased."""
        values = {}
        for field in FIELDS:
            typed = self.cleaned_data.get(field.name)
            if typed:
                values[field.name] = _lines(typed) if field.kind == LINES else typed
        for name in self.cleaned_data.get("erase") or []:
            if name in values:
                continue
            values[name] = next(field.empty() for field in FIELDS if field.name == name)
        return values

    def clean(self):
        data = super().clean()
        for name in data.get("erase") or []:
            if data.get(name):
                self.add_error(name, _("You typed a new value and ticked it for erasing: choose one."))
        return data


class Purpose:
    CONTACT = "contact"
    REFERRAL = "referral"
    SAFETY = "safety"
    DOCUMENTS = "documents"
    RECORD = "record"
    OTHER = "other"

    choices = [
        (CONTACT, _("To contact her or her family")),
        (REFERRAL, _("For a referral that needs these details")),
        (SAFETY, _("For safety planning or an emergency")),
        (DOCUMENTS, _("For documents or a legal procedure")),
        (RECORD, _("To check or correct the record")),
        (OTHER, _("Another purpose (say which below)")),
    ]


class RevealForm(forms.Form):
    """Why, which fields, and (when the last one is older than allowed) a fresh code."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=[("", _("Choose a purpose")), *Purpose.choices])
    reason = forms.CharField(
        label=_("In a few words"),
        max_length=300,
        help_text=_("Kept in the audit trail: describe the task, never name anyone."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    fields = forms.MultipleChoiceField(
        label=_("Details you need"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one detail: only what you need is shown.")},
    )

    def __init__(self, *args, filled, needs_code, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {field.name: field.label for field in FIELDS}
        self.fields["fields"].choices = [(name, labels[name]) for name in filled]
        if needs_code:
            self.fields["code"] = code_field(STALE_CODE)
            self.fields["code"].required = True
