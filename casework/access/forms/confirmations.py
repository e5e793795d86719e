"""The forms a supervisor vouches and confirms with: a reason and, like a reveal, a fresh code."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.access.forms.people import reason_field

CONFIRM, REFUSE = "confirm", "refuse"


class _WithCode(forms.Form):
    def __init__(self, *args, needs_code, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_code:
            self.fields["code"] = forms.CharField(
                label=_("Code from your authenticator app"),
                max_length=12,
                help_text=_("Your last code is more than five minutes old: confirm it is still you."),
                widget=forms.TextInput(
                    attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
                ),
            )


class VouchForm(_WithCode):
    met = forms.BooleanField(
        label=_("I met her myself and watched her set up her own authenticator on her own phone."),
        error_messages={"required": _("Vouch only for someone you met and watched set up her authenticator.")},
    )
    reason = reason_field()


class DecisionForm(_WithCode):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(CONFIRM, _("Confirm: it takes effect now")), (REFUSE, _("Refuse: nothing changes"))],
        widget=forms.RadioSelect,
    )
    reason = reason_field()

    def clean(self):
        data = super().clean()
        if data.get("decision") == REFUSE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for refusing."))
        return data
