"""Forms of the file exchange with partners on another server."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.partners.exchange import MAX_FILE_BYTES


class KeyCardForm(forms.Form):
    card = forms.CharField(
        label=_("The partner's key card"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Paste the whole card, as the partner's administrator gave it to you by a safe channel."),
    )


class FingerprintForm(forms.Form):
    compared = forms.BooleanField(
        label=_("We compared the fingerprint aloud and it matches"),
        help_text=_("By voice, with a supervisor of the partner you know: every group, in order."),
        error_messages={"required": _("Compare the fingerprint aloud first: confirm only if every group matches.")},
    )


class FileForm(forms.Form):
    file = forms.FileField(
        label=_("File from a partner"),
        help_text=_("A packet or an answer a partner on another server sent you (it ends in .cwp)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("This file is too large to be a casework file."))
        return upload
