from django import forms
from django.utils.translation import gettext_lazy as _


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        attrs = {"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"}
        self.widget.attrs.update(attrs)


class SecondFactorForm(forms.Form):
    code = CodeField(
        label=_("Code"),
        help_text=_("The six digits your authenticator app shows now, or one of your recovery codes."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The one thing to do on this page: the cursor starts in the box (after a wrong
        # code, the error summary above it takes the focus first).
        self.fields["code"].widget.attrs["autofocus"] = True


class EnrolForm(forms.Form):
    """Confirm a new authenticator; when one is already set up, a code from it first (step-up)."""

    current_code = CodeField(label=_("Code from your current authenticator"), required=False)
    code = CodeField(label=_("Code from the new authenticator"))

    def __init__(self, *args, replacing, **kwargs):
        super().__init__(*args, **kwargs)
        if replacing:
            self.fields["current_code"].required = True
        else:
            del self.fields["current_code"]


class StepUpForm(forms.Form):
    current_code = CodeField(label=_("Code from your authenticator"))


class UnlockForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=None)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = members
