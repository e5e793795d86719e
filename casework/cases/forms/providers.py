"""Forms of the provider directory."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.cases.choices import ServiceType
from casework.cases.forms.common import VersionedForm
from casework.cases.models import ServiceProvider


class ProviderForm(VersionedForm):
    services = forms.MultipleChoiceField(
        label=_("Services"),
        required=False,
        choices=ServiceType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ServiceProvider
        fields = ["name", "services", "region", "secure_channel"]
        help_texts = {
            "name": _("The organisation's name, never a person's."),
            "region": _("Province level at most."),
            "secure_channel": _("How to reach them safely, for example an encrypted messenger account of the office."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        for name in ("name", "secure_channel"):
            self.fields[name].widget.attrs.update(autocomplete="off")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = ServiceProvider.objects.filter(organisation=self.organisation, name__iexact=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A provider with this name is already in the directory."))
        return name


class ProviderActiveForm(forms.Form):
    """Deactivate or reactivate: the version it was shown at, so a stale button changes nothing."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    active = forms.TypedChoiceField(
        choices=[("1", _("Active")), ("0", _("Inactive"))], coerce=lambda value: value == "1", widget=forms.HiddenInput
    )
