"""What every form of the workspace shares: the version it started from, and honest widgets."""

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

EMPTY = "—"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class VersionedForm(forms.ModelForm):
    """A model form that carries the version of the record it started from.

    The services compare it with the saved version and refuse to write over a newer one.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["version"]
        else:
            self.fields["version"].initial = self.instance.version
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.setdefault("rows", 4)

    def changes(self):
        """The model fields this form edits, as cleaned values (many-to-many left to the service)."""
        names = [name for name in self._meta.fields if name in self.cleaned_data]
        return {name: self.cleaned_data[name] for name in names}


class ReasonForm(forms.Form):
    """A state change that needs a reason (closing a case, withdrawing a referral ...)."""

    identity_guarded = identity_forbidden = ("reason",)

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def stop_echoing_invalid_choices():
    """Django's "Select a valid choice. <what you sent> is not one of the available choices."
    puts whatever was typed (a name, a phone number, in a crafted URL) into the page. Our
    choice fields say only that the choice is not available."""
    message = _("Select a valid choice. That choice is not one of the available choices.")
    for field in (forms.ChoiceField, forms.MultipleChoiceField, forms.ModelMultipleChoiceField):
        field.default_error_messages = {**field.default_error_messages, "invalid_choice": message}
    forms.ModelMultipleChoiceField.default_error_messages = {
        **forms.ModelMultipleChoiceField.default_error_messages,
        "invalid_pk_value": message,
    }


def not_in_future(value, message=None):
    """Raise if ``value`` (a date or an aware datetime) lies in the future."""
    now = timezone.now() if hasattr(value, "hour") else timezone.localdate()
    if value is not None and value > now:
        raise forms.ValidationError(message or _("This cannot be in the future."))
    return value


def display(field, value):
    """``value`` of ``field`` as a person reads it, for comparing two versions side by side."""
    if value in (None, "", [], ()):
        return EMPTY
    if isinstance(field, forms.ModelMultipleChoiceField):
        return ", ".join(str(item) for item in value) or EMPTY
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    if isinstance(field, forms.MultipleChoiceField):
        labels = dict(field.choices)
        return ", ".join(str(labels.get(item, item)) for item in value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    if isinstance(field, forms.BooleanField):
        return str(_("Yes") if value else _("No"))
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
    return formats.localize(value)


def saved_value(instance, name):
    value = getattr(instance, name)
    return list(value.all()) if hasattr(value, "all") else value


def differences(form, current):
    """Rows of (label, saved now, what you typed, differs) for every field of ``form``."""
    rows = []
    for name, field in form.fields.items():
        if name == "version" or name not in form.cleaned_data or not hasattr(current, name):
            continue
        saved = display(field, saved_value(current, name))
        yours = display(field, form.cleaned_data[name])
        rows.append({"label": field.label, "saved": saved, "yours": yours, "differs": saved != yours})
    return rows
