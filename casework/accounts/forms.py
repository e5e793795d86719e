from django import forms
from django.contrib.auth import authenticate, password_validation
from django.utils.translation import gettext_lazy as _

from casework.access.forms.people import reason_field
from casework.accounts.backends import DURESS
from casework.accounts.protection import check_travel_until


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


# Protecting an account (casework.accounts.safety) ---------------------------------------


class ConfirmForm(forms.Form):
    """One confirmed step: a box to tick, and for a supervisor a reason."""

    confirm = forms.BooleanField(label=_("Yes, do it now"))

    def __init__(self, *args, with_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_reason:
            self.fields["reason"] = reason_field(required=False)


class TravelForm(forms.Form):
    until = forms.DateField(
        label=_("Last day of travel mode"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("From the day after it, the account works again by itself."),
    )

    def __init__(self, *args, with_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        if with_reason:
            self.fields["reason"] = reason_field(required=False)

    def clean_until(self):
        until = self.cleaned_data["until"]
        check_travel_until(until)
        return until


class ReasonForm(forms.Form):
    reason = reason_field(required=True)


class UnfreezeForm(forms.Form):
    code = CodeField(label=_("Code from your authenticator"))
    reason = reason_field(required=True)


class DuressPasswordForm(forms.Form):
    """Her current password first, then the duress password twice."""

    current_password = forms.CharField(
        label=_("Your current password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    password1 = forms.CharField(
        label=_("Duress password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    password2 = forms.CharField(
        label=_("Duress password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )

    def __init__(self, *args, user, request, **kwargs):
        self.user, self.request = user, request
        super().__init__(*args, **kwargs)

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        # Through authenticate(): guessing it from a borrowed session counts towards the lockout.
        signed = authenticate(self.request, username=self.user.get_username(), password=password)
        if signed is None or signed.pk != self.user.pk or getattr(signed, DURESS, False):
            raise forms.ValidationError(_("Your current password was not right."), code="password_incorrect")
        return password

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two duress passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
            else:
                if self.user.check_password(first):
                    self.add_error("password1", _("Choose a duress password that is not your password."))
        return data
