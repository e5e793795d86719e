from django import forms
from django.utils.translation import gettext_lazy as _

from casework.reports.periods import PeriodForm


class ReasonForm(forms.Form):
    """Why this download: every export asks, and the trail keeps it."""

    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class DonorForm(PeriodForm):  # type: ignore[valid-type,misc]
    """The donor report: the period, whether to name the organisation, how, and why."""

    named = forms.BooleanField(
        label=_("Include our organisation's name"),
        required=False,
        help_text=_("Left unticked, nothing in the report names the organisation."),
    )
    form = forms.ChoiceField(
        label=_("As"),
        choices=[("page", _("A page to print")), ("csv", _("A CSV file"))],
        initial="page",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
